//! The testbench: send a stream of stamped frames, capture them on the peer, verify each one,
//! measure latency and report; and a [`Testbench`] API for regression tests with expectations.
//!
//! The layers, bottom-up:
//! - (the frame's layers and named fields, for masks, diffs, noise and stamp placement, come
//!   from the packet view, [`crate::frame::view`]).
//! - [`stamp`]: the 24-byte stamp (magic, stream, seq, tx time) written in place into a
//!   template frame, checksum fixed up incrementally.
//! - [`checker`]: per-frame verdicts (intact, lost, corrupted, reordered, duplicated,
//!   unexpected) against the template, with a sliding bitmap of seen seqs.
//! - [`latency`]: hdrhistogram of rx kernel timestamp − tx stamp.
//! - [`report`]: counts, rates, percentiles and a verdict; a table and stable JSON.
//! - [`matcher`] and [`noise`]: what `expect` and `expect_no_other` compare with and ignore.
//! - [`ends`]: the ends of a run under one name: the [`FrameSink`]/[`FrameSource`]/[`Tap`]
//!   traits, their real implementations (AF_PACKET sockets, rings, the capture engine's pcapng
//!   recorder, private veth pairs) and [`Ends`], the opened ends of a run.
//! - [`stream`]: the sender/receiver/reflector threads of `vethbench test`.
//! - [`plan`]: a checked `vethbench test` run, and launching it on real ends.
//! - [`testbench`]: the [`Testbench`] API.
//!
//! What stays true: the stream's hot loops (stamp, send, receive, check, record) allocate
//! nothing per frame. Both clocks are CLOCK_REALTIME (see [`stamp`]). A failed delivery is a
//! [`Report`] with a failed verdict, not an error; errors are for what stops a run.

pub mod checker;
pub mod ends;
pub mod latency;
pub mod matcher;
pub mod noise;
pub mod plan;
pub mod report;
pub mod stamp;
pub mod stream;
pub mod testbench;

pub use checker::{Checker, Class, Counts};
pub use ends::{Ends, FrameSink, FrameSource, RxMeta, Tap};
pub use latency::{LatencyHist, LatencySummary};
pub use matcher::{Matcher, Mismatch};
pub use noise::NoiseFilter;
pub use plan::{launch, Running, TestPlan, Topology};
pub use report::{Report, RunResults, Verdict};
pub use stamp::{Stamp, StampedTemplate};
pub use stream::{Mode, RunHandle, StreamConfig};
pub use testbench::{EndId, Received, Testbench};

/// An error that stops a test run or a test (a failed delivery in a stream run is a report).
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{0}")]
    Setup(String),
    /// A template frame that cannot carry the stamp.
    #[error("template frame: {0}")]
    Template(String),
    /// An invalid run configuration (flag values that do not fit together).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Outside rtt mode, the sending and the receiving end are one interface.
    #[error("invalid configuration: the sending and receiving ends are both '{iface}': give the two ends of a pair")]
    SameEnds { iface: String },
    /// A mask named a field the dissector does not know, or the frame does not have.
    #[error("unknown field '{field}' (known: {known})")]
    UnknownField { field: String, known: String },
    /// A socket or link operation failed under the harness.
    #[error("{}", with_end(end, source))]
    Io {
        /// The end (interface) involved.
        end: String,
        #[source]
        source: Box<crate::Error>,
    },
    /// A thread of the run panicked or vanished.
    #[error("{0} thread failed")]
    Thread(&'static str),
    /// An expectation of the [`Testbench`] API failed; the message carries the field-level diff.
    #[error("{0}")]
    Expectation(Box<testbench::ExpectFailure>),
}

/// "END: message", unless the message already names the end (the path or interface).
fn with_end(end: &str, source: &crate::Error) -> String {
    let msg = source.to_string();
    if msg.contains(end) {
        msg
    } else {
        format!("{end}: {msg}")
    }
}

impl HarnessError {
    /// True when the error wraps "interface ... does not exist".
    pub fn is_no_such_interface(&self) -> bool {
        matches!(self, HarnessError::Io { source, .. } if source.is_no_such_interface())
    }

    /// Wrap a socket/link/pcapng error of the end `end` (what the real [`FrameSink`] /
    /// [`FrameSource`] implementations return).
    pub fn io(end: &str, e: impl Into<crate::Error>) -> Self {
        HarnessError::Io {
            end: end.to_string(),
            source: Box::new(e.into()),
        }
    }
}
