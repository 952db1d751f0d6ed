//! veth pairs (work in progress).
