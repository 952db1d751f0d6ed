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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use serde::{Deserialize, Serialize};

use super::checker::{Checker, Class, Counts};
use super::ends::{FrameSink, FrameSource, Tap};
use super::latency::LatencyHist;
use super::noise::NoiseFilter;
use super::report::{Report, RunResults};
use super::stamp::{self, now_realtime_ns, Template};
use super::HarnessError;

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
        let bad = |s: String| Err(HarnessError::Config(s));
        if self.count.is_none() && self.duration.is_none() {
            return bad("give a frame count or a duration".into());
        }
        if self.count == Some(0) {
            return bad("the frame count must be at least 1".into());
        }
        if self.duration.is_some_and(|d| d.is_zero()) {
            return bad("the duration must be positive".into());
        }
        if let Some(r) = self.rate_pps {
            if !(r.is_finite() && r > 0.0) {
                return bad(format!(
                    "the rate must be a positive number of frames/s, not {r}"
                ));
            }
        }
        if self.batch == 0 || self.batch > MAX_STREAM_BATCH {
            return bad(format!(
                "the batch must be 1..={MAX_STREAM_BATCH}, not {}",
                self.batch
            ));
        }
        for c in [self.cpu_tx, self.cpu_rx].into_iter().flatten() {
            crate::sys::cpu::check_allowed(c).map_err(|e| HarnessError::Config(e.to_string()))?;
        }
        Ok(())
    }
}

/// Pin the calling thread to one CPU (a stream thread: the error is a configuration one).
fn pin_current_thread(cpu: usize) -> Result<(), HarnessError> {
    crate::sys::cpu::pin_current_thread(cpu).map_err(|e| HarnessError::Config(e.to_string()))
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
}

struct RxDone {
    counts: Counts,
    hist: LatencyHist,
    noise: u64,
    kernel_drops: u64,
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
    template: Template,
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
    let (ready_tx, ready_rx) = crossbeam_channel::bounded::<Result<(), String>>(1);
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
            .map_err(|e| HarnessError::Setup(format!("spawning the receiver thread: {e}")))?
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
            .map_err(|e| HarnessError::Setup(format!("spawning the sender thread: {e}")))?
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
        Ok(Report::new(RunResults {
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
        }))
    }
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Wait until `deadline`: sleep while it is far, spin the last 200 µs (sleep granularity).
#[inline]
fn wait_until(deadline: Instant) {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > Duration::from_micros(200) {
            thread::sleep(left - Duration::from_micros(100));
        } else {
            std::hint::spin_loop();
        }
    }
}

fn sender<Tx: FrameSink>(
    cfg: &StreamConfig,
    template: &Template,
    sink: &mut Tx,
    shared: &Shared,
    ready: Receiver<Result<(), String>>,
) -> Result<TxDone, HarnessError> {
    if let Some(c) = cfg.cpu_tx {
        pin_current_thread(c)?;
    }
    let batch = if cfg.mode.one_in_flight() {
        1
    } else {
        cfg.batch
    };
    match ready.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(HarnessError::Setup(format!("receiver: {e}"))),
        Err(_) => return Err(HarnessError::Thread("receiver")),
    }
    let count = cfg.count.unwrap_or(u64::MAX);
    let period_ns = cfg.rate_pps.map(|r| 1e9 / r);
    let start = Instant::now();
    let end = cfg.duration.map(|d| start + d);
    let mut seq = 0u64;
    while seq < count && !shared.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            break;
        }
        let mut n = (batch as u64).min(count - seq);
        if let Some(p) = period_ns {
            // Frames whose absolute deadline has passed; wait for the next one if none has.
            let elapsed = (now - start).as_nanos() as f64;
            let due = (elapsed / p) as u64 + 1;
            if due <= seq {
                wait_until(start + Duration::from_nanos((seq as f64 * p) as u64));
                continue;
            }
            n = n.min(due - seq);
        }
        let n = n as usize;
        shared.stamped.store(seq + n as u64, Ordering::Release);
        let tx_ns = now_realtime_ns();
        let mut off = 0;
        let mut spins = 0u32;
        while off < n {
            // Frames `seq + off..seq + n`, stamped in the sink's own slots (slot i: frame
            // `first + i`); a retry stamps the rest again, with the same tx_ns.
            let first = seq + off as u64;
            let k = sink.send_filled(n - off, &mut |i, slot, fresh| {
                template.fill_slot(slot, fresh, first + i as u64, tx_ns)
            })?;
            off += k;
            if k == 0 {
                // Transmit queue full: back off briefly, unless told to stop.
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                spins += 1;
                if spins > 64 {
                    thread::yield_now();
                } else {
                    std::hint::spin_loop();
                }
            }
        }
        seq += off as u64;
        shared.sent.store(seq, Ordering::Release);
        if cfg.mode.one_in_flight() && off > 0 {
            let want = seq;
            let give_up = Instant::now() + cfg.inflight_timeout;
            while shared.answered.load(Ordering::Acquire) < want {
                let now = Instant::now();
                if now >= give_up || shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                if cfg.busy_poll {
                    std::hint::spin_loop();
                } else {
                    thread::park_timeout(give_up - now);
                }
            }
        }
    }
    Ok(TxDone {
        sent: seq,
        duration: start.elapsed(),
        tx_drops: sink.tx_drops(),
    })
}

