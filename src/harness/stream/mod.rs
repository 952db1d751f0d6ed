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
//! Flows and threads ([`StreamConfig::flows`], [`StreamConfig::threads`]): the frames are
//! those of a [`FlowSet`] (templates per flow × size); with N threads, N senders each with its
//! own sink send the flows split between them ([`Layout`]: a flow is sent by one thread, so
//! its order holds), each a share of the count and rate; one receiver checks them all.
//!
//! Here: the configuration, [`start`], [`start_flows`] and [`RunHandle`]; the loops are in `sender`,
//! `receiver` and `reflector` ([`Reflector`]); threads are pinned with `crate::sys::cpu`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::checker::Counts;
use super::ends::{FrameSink, FrameSource, Tap};
use super::flows::{FlowCounts, FlowSet, FlowsConfig, FlowsError, Layout};
use super::latency::LatencyHist;
use super::noise::NoiseFilter;
use super::report::{FlowResult, Report, RunResults, SizeResult, ThreadResult};
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
    /// Seen-seq window of the checker (shared out between the flows, at least 64 each).
    pub window: u64,
    /// The flows and frame sizes (default: one flow, the template's size).
    pub flows: FlowsConfig,
    /// Sender threads, each with its own sink, the flows split between them (1..=64;
    /// throughput mode only).
    pub threads: usize,
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
            flows: FlowsConfig::default(),
            threads: 1,
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
        if self.threads > 1 && self.mode.one_in_flight() {
            return Err(FlowsError::ThreadsOneInFlight {
                threads: self.threads,
            }
            .into());
        }
        let flows = self.flows.flow_count()?;
        if self.threads == 0 || self.threads > 64 || self.threads as u64 > flows as u64 {
            return Err(FlowsError::FewerFlowsThanThreads {
                threads: self.threads,
                flows,
            }
            .into());
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
    /// Per sender thread: its next frame number ([`Layout`]): frames below are valid
    /// (published before each send).
    stamped: Vec<Arc<AtomicU64>>,
    sent: AtomicU64,
    intact: AtomicU64,
    /// latency/rtt: highest seq the receiver has seen + 1.
    answered: AtomicU64,
    /// latency: the kernel receive timestamp of the latest frame answered (stored before
    /// `answered`), for the path figure.
    last_rx_ns: AtomicU64,
    /// latency: every this many frames one asks for its kernel TX timestamp (the path
    /// figure) and is left out of the user-to-kernel histogram; 0 when none does (set by the
    /// sender before its first frame).
    path_every: AtomicU64,
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
    /// The thread's own frames (the others' are in their own TxDone).
    duration: Duration,
    /// Frames the kernel dropped on transmit (see [`FrameSink::tx_drops`]).
    tx_drops: u64,
    /// The error that ended the sending early, if any.
    error: Option<HarnessError>,
    /// latency: the kernel's TX software timestamp to the RX one, per frame.
    path: Option<LatencyHist>,
}

struct RxDone {
    counts: Counts,
    flows: Vec<FlowCounts>,
    /// p99 latency of each flow, ns.
    flow_p99_ns: Vec<Option<u64>>,
    per_size: Vec<u64>,
    hist: LatencyHist,
    noise: u64,
    kernel_drops: u64,
    /// The error that ended the receiving early, if any.
    error: Option<HarnessError>,
}

/// A running stream. Dropping it without [`RunHandle::wait`] stops and detaches the threads.
#[derive(Debug)]
pub struct RunHandle {
    tx: Vec<JoinHandle<Result<TxDone, HarnessError>>>,
    set: Arc<FlowSet>,
    layout: Layout,
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
/// on the peer. `tap`, if any, sees every received frame (noise included). With
/// `cfg.flows`, the flows vary `template`'s fields (its size only: other sizes need
/// [`start_flows`] with a [`FlowSet`] built from the default frame); one sender thread.
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
    let set = if cfg.flows == FlowsConfig::default() {
        FlowSet::single(template)
    } else {
        if !cfg.flows.sizes.is_empty() {
            return Err(FlowsError::SizesNeedDefaultFrame.into());
        }
        let base = template.bytes().to_vec();
        FlowSet::build(
            &cfg.flows,
            base.len(),
            &|_| base.clone(),
            template.stream_id(),
        )?
    };
    start_flows(cfg, set, vec![Box::new(tx)], rx, tap)
}

