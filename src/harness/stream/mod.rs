//! The stream run behind `vethbench test`: a sender thread stamps and sends copies of a template,
//! a receiver thread checks every frame and records latency, a reflector (rtt mode) echoes.
//!
//! Sequence of a run ([`start`] → [`RunHandle::wait`]):
//! 1. The caller opens the ends (the receive source is ready when constructed: that is the
//!    ready barrier) and calls [`start`].
//! 2. The receiver thread pins itself, builds its checker and histogram, then signals ready;
//!    the sender thread waits for that signal before its first send. No sleeps.
//! 3. The sender stamps `seq`/`tx_ns` into a batch of copies of the template that live in the
//!    sink's transmit slots ([`FrameSink::send_filled`]: written whole once per slot, then only
//!    the stamp, no copy per frame) and sends it; before each send it publishes how far it has
//!    stamped (frames beyond are unexpected).
//!    - `throughput`: batches of `batch` frames, as fast as the sink takes them, or paced at
//!      `rate_pps` against absolute deadlines (`start + seq / rate`), sleeping when the next
//!      deadline is more than 200 µs away and spinning below that.
//!    - `latency` / `rtt`: one frame in flight; the next one leaves when the receiver has seen
//!      the previous one (it unparks the sender) or after `inflight_timeout` (then it is lost).
//!      `busy_poll` spins instead of parking, on both sides.
//! 4. The sender tells the receiver how many it sent; the receiver stops as soon as every seq
//!    is accounted for, or `drain` after that message, then reads the kernel drop counter.
//!
//! Nothing is allocated per frame: the sink's slots, checker window and histogram exist before
//! the first send.
//!
//! Here: the configuration, [`start`] and [`RunHandle`]; the loops are in `sender`,
//! `receiver` and `reflector` ([`Reflector`]); threads are pinned with `crate::sys::cpu`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::checker::Counts;
use super::ends::{FrameSink, FrameSource, Tap};
use super::latency::LatencyHist;
use super::noise::NoiseFilter;
use super::report::{Report, RunResults};
use super::stamp::StampedTemplate;
use super::{ConfigError, HarnessError};

/// Largest batch the sender sends per call.
pub const MAX_STREAM_BATCH: usize = 256;

/// How the stream is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Batched, as fast as possible or at `rate_pps`.
    Throughput,
    /// One frame in flight; one-way latency.
    Latency,
    /// One frame in flight, echoed back by a [`Reflector`] on the peer; round-trip time.
    Rtt,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Throughput => "throughput",
            Mode::Latency => "latency",
            Mode::Rtt => "rtt",
        }
    }

    fn one_in_flight(self) -> bool {
        !matches!(self, Mode::Throughput)
    }
}

/// A checked run configuration (see [`StreamConfig::check`]).
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub mode: Mode,
    /// Frames to send; with `duration` too, whichever ends first.
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    /// Frames per second; None: as fast as possible.
    pub rate_pps: Option<f64>,
    /// Frames per send call in throughput mode (1..=MAX_STREAM_BATCH).
    pub batch: usize,
    /// Spin instead of sleeping while waiting (latency/rtt modes and the receiver).
    pub busy_poll: bool,
    /// Pin the sender / receiver thread to these CPUs.
    pub cpu_tx: Option<usize>,
    pub cpu_rx: Option<usize>,
    /// Opt-in (default off): in throughput mode, when `cpu_tx`/`cpu_rx` are not given,
    /// [`super::plan::launch`] pins the sender to the first CPU the process may use and the
    /// receiver to the second (when there are two). In throughput mode the receiving
    /// interface's NAPI threads, when it has threaded NAPI (the private pair does, see
    /// [`crate::link::offload`]), go to the receiver's CPU whenever `cpu_rx` is set. Pinned
    /// runs vary less; on a machine whose other work loads those CPUs they are slower, never
    /// lossy (veth pushes back on the sender). Latency/rtt runs are left to the scheduler unless
    /// `cpu_*` are given.
    pub auto_pin: bool,
    /// After the last send, how long to wait for frames still on their way.
    pub drain: Duration,
    /// latency/rtt: how long one frame may be in flight before it is given up as lost.
    pub inflight_timeout: Duration,
    /// Frames the receiver ignores (counted as noise, not as unexpected).
    pub noise: NoiseFilter,
    /// Seen-seq window of the checker.
    pub window: u64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            mode: Mode::Throughput,
            count: Some(10_000),
            duration: None,
            rate_pps: None,
            batch: 64,
            busy_poll: false,
            cpu_tx: None,
            cpu_rx: None,
            auto_pin: false,
            drain: Duration::from_millis(200),
            inflight_timeout: Duration::from_millis(100),
            noise: NoiseFilter::all(),
            window: super::checker::DEFAULT_WINDOW,
        }
    }
}