#[allow(clippy::too_many_arguments)]
fn receiver<Rx: FrameSource>(
    cfg: StreamConfig,
    template: Template,
    mut source: Rx,
    mut tap: Option<Box<dyn Tap + Send>>,
    shared: Arc<Shared>,
    ready: Sender<Result<(), String>>,
    done: Receiver<u64>,
    sender_thread: Receiver<Thread>,
) -> Result<RxDone, HarnessError> {
    if let Some(c) = cfg.cpu_rx {
        if let Err(e) = pin_current_thread(c) {
            let _ = ready.send(Err(e.to_string()));
            return Err(e);
        }
    }
    let stamp_off = template.stamp_off();
    let stream_id = template.stream_id();
    let mut checker = Checker::with_shared_limit(template, shared.stamped.clone(), cfg.window);
    let mut hist = LatencyHist::new();
    let mut noise = 0u64;
    let one_in_flight = cfg.mode.one_in_flight();
    let sender_thread = if one_in_flight {
        sender_thread.recv().ok()
    } else {
        None
    };
    let mut tap_err: Option<HarnessError> = None;
    // The source was bound before `start`: from here on nothing sent can be missed.
    let _ = ready.send(Ok(()));
    let tick = if cfg.busy_poll {
        Duration::ZERO
    } else {
        Duration::from_millis(5)
    };
    let mut sent_total: Option<u64> = None;
    let mut drain_end = None;
    loop {
        let r = source.poll(tick, &mut |frame, meta| {
            if let Some(t) = tap.as_mut() {
                if tap_err.is_none() {
                    if let Err(e) = t.record(0, frame, meta) {
                        tap_err = Some(e);
                    }
                }
            }
            // Our frames skip the (parsing) noise check.
            let ours = stamp::parse(frame, stamp_off).is_some_and(|s| s.stream_id == stream_id);
            if !ours && cfg.noise.is_noise(frame) {
                noise += 1;
                return;
            }
            let (class, st) = checker.check(frame);
            if let Some(st) = st {
                if class.is_first_intact() {
                    hist.record(st.tx_ns, meta.ts_ns);
                }
                if one_in_flight && class != Class::Unexpected {
                    shared.answered.fetch_max(st.seq + 1, Ordering::AcqRel);
                    if let Some(t) = &sender_thread {
                        t.unpark();
                    }
                }
            }
        });
        if let Err(e) = r {
            shared.stop.store(true, Ordering::Release);
            return Err(e);
        }
        let c = checker.counts();
        shared.intact.store(c.intact, Ordering::Relaxed);
        if sent_total.is_none() {
            match done.try_recv() {
                Ok(n) => {
                    sent_total = Some(n);
                    drain_end = Some(Instant::now() + cfg.drain);
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    sent_total = Some(shared.sent.load(Ordering::Acquire));
                    drain_end = Some(Instant::now() + cfg.drain);
                }
                Err(crossbeam_channel::TryRecvError::Empty) => {}
            }
        }
        if let (Some(n), Some(end)) = (sent_total, drain_end) {
            if c.intact + c.corrupted >= n || Instant::now() >= end {
                break;
            }
        }
    }
    if let Some(t) = tap.as_mut() {
        let r = t.finish();
        if let Some(e) = tap_err {
            return Err(e);
        }
        r?;
    }
    Ok(RxDone {
        counts: checker.counts(),
        hist,
        noise,
        kernel_drops: source.kernel_drops()?,
    })
}

