//! The OS glue: every `unsafe` block of the crate is here, each with a `SAFETY:` comment, and
//! the system calls that have no other home (CPU affinity). The safe wrappers in
//! `sock::{tx, ring, recvmsg, filter}`, `link::offload` (the ethtool ioctl), `link::netns`
//! (NS_GET_NSTYPE), `diff`'s arenas ([`mem`]) and the harness's and `send`'s thread pinning ([`cpu`]) are the callers;
//! [`xsk`] (AF_XDP sockets) is safe API itself, used by `bench xdp`.
//!
//! What stays true: nothing above this module needs `unsafe`; `lib.rs` denies it everywhere
//! else.
#![allow(unsafe_code)]

pub(crate) mod bpf;
pub mod child;
pub mod clock;
pub(crate) mod common;
pub mod cpu;
pub(crate) mod ethtool;
pub(crate) mod filter;
pub(crate) mod mem;
pub(crate) mod nsfs;
pub(crate) mod recvmsg;
pub(crate) mod ring;
pub mod sysfs;
pub(crate) mod tx;
pub mod xsk;
