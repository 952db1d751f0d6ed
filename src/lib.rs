//! vethbench: a packet injection and capture testbench for Linux veth pairs and network namespaces.
//!
//! The tour, top-down, arrows pointing from the user towards the kernel
//! (cli → scenario → harness → capture → sock / link / pcapng → frame, and `sys` under everything):
//!
//! - [`frame`]: what to send, and how to read it back. A [`frame::FrameSpec`] becomes bytes
//!   (byte-exact with Scapy's `raw(pkt)` for the same arguments). One packet view,
//!   [`frame::view`], walks received bytes once into layers and named fields (tshark's names);
//!   Scapy's `show()`, tshark's one-line summary and `-T fields`, and the harness's matchers,
//!   noise filter and stamp placement all read that walk. [`frame::MacAddr`] is the one MAC
//!   parser and printer.
//! - [`link`]: where to send it. Netlink (no `ip`, no shell): veth pairs, addresses, link state,
//!   named namespaces compatible with `ip netns`, any namespace by path or `pid:PID`, every
//!   namespace on the host found (containers' too), and anonymous ones that cannot leak; the
//!   interface policy ([`link::policy`]: virtual links only unless allowed, up, carrier, MTU).
//! - [`sock`]: how it moves. AF_PACKET sockets: batched transmit ([`sock::tx`]), a TPACKET_V3
//!   receive ring ([`sock::ring`]) and a per-frame `recvmsg` socket ([`sock::recvmsg`]), both
//!   with kernel nanosecond timestamps and the kernel's per-frame metadata ([`sock::RxMeta`]),
//!   drop counters, in-kernel BPF filters.
//! - [`pcapng`]: what is kept. A pcapng writer (nanosecond IDBs, EPB flags, closing ISB) and a
//!   reader for pcapng and classic pcap.
//! - [`capture`]: the capture engine. Rings on one or more interfaces (in one or more
//!   namespaces), merged in timestamp order → one pcapng/pcap file
//!   (EPB flags from the kernel's packet type, direction and checksum status) or printed lines;
//!   `vethbench capture` and the harness's pcapng tap both use it.
//! - [`replay`]: a capture file sent again (tcpreplay's job): read with [`pcapng`], put on an
//!   absolute schedule (the file's gaps, a rate, or top speed), rewritten (MACs, IP maps, VLAN,
//!   checksums, MTU), sent with [`sock::tx`]'s batches, reported with the timing error.
//! - [`harness`]: what is asserted. A [`harness`] testbench that sends, captures and checks
//!   delivery (loss, corruption, order, duplicates) with one-way latency percentiles; its
//!   frames carry a stamp ([`harness::StampedTemplate`]) placed where the packet view says the
//!   payload starts.
//! - [`scenario`]: a topology with a device under test and the tests through it, from a YAML
//!   file (`vethbench run`) or built in Rust: nodes are private namespaces, and a multi-port
//!   [`scenario::Bench`] sends and expects on named ports (`h1:eth0`) through the harness;
//!   reports as text, JUnit, TAP and JSON.
//! - [`sys`]: the OS-glue room. Every `unsafe` block of the crate (AF_PACKET rings, sendmmsg,
//!   recvmsg control messages, the libpcap filter compiler, the ethtool and nsfs ioctls) and
//!   CPU affinity ([`sys::cpu`]) live here; netlink and namespaces need none (nix wraps them).
//!
//! - [`error`]: the leaf every layer shares, [`Capability`] and [`NoSuchInterface`]. There is
//!   no crate-wide error: each module has its own typed error, which wraps only the errors of
//!   the layers below it (e.g. [`harness::HarnessError`] holds an end's [`harness::EndError`]).
//!
//! What stays true: nothing in the hot paths (transmit, receive, pcapng write) allocates per
//! packet; library errors are typed and carry the interface, path or capability involved, and
//! name no command-line flag (the CLI words those).
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod bpf;
pub mod capture;
pub mod diff;
pub mod error;
pub mod frame;
pub mod harness;
pub mod impair;
pub mod link;
pub mod pcapng;
pub mod replay;
pub mod scenario;
pub mod sock;
pub mod stats;
pub mod sys;

pub use error::{Capability, NoSuchInterface};
