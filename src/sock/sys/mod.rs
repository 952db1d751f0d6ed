//! The OS glue: every `unsafe` block of the crate is here, each with a `SAFETY:` comment. The
//! safe wrappers in `sock::{tx, rx, recv, filter}`, and `link::offload` for the ethtool ioctl,
//! are the only callers.
#![allow(unsafe_code)]

pub(crate) mod common;
pub(crate) mod ethtool;
pub(crate) mod filter;
pub(crate) mod recv;
pub(crate) mod rx;
pub(crate) mod tx;