/// Start a run of `cfg` sending the frames of `set`, one sender thread per sink in `sinks`
/// (`cfg.threads` of them), checked on `rx`. See [`start`].
pub fn start_flows<Rx>(
    cfg: StreamConfig,
    set: FlowSet,
    sinks: Vec<Box<dyn FrameSink + Send>>,
    rx: Rx,
    tap: Option<Box<dyn Tap + Send>>,
) -> Result<RunHandle, HarnessError>
where
    Rx: FrameSource + Send + 'static,
{
    cfg.check()?;
    let threads = sinks.len();
    if threads != cfg.threads || set.flows() < threads as u32 {
        return Err(FlowsError::FewerFlowsThanThreads {
            threads,
            flows: set.flows(),
        }
        .into());
    }
    let set = Arc::new(set);
    let layout = Layout {
        threads,
        flows: set.flows(),
    };
    let shared = Arc::new(Shared {
        stamped: (0..threads).map(|_| Arc::new(AtomicU64::new(0))).collect(),
        ..Shared::default()
    });
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<Result<(), ConfigError>>(threads);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<u64>(threads);
    let (thread_tx, thread_rx) = crossbeam_channel::bounded::<Thread>(threads);
    let tx_name = sinks[0].name().to_string();
    let rx_name = rx.name().to_string();
    let frame_len = set.sizes()[0];

    let rx_handle = {
        let (cfg, shared, set) = (cfg.clone(), shared.clone(), set.clone());
        let recv = receiver::Receiving {
            ready: ready_tx,
            done: done_rx,
            sender_thread: thread_rx,
            threads,
        };
        thread::Builder::new()
            .name("vethbench-rx".into())
            .spawn(move || receiver(cfg, set, layout, rx, tap, shared, recv))
            .map_err(|source| HarnessError::Spawn {
                thread: "receiver",
                source,
            })?
    };
    let mut tx_handles = Vec::with_capacity(threads);
    for (t, tx) in sinks.into_iter().enumerate() {
        let (cfg, shared, set) = (cfg.clone(), shared.clone(), set.clone());
        let (ready_rx, done_tx, thread_tx) = (ready_rx.clone(), done_tx.clone(), thread_tx.clone());
        let h = thread::Builder::new()
            .name(format!("vethbench-tx{t}"))
            .spawn(move || {
                // The receiver unparks this thread in latency/rtt mode.
                let _ = thread_tx.send(thread::current());
                let mut tx = tx;
                let who = sender::Who { t, layout };
                let r = sender(&cfg, &set, who, &mut tx, &shared, ready_rx);
                // Always tell the receiver, even after an error, so it stops.
                let mine = r.as_ref().map_or(0, |d| d.sent);
                let _ = done_tx.send(mine);
                // Only then close the socket: closing a packet socket waits for an RCU grace
                // period (~15 ms here), which the receiver need not wait for.
                drop(tx);
                r
            })
            .map_err(|source| HarnessError::Spawn {
                thread: "sender",
                source,
            })?;
        tx_handles.push(h);
    }
    Ok(RunHandle {
        tx: tx_handles,
        set,
        layout,
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
        self.tx.iter().all(|h| h.is_finished()) && self.rx.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Ask the sender to stop early (e.g. on Ctrl-C); the receiver still drains.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }

    /// Wait for the threads and build the report.
    pub fn wait(mut self) -> Result<Report, HarnessError> {
        let tx: Vec<_> = self.tx.drain(..).map(|h| h.join()).collect();
        let rx = self.rx.take().map(|h| h.join());
        let mut txs = Vec::with_capacity(tx.len());
        for r in tx {
            match r {
                Ok(r) => txs.push(r?),
                Err(_) => return Err(HarnessError::Thread("sender")),
            }
        }
        let rx = match rx {
            Some(Ok(r)) => r?,
            _ => return Err(HarnessError::Thread("receiver")),
        };
        let first_err = txs.iter().find_map(|t| t.error.as_ref());
        let error = first_err
            .or(rx.error.as_ref())
            .map(|e| crate::error::chain(e));
        let sent: u64 = txs.iter().map(|t| t.sent).sum();
        let tx_drops: u64 = txs.iter().map(|t| t.tx_drops).sum();
        let duration = txs.iter().map(|t| t.duration).max().unwrap_or_default();
        let multi = self.set.flows() > 1 || self.set.sizes().len() > 1 || txs.len() > 1;
        let (flows, sizes, threads) = if multi {
            self.breakdown(&txs, &rx)
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let mut report = Report::new(RunResults {
            mode: self.cfg.mode.name().to_string(),
            tx_iface: Some(self.tx_name.clone()),
            rx_iface: Some(self.rx_name.clone()),
            frame_len: self.frame_len,
            sent,
            counts: rx.counts,
            noise: rx.noise,
            kernel_drops: rx.kernel_drops + tx_drops,
            tx_drops,
            duration_s: duration.as_secs_f64(),
            rtt: self.cfg.mode == Mode::Rtt,
            latency: rx.hist.summary(),
            path_latency: txs
                .iter()
                .find_map(|t| t.path.as_ref())
                .and_then(LatencyHist::summary),
            flows,
            sizes,
            threads,
        });
        if let Some(e) = error {
            report.set_error(e);
        }
        Ok(report)
    }

    /// The per-flow, per-size and per-thread rows of the report.
    fn breakdown(
        &self,
        txs: &[TxDone],
        rx: &RxDone,
    ) -> (Vec<FlowResult>, Vec<SizeResult>, Vec<ThreadResult>) {
        let l = self.layout;
        let flows = (0..self.set.flows())
            .map(|f| {
                let c = rx.flows[f as usize];
                let t = f as usize % l.threads;
                let sent = l.sent_of(f, txs[t].sent);
                let k = self.set.key(f);
                FlowResult {
                    flow: f,
                    src_ip: k.src_ip.map(|a| a.to_string()),
                    dst_ip: k.dst_ip.map(|a| a.to_string()),
                    sport: k.sport,
                    dport: k.dport,
                    thread: t,
                    sent,
                    intact: c.intact,
                    lost: sent.saturating_sub(c.intact + c.corrupted),
                    reordered: c.reordered,
                    duplicated: c.duplicated,
                    corrupted: c.corrupted,
                    p99_us: rx.flow_p99_ns[f as usize].map(|n| n as f64 / 1e3),
                }
            })
            .collect();
        let weights = self.set.weights();
        let sizes = self
            .set
            .sizes()
            .iter()
            .enumerate()
            .map(|(i, &len)| SizeResult {
                len,
                weight: weights[i],
                intact: rx.per_size[i],
            })
            .collect();
        let threads = txs
            .iter()
            .enumerate()
            .map(|(t, d)| ThreadResult {
                thread: t,
                flows: l.flows_of(t),
                sent: d.sent,
                duration_s: d.duration.as_secs_f64(),
                tx_pps: if d.duration.is_zero() {
                    0.0
                } else {
                    d.sent as f64 / d.duration.as_secs_f64()
                },
            })
            .collect();
        (flows, sizes, threads)
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
