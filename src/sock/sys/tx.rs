//! tx glue (stub).
