//! The harness's errors: what stops a run or a test (a failed delivery in a stream run is a
//! [`Report`](super::Report), not an error).
//!
//! Each wraps only the layers below the harness: an end's socket, link, pcapng or capture
//! error is an [`EndError`] under [`HarnessError::Io`] (each names its interface, path or
//! namespace). A run
//! configuration that cannot work is a [`ConfigError`], a template frame that cannot carry the
//! stamp a [`TemplateError`]. Messages name no command-line flag:
//! the CLI words those.

use crate::capture::CaptureError;
use crate::link::policy::NotSendable;
use crate::link::LinkError;
use crate::pcapng::PcapngError;
use crate::sock::SockError;
use crate::sys::cpu::CpuError;

use super::plan::{MAX_FRAME_LEN, MIN_FRAME_LEN};
use super::stamp::{TemplateError, STAMP_LEN};
use super::stream::MAX_STREAM_BATCH;
use super::testbench::ExpectFailure;

/// An error that stops a test run or a test.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A template frame that cannot carry the stamp.
    #[error("template frame")]
    Template(#[from] TemplateError),
    /// An invalid run configuration (values that do not fit together).
    #[error("invalid configuration")]
    Config(#[from] ConfigError),
    /// Flows, sizes or sender threads that cannot run (see [`super::flows`]).
    #[error("invalid configuration")]
    Flows(#[from] super::flows::FlowsError),
    /// Outside rtt mode, the sending and the receiving end are one interface.
    #[error("invalid configuration: the sending and receiving ends are both '{iface}': give the two ends of a pair")]
    SameEnds { iface: String },
    /// A mask named a field the dissector does not know, or the frame does not have.
    #[error("unknown field '{field}' (known: {known})")]
    UnknownField { field: String, known: String },
    /// A socket, link, pcapng or capture operation failed on an end of the run (the error
    /// names the interface, path or namespace).
    #[error(transparent)]
    Io(#[from] EndError),
    /// The interface policy refused a physical (or unknown-kind) link.
    #[error(
        "refusing to send on '{iface}' (kind {}): the harness sends only on links whose \
         frames cannot reach a physical network ({})",
        crate::link::policy::kind_name(kind),
        crate::link::policy::VIRTUAL_KINDS
    )]
    PhysicalLink { iface: String, kind: Option<String> },
    /// The interface policy refused the link for another reason (down, no carrier, MTU).
    #[error(transparent)]
    NotSendable(NotSendable),
    /// A frame longer than the end's send slots.
    #[error("{end}: a {len}-byte frame exceeds the {slot}-byte send slot")]
    SlotTooSmall {
        end: String,
        len: usize,
        slot: usize,
    },
    /// The end's transmit queue accepted nothing for a second.
    #[error("{end}: transmit queue stayed full for 1 s ({sent} of {total} frames sent)")]
    TxQueueFull {
        end: String,
        sent: usize,
        total: usize,
    },
    /// The receiver thread could not start (the sender reports it).
    #[error("receiver: invalid configuration")]
    ReceiverConfig(#[source] ConfigError),
    /// A thread of the run could not be started.
    #[error("spawning the {thread} thread")]
    Spawn {
        thread: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A thread of the run panicked or vanished.
    #[error("{0} thread failed")]
    Thread(&'static str),
    /// An expectation of the [`Testbench`](super::Testbench) API failed; the message carries
    /// the field-level diff.
    #[error("{0}")]
    Expectation(Box<ExpectFailure>),
    /// A wait was stopped by the testbench's interrupt check ([`Testbench::set_interrupt`](super::Testbench::set_interrupt)).
    #[error("interrupted")]
    Interrupted,
}

/// What an end of a run (its socket, ring, link, namespace or pcapng tap) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EndError {
    #[error(transparent)]
    Sock(#[from] SockError),
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Pcapng(#[from] PcapngError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// A run configuration that cannot work.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("give a frame count or a duration")]
    NoEnd,
    #[error("the frame count must be at least 1")]
    ZeroCount,
    #[error("the duration must be positive")]
    ZeroDuration,
    #[error(
        "the rate must be at least {} frames/s (one frame every 1000 s), not {rate}",
        crate::sock::tx::MIN_RATE_PPS
    )]
    Rate { rate: f64 },
    #[error("the batch must be 1..={MAX_STREAM_BATCH}, not {batch}")]
    Batch { batch: usize },
    /// A CPU to pin a thread to that this process may not use (or pinning failed).
    #[error(transparent)]
    Cpu(#[from] CpuError),
    #[error(
        "a {len}-byte frame is over the {MAX_FRAME_LEN}-byte maximum (64 KiB of IP and an \
         Ethernet header)"
    )]
    FrameTooLarge { len: usize },
    #[error("the frame is {len} bytes but the plan says {frame_len}")]
    FrameLenMismatch { len: usize, frame_len: usize },
    #[error(
        "frame size {frame_len} is outside {MIN_FRAME_LEN}..={MAX_FRAME_LEN} bytes \
         (Ethernet+IPv4+UDP headers and the {STAMP_LEN}-byte stamp must fit)"
    )]
    FrameSize { frame_len: usize },
    #[error("'{name}' is not a valid interface name")]
    InterfaceName { name: String },
    /// One interface given as two ends (each would see half its frames).
    #[error("interface '{iface}' is given twice")]
    DuplicateInterface { iface: String },
    /// A wait whose end the clock cannot represent.
    #[error("a wait of {secs} s ends after the clock does")]
    DurationTooLong { secs: u64 },
}

impl ConfigError {
    /// Now + `d`, or [`ConfigError::DurationTooLong`].
    pub fn deadline(d: std::time::Duration) -> Result<std::time::Instant, ConfigError> {
        std::time::Instant::now()
            .checked_add(d)
            .ok_or(ConfigError::DurationTooLong { secs: d.as_secs() })
    }
}

impl HarnessError {
    /// Wrap a socket/link/pcapng/capture error of an end (what the real
    /// [`FrameSink`](super::FrameSink) / [`FrameSource`](super::FrameSource) implementations
    /// return). The error names the end (interface, path or namespace) itself.
    pub fn io(e: impl Into<EndError>) -> Self {
        HarnessError::Io(e.into())
    }
}
