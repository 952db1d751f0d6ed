//! The capture engine: TPACKET_V3 rings on one or more interfaces → one pcapng/pcap file, or
//! frames printed one line each (a summary like tshark's, or `-T fields` values).
//!
//! - [`epb`]: the one place that turns what the kernel said about a frame ([`RxMeta`]: packet
//!   type, direction, checksum status, GSO) into pcapng EPB flags, and a [`Recorder`] that
//!   writes frames with them. `vethbench capture` and the harness's pcapng tap both use it.
//! - [`print`](mod@print): the printed line of a frame (the seam to `frame`'s summary and fields).
//! - [`engine`]: [`Capture`], the multi-ring drain with its stop conditions (count, duration,
//!   a stop fd such as a signalfd, an interface that disappears), flush cadence and
//!   statistics that add up; rings may be in different network namespaces (`NS:IFACE`).
//! - `merge`: the time-ordered merge of the rings (frames written in timestamp order).
//!
//! What stays true: one thread does everything (polls every ring and the stop fd, walks the
//! ready blocks, appends to the writer's 1 MiB buffer: one write(2) per MiB); nothing is
//! allocated per frame; frames are written in timestamp order across interfaces; every way of
//! stopping drains the blocks already filled and completes the file (closing ISBs). What it
//! does not do: parse flags (the CLI does). An interface without `NS:` is in the calling
//! thread's namespace.
//!
//! [`RxMeta`]: crate::sock::RxMeta

pub mod engine;
pub mod epb;
mod merge;
pub mod print;

pub use engine::{Capture, CaptureSpec, CaptureSummary, Output};
pub use epb::{epb_flags, Recorder};
pub use print::Printer;

use crate::pcapng::PcapngError;
use crate::sock::SockError;

/// An error that stops a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Opening a ring, compiling the filter, or reading the kernel's counters.
    #[error(transparent)]
    Sock(#[from] SockError),
    /// Opening the namespace of an `NS:IFACE`.
    #[error(transparent)]
    Netns(#[from] crate::link::LinkError),
    /// Opening a ring inside another namespace than the caller's.
    #[error("in network namespace '{netns}'")]
    InNetns {
        netns: String,
        #[source]
        source: SockError,
    },
    /// Creating or writing the capture file.
    #[error(transparent)]
    Pcapng(#[from] PcapngError),
    /// Duplicating standard output for the file.
    #[error("duplicating stdout")]
    Stdout(#[source] std::io::Error),
    /// poll(2) failed.
    #[error("poll")]
    Poll(#[source] nix::errno::Errno),
    /// No interface to capture on.
    #[error("no interface to capture on")]
    NoInterface,
    /// One interface named twice (its frames would be written twice).
    #[error("interface '{iface}' is named twice")]
    DuplicateInterface { iface: String },
    /// A count of 0 frames.
    #[error("a count of 0 frames would capture nothing: give at least 1")]
    ZeroCount,
    /// A duration whose end the clock cannot represent.
    #[error("a duration of {secs} s ends after the clock does")]
    DurationTooLong { secs: u64 },
    /// Writing the printed frames failed for another reason than a reader that went away
    /// (a full disk, say); the capture file, if any, was completed first.
    #[error("writing the printed frames")]
    Print(#[source] std::io::Error),
}
