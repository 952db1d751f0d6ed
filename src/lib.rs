//! vethbench: a packet injection and capture testbench for Linux veth pairs and network namespaces.
//!
//! The tour, top-down, arrows pointing from the user towards the kernel:
//!
//! - [`frame`]: what to send. A [`frame::FrameSpec`] becomes bytes (byte-exact with Scapy's
//!   `raw(pkt)` for the same arguments); a Scapy-like `show()` and a hexdump print them back.
//! - [`link`]: where to send it. Netlink (no `ip`, no shell): veth pairs, addresses, link state,
//!   named namespaces compatible with `ip netns`, and anonymous ones that cannot leak.
//! - [`sock`]: how it moves. AF_PACKET sockets: batched transmit, a TPACKET_V3 receive ring with
//!   kernel nanosecond timestamps and drop counters, in-kernel BPF filters. All `unsafe` of the
//!   crate lives in `sock::sys` (netlink and namespaces need none: nix wraps them).
//! - [`pcapng`]: what is kept. A pcapng writer (nanosecond IDBs, EPB flags, closing ISB) and a
//!   reader for pcapng and classic pcap.
//! - [`harness`]: what is asserted. A [`harness`] testbench that sends, captures and checks
//!   delivery (loss, corruption, order, duplicates) with one-way latency percentiles.
//!
//! What stays true: nothing in the hot paths (transmit, receive, pcapng write) allocates per
//! packet; library errors are typed and carry the interface, path or capability involved.
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod capture;
pub mod error;
pub mod frame;
pub mod harness;
pub mod link;
pub mod pcapng;
pub mod sock;
pub mod sys;

pub use error::{Capability, Error, Result};