impl StreamConfig {
    /// Reject combinations that cannot run.
    pub fn check(&self) -> Result<(), HarnessError> {
        let bad = |e: ConfigError| Err(e.into());
        if self.count.is_none() && self.duration.is_none() {
            return bad(ConfigError::NoEnd);
        }
        if self.count == Some(0) {
            return bad(ConfigError::ZeroCount);
        }
        if self.duration.is_some_and(|d| d.is_zero()) {
            return bad(ConfigError::ZeroDuration);
        }
        if let Some(r) = self.rate_pps {
            // Infinite is refused; any finite rate from the minimum up runs (a huge one as
            // fast as possible).
            if !(r.is_finite() && r >= crate::sock::tx::MIN_RATE_PPS) {
                return bad(ConfigError::Rate { rate: r });
            }
        }
        if self.batch == 0 || self.batch > MAX_STREAM_BATCH {
            return bad(ConfigError::Batch { batch: self.batch });
        }
        for c in [self.cpu_tx, self.cpu_rx].into_iter().flatten() {
            crate::sys::cpu::check_allowed(c).map_err(ConfigError::Cpu)?;
        }
        Ok(())
    }
}

/// Pin the calling thread to one CPU (a stream thread: the error is a configuration one).
fn pin_current_thread(cpu: usize) -> Result<(), ConfigError> {
    crate::sys::cpu::pin_current_thread(cpu).map_err(ConfigError::Cpu)
}

/// Counters the threads publish while running (for a progress bar) and the sender/receiver
/// hand-offs.
#[derive(Debug, Default)]
struct Shared {
    /// Next seq the sender will stamp: seqs below are valid (published before each send).
    stamped: Arc<AtomicU64>,
    sent: AtomicU64,
    intact: AtomicU64,
    /// latency/rtt: highest seq the receiver has seen + 1.
    answered: AtomicU64,
    stop: AtomicBool,
}

/// What the run looks like now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub sent: u64,
    pub intact: u64,
    /// The frame count, when the run has one.
    pub target: Option<u64>,
    pub elapsed: Duration,
}

struct TxDone {
    sent: u64,
    duration: Duration,
    /// Frames the kernel dropped on transmit (see [`FrameSink::tx_drops`]).
    tx_drops: u64,
    /// The error that ended the sending early, if any.
    error: Option<HarnessError>,
}

struct RxDone {
    counts: Counts,
    hist: LatencyHist,
    noise: u64,
    kernel_drops: u64,
    /// The error that ended the receiving early, if any.
    error: Option<HarnessError>,
}

/// A running stream. Dropping it without [`RunHandle::wait`] stops and detaches the threads.
#[derive(Debug)]
pub struct RunHandle {
    tx: Option<JoinHandle<Result<TxDone, HarnessError>>>,
    rx: Option<JoinHandle<Result<RxDone, HarnessError>>>,
    shared: Arc<Shared>,
    cfg: StreamConfig,
    frame_len: usize,
    tx_name: String,
    rx_name: String,
    started: Instant,
}

impl std::fmt::Debug for TxDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TxDone({})", self.sent)
    }
}

impl std::fmt::Debug for RxDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RxDone({:?})", self.counts)
    }
}

