//! rx glue (stub).
