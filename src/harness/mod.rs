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
//! - [`flows`]: multi-flow streams: the varied fields, the sizes (IMIX...), the templates
//!   per flow × size, and the per-flow checker.
//! - [`stream`]: the sender/receiver/reflector threads of `vethbench test`.
//! - [`plan`]: a checked `vethbench test` run, and launching it on real ends.
//! - [`testbench`]: the [`Testbench`] API.
//! - [`error`]: [`HarnessError`], which wraps only the layers below (an end's [`EndError`]), a
//!   [`ConfigError`] or a [`TemplateError`]; no message names a command-line flag.
//!
//! What stays true: the stream's hot loops (stamp, send, receive, check, record) allocate
//! nothing per frame. Both clocks are CLOCK_REALTIME (see [`stamp`]). A failed delivery is a
//! [`Report`] with a failed verdict, not an error; errors are for what stops a run.

pub mod checker;
pub mod ends;
pub mod error;
pub mod flows;
pub mod latency;
pub mod matcher;
pub mod noise;
pub mod plan;
pub mod report;
mod report_flows;
pub mod stamp;
pub mod stream;
pub mod testbench;

pub use checker::{Checker, Class, Counts};
pub use ends::{Ends, FrameSink, FrameSource, RxMeta, Tap};
pub use error::{ConfigError, EndError, HarnessError};
pub use flows::{FlowSet, FlowsConfig, FlowsError};
pub use latency::{LatencyHist, LatencySummary};
pub use matcher::{Matcher, Mismatch};
pub use noise::NoiseFilter;
pub use plan::{launch, Running, TestPlan, Topology};
pub use report::{Report, RunResults, Verdict};
pub use stamp::{Stamp, StampedTemplate, TemplateError};
pub use stream::{Mode, RunHandle, StreamConfig};
pub use testbench::{EndId, Interrupt, Received, Testbench};