/// Echoes every frame its source receives back out of its sink (the peer side of rtt mode),
/// on its own thread, until dropped.
#[derive(Debug)]
pub struct Reflector {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Result<u64, HarnessError>>>,
}

impl Reflector {
    /// Start echoing. `cpu` pins the reflector thread.
    pub fn start<S, K>(
        mut source: S,
        mut sink: K,
        cpu: Option<usize>,
        busy_poll: bool,
    ) -> Result<Self, HarnessError>
    where
        S: FrameSource + Send + 'static,
        K: FrameSink + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let handle = thread::Builder::new()
            .name("vethbench-reflect".into())
            .spawn(move || {
                if let Some(c) = cpu {
                    pin_current_thread(c)?;
                }
                let tick = if busy_poll {
                    Duration::ZERO
                } else {
                    Duration::from_millis(5)
                };
                let mut echoed = 0u64;
                let mut err = None;
                while !s2.load(Ordering::Acquire) && err.is_none() {
                    source.poll(tick, &mut |frame, _| {
                        if err.is_some() {
                            return;
                        }
                        // One frame at a time: retry while the queue is full.
                        loop {
                            match sink.send_batch(&[frame]) {
                                Ok(0) => std::hint::spin_loop(),
                                Ok(_) => break,
                                Err(e) => {
                                    err = Some(e);
                                    break;
                                }
                            }
                        }
                        echoed += 1;
                    })?;
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(echoed),
                }
            })
            .map_err(|e| HarnessError::Setup(format!("spawning the reflector thread: {e}")))?;
        Ok(Reflector {
            stop,
            handle: Some(handle),
        })
    }

    /// Stop and return how many frames were echoed.
    pub fn finish(mut self) -> Result<u64, HarnessError> {
        self.stop.store(true, Ordering::Release);
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(r)) => r,
            _ => Err(HarnessError::Thread("reflector")),
        }
    }
}