/// Start a run of `cfg` sending copies of `template` on `tx` and checking them on `rx`.
/// In rtt mode, `rx` is the sender's own end (receiving the echoes) and a [`Reflector`] must run
/// on the peer. `tap`, if any, sees every received frame (noise included).
pub fn start<Tx, Rx>(
    cfg: StreamConfig,
    template: StampedTemplate,
    tx: Tx,
    rx: Rx,
    tap: Option<Box<dyn Tap + Send>>,
) -> Result<RunHandle, HarnessError>
where
    Tx: FrameSink + Send + 'static,
    Rx: FrameSource + Send + 'static,
{
    cfg.check()?;
    let shared = Arc::new(Shared::default());
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<Result<(), ConfigError>>(1);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<u64>(1);
    let (thread_tx, thread_rx) = crossbeam_channel::bounded::<Thread>(1);
    let tx_name = tx.name().to_string();
    let rx_name = rx.name().to_string();
    let frame_len = template.len();

    let rx_handle = {
        let (cfg, shared, template) = (cfg.clone(), shared.clone(), template.clone());
        thread::Builder::new()
            .name("vethbench-rx".into())
            .spawn(move || receiver(cfg, template, rx, tap, shared, ready_tx, done_rx, thread_rx))
            .map_err(|source| HarnessError::Spawn {
                thread: "receiver",
                source,
            })?
    };
    let tx_handle = {
        let (cfg, shared) = (cfg.clone(), shared.clone());
        thread::Builder::new()
            .name("vethbench-tx".into())
            .spawn(move || {
                // The receiver unparks this thread in latency/rtt mode.
                let _ = thread_tx.send(thread::current());
                let mut tx = tx;
                let r = sender(&cfg, &template, &mut tx, &shared, ready_rx);
                // Always tell the receiver, even after an error, so it stops.
                let _ = done_tx.send(shared.sent.load(Ordering::Acquire));
                // Only then close the socket: closing a packet socket waits for an RCU grace
                // period (~15 ms here), which the receiver need not wait for.
                drop(tx);
                r
            })
            .map_err(|source| HarnessError::Spawn {
                thread: "sender",
                source,
            })?
    };
    Ok(RunHandle {
        tx: Some(tx_handle),
        rx: Some(rx_handle),
        shared,
        cfg,
        frame_len,
        tx_name,
        rx_name,
        started: Instant::now(),
    })
}

impl RunHandle {
    pub fn progress(&self) -> Progress {
        Progress {
            sent: self.shared.sent.load(Ordering::Relaxed),
            intact: self.shared.intact.load(Ordering::Relaxed),
            target: self.cfg.count,
            elapsed: self.started.elapsed(),
        }
    }

    /// True once both threads have ended.
    pub fn is_finished(&self) -> bool {
        self.tx.as_ref().is_none_or(|h| h.is_finished())
            && self.rx.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Ask the sender to stop early (e.g. on Ctrl-C); the receiver still drains.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }

    /// Wait for both threads and build the report.
    pub fn wait(mut self) -> Result<Report, HarnessError> {
        let tx = self.tx.take().map(|h| h.join());
        let rx = self.rx.take().map(|h| h.join());
        let tx = match tx {
            Some(Ok(r)) => r?,
            _ => return Err(HarnessError::Thread("sender")),
        };
        let rx = match rx {
            Some(Ok(r)) => r?,
            _ => return Err(HarnessError::Thread("receiver")),
        };
        let error = tx.error.as_ref().or(rx.error.as_ref()).map(|e| {
            let mut line = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                let t = s.to_string();
                if !line.contains(&t) {
                    line = format!("{line}: {t}");
                }
                src = s.source();
            }
            line
        });
        let mut report = Report::new(RunResults {
            mode: self.cfg.mode.name().to_string(),
            tx_iface: Some(self.tx_name.clone()),
            rx_iface: Some(self.rx_name.clone()),
            frame_len: self.frame_len,
            sent: tx.sent,
            counts: rx.counts,
            noise: rx.noise,
            kernel_drops: rx.kernel_drops + tx.tx_drops,
            tx_drops: tx.tx_drops,
            duration_s: tx.duration.as_secs_f64(),
            rtt: self.cfg.mode == Mode::Rtt,
            latency: rx.hist.summary(),
        });
        if let Some(e) = error {
            report.set_error(e);
        }
        Ok(report)
    }
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

mod receiver;
mod reflector;
mod sender;
#[cfg(test)]
mod tests;

use receiver::receiver;
pub use reflector::Reflector;
use sender::sender;
