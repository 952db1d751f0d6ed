//! The OS glue of the packet sockets: every `unsafe` block of `sock` is here, each with a
//! `SAFETY:` comment. The safe wrappers in `sock::{tx, rx, filter}` are the only callers.
#![allow(unsafe_code)]

pub(crate) mod common;
pub(crate) mod filter;
pub(crate) mod recv;
pub(crate) mod rx;
pub(crate) mod tx;