impl Drop for Reflector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ends::mem;
    use crate::harness::report::Verdict;
    use crate::harness::stamp::tests::udp4;

    fn template() -> Template {
        Template::new(udp4(64), 9).unwrap()
    }

    fn cfg(count: u64) -> StreamConfig {
        StreamConfig {
            count: Some(count),
            drain: Duration::from_millis(50),
            ..StreamConfig::default()
        }
    }

    fn run(cfg: StreamConfig, fault: Option<mem::Fault>) -> Report {
        let (tx, rx) = mem::wire("m", fault);
        start(cfg, template(), tx, rx, None)
            .unwrap()
            .wait()
            .unwrap()
    }

    #[test]
    fn clean_throughput_run_passes() {
        let r = run(cfg(5000), None);
        assert_eq!(r.verdict, Verdict::Passed, "{r}");
        assert_eq!((r.sent, r.intact, r.lost), (5000, 5000, 0));
        assert_eq!(r.latency.unwrap().samples, 5000);
    }

    #[test]
    fn short_sends_are_retried() {
        let (mut tx, rx) = mem::wire("m", None);
        tx.max_per_call = 3;
        let r = start(cfg(1000), template(), tx, rx, None)
            .unwrap()
            .wait()
            .unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!(r.sent, 1000);
    }

    /// The sender stamps in the sink's slots: slots the sink lends fresh (never lent, or written
    /// by the sink since) get the whole template again, whatever the batch size of the call
    /// (short sends, paced runs) and whichever seq a slot held before.
    #[test]
    fn lent_slots_are_rewritten_when_fresh() {
        for (max_per_call, scribble_every, rate_pps) in [
            (usize::MAX, 1, None),
            (usize::MAX, 3, None),
            (5, 2, None),
            (7, 5, Some(50_000.0)),
        ] {
            let (mut tx, rx) = mem::wire("m", None);
            tx.max_per_call = max_per_call;
            tx.scribble_every = scribble_every;
            let c = StreamConfig {
                rate_pps,
                batch: 16,
                ..cfg(1000)
            };
            let r = start(c, template(), tx, rx, None).unwrap().wait().unwrap();
            assert!(
                r.passed(),
                "{max_per_call} {scribble_every} {rate_pps:?}: {r}"
            );
            assert_eq!((r.sent, r.intact), (1000, 1000));
        }
        // Latency mode: one frame per call, through the same slots.
        let (mut tx, rx) = mem::wire("m", None);
        tx.scribble_every = 4;
        let c = StreamConfig {
            mode: Mode::Latency,
            ..cfg(100)
        };
        let r = start(c, template(), tx, rx, None).unwrap().wait().unwrap();
        assert!(r.passed(), "{r}");
    }

    /// A filler that ignored `fresh` would send what a fresh slot holds: the test above would
    /// see it (the mem sink's fresh slots are garbage, not a stale frame).
    #[test]
    fn mem_sink_fresh_slots_are_garbage() {
        let (mut tx, mut rx) = mem::wire("m", None);
        tx.scribble_every = 2;
        let t = template();
        let mut fresh_seen = Vec::new();
        for _ in 0..3 {
            let k = tx
                .send_filled(2, &mut |i, slot, fresh| {
                    fresh_seen.push(fresh);
                    t.stamp(&mut slot[..t.len()], i as u64, 1);
                    t.len()
                })
                .unwrap();
            assert_eq!(k, 2);
        }
        assert_eq!(fresh_seen, [true, true, true, true, false, false]);
        let mut got = Vec::new();
        rx.poll(Duration::ZERO, &mut |f, _| got.push(f.to_vec()))
            .unwrap();
        assert_eq!(got.len(), 6);
        assert_eq!(got[0][0], mem::SCRIBBLE);
        assert_eq!(stamp::parse(&got[0], t.stamp_off()), None);
    }

    /// A template larger than the sink's slots stops the run with an error, nothing sent.
    #[test]
    fn a_frame_over_the_slot_size_is_an_error() {
        let (mut tx, rx) = mem::wire("m", None);
        tx.slot_size = template().len() - 1;
        let e = start(cfg(10), template(), tx, rx, None)
            .unwrap()
            .wait()
            .unwrap_err();
        assert!(e.to_string().contains("exceeds the"), "{e}");
    }

    #[test]
    fn faults_are_reported() {
        // Drop 1 in 100, duplicate frame 5, corrupt frame 7, swap 10 and 11, inject garbage.
        let mut held: Option<Vec<u8>> = None;
        let fault: mem::Fault = Box::new(move |n, f| {
            let f = f.to_vec();
            match n {
                _ if n % 100 == 50 => vec![],
                5 => vec![f.clone(), f],
                7 => {
                    let mut c = f;
                    let last = c.len() - 1;
                    c[last] ^= 1;
                    vec![c]
                }
                10 => {
                    held = Some(f);
                    vec![]
                }
                11 => vec![f, held.take().unwrap()],
                12 => vec![f, vec![0xff; 60]],
                _ => vec![f],
            }
        });
        let r = run(cfg(1000), Some(fault));
        assert_eq!(r.verdict, Verdict::Failed);
        assert_eq!(r.sent, 1000);
        assert_eq!(r.lost, 10, "{r}");
        assert_eq!(r.duplicated, 1, "{r}");
        assert_eq!(r.corrupted, 1, "{r}");
        assert_eq!(r.reordered, 1, "{r}");
        assert_eq!(r.unexpected, 1, "{r}");
        assert_eq!(
            r.received,
            r.intact + r.duplicated + r.corrupted + r.unexpected
        );
        assert_eq!(r.sent, r.intact + r.corrupted + r.lost);
    }

    #[test]
    fn noise_is_counted_apart() {
        let mut lldp = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc];
        lldp.extend([0; 46]);
        let fault: mem::Fault = Box::new(move |n, f| {
            if n == 3 {
                vec![lldp.clone(), f.to_vec()]
            } else {
                vec![f.to_vec()]
            }
        });
        let r = run(cfg(100), Some(fault));
        assert!(r.passed(), "{r}");
        assert_eq!(r.noise, 1);
    }

    #[test]
    fn paced_run_takes_about_count_over_rate() {
        let c = StreamConfig {
            rate_pps: Some(20_000.0),
            ..cfg(2000)
        };
        let r = run(c, None);
        assert!(r.passed(), "{r}");
        // 2000 frames at 20 kpps: the last deadline is at 99.95 ms; never earlier.
        assert!(r.duration_s >= 0.0995, "{}", r.duration_s);
        assert!(r.tx_pps <= 20_100.0, "{}", r.tx_pps);
    }

    #[test]
    fn duration_bounds_the_run() {
        let c = StreamConfig {
            count: None,
            duration: Some(Duration::from_millis(50)),
            rate_pps: Some(10_000.0),
            ..cfg(1)
        };
        let r = run(c, None);
        assert!(r.passed(), "{r}");
        assert!(r.sent > 0 && r.sent <= 501, "{}", r.sent);
    }

    #[test]
    fn latency_mode_one_in_flight_and_loss_times_out() {
        let fault: mem::Fault = Box::new(|n, f| if n == 3 { vec![] } else { vec![f.to_vec()] });
        let c = StreamConfig {
            mode: Mode::Latency,
            inflight_timeout: Duration::from_millis(20),
            ..cfg(50)
        };
        let r = run(c, Some(fault));
        assert_eq!(r.sent, 50);
        assert_eq!(r.lost, 1, "{r}");
        assert_eq!(r.latency.unwrap().samples, 49);
    }

    #[test]
    fn rtt_mode_through_a_reflector() {
        let (a_tx, b_rx) = mem::wire("ab", None);
        let (b_tx, a_rx) = mem::wire("ba", None);
        let refl = Reflector::start(b_rx, b_tx, None, false).unwrap();
        let c = StreamConfig {
            mode: Mode::Rtt,
            ..cfg(200)
        };
        let r = start(c, template(), a_tx, a_rx, None)
            .unwrap()
            .wait()
            .unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!(r.latency_kind, "rtt");
        assert_eq!(refl.finish().unwrap(), 200);
    }

    #[test]
    fn bad_configs_are_rejected() {
        for c in [
            StreamConfig {
                count: None,
                ..cfg(1)
            },
            StreamConfig {
                count: Some(0),
                ..cfg(1)
            },
            StreamConfig {
                rate_pps: Some(0.0),
                ..cfg(1)
            },
            StreamConfig { batch: 0, ..cfg(1) },
            StreamConfig {
                batch: MAX_STREAM_BATCH + 1,
                ..cfg(1)
            },
            StreamConfig {
                cpu_tx: Some(1 << 20),
                ..cfg(1)
            },
        ] {
            assert!(matches!(c.check(), Err(HarnessError::Config(_))), "{c:?}");
        }
    }

    struct CountTap(Arc<AtomicU64>);
    impl Tap for CountTap {
        fn record(&mut self, _: usize, _: &[u8], _: &super::super::RxMeta) -> Result<(), HarnessError> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        fn finish(&mut self) -> Result<(), HarnessError> {
            Ok(())
        }
    }

    #[test]
    fn tap_sees_every_frame() {
        let n = Arc::new(AtomicU64::new(0));
        let (tx, rx) = mem::wire("m", None);
        let r = start(
            cfg(300),
            template(),
            tx,
            rx,
            Some(Box::new(CountTap(n.clone()))),
        )
        .unwrap()
        .wait()
        .unwrap();
        assert!(r.passed());
        assert_eq!(n.load(Ordering::Relaxed), 300);
    }
}
