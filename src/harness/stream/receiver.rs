//! The receiver thread's loop: poll the source, tap every frame, skip noise, check each frame
//! against the template, record latency, and wake the sender when one frame is in flight.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::sender::is_path_sample;
use super::{pin_current_thread, RxDone, Shared, StreamConfig};
use crate::harness::checker::Class;
use crate::harness::ends::{FrameSource, Tap};
use crate::harness::flows::{FlowChecker, FlowSet, Layout};
use crate::harness::latency::LatencyHist;
use crate::harness::stamp;
use crate::harness::{ConfigError, HarnessError};

/// The receiver's hand-offs with the sender threads.
pub(super) struct Receiving {
    /// Told once per sender thread that the receiver is ready (or why it cannot be).
    pub ready: Sender<Result<(), ConfigError>>,
    /// Each sender thread's frame count, when it is done.
    pub done: Receiver<u64>,
    pub sender_thread: Receiver<Thread>,
    pub threads: usize,
}

pub(super) fn receiver<Rx: FrameSource>(
    cfg: StreamConfig,
    set: Arc<FlowSet>,
    layout: Layout,
    mut source: Rx,
    mut tap: Option<Box<dyn Tap + Send>>,
    shared: Arc<Shared>,
    recv: Receiving,
) -> Result<RxDone, HarnessError> {
    let Receiving {
        ready,
        done,
        sender_thread,
        threads,
    } = recv;
    if let Some(c) = cfg.cpu_rx {
        if let Err(e) = pin_current_thread(c) {
            for _ in 0..threads {
                let _ = ready.send(Err(e.clone()));
            }
            return Err(e.into());
        }
    }
    let stamp_off = set.stamp_off();
    let stream_id = set.stream_id();
    let mut checker = FlowChecker::new(set, layout, shared.stamped.clone(), cfg.window);
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
    for _ in 0..threads {
        let _ = ready.send(Ok(()));
    }
    let tick = if cfg.busy_poll {
        Duration::ZERO
    } else {
        Duration::from_millis(5)
    };
    let mut sent_total: Option<u64> = None;
    // Frames the sender threads that are done sent, and how many are done.
    let (mut sent_so_far, mut senders_done) = (0u64, 0usize);
    let mut drain_end = None;
    let mut error = None;
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
            if let Some((st, flow, _, g)) = st {
                let path_every = shared.path_every.load(Ordering::Relaxed);
                if class.is_first_intact() && !is_path_sample(path_every, g) {
                    hist.record(st.tx_ns, meta.ts_ns);
                    checker.record_latency(flow, meta.ts_ns.saturating_sub(st.tx_ns));
                }
                if one_in_flight && class != Class::Unexpected {
                    shared.last_rx_ns.store(meta.ts_ns, Ordering::Release);
                    shared.answered.fetch_max(g + 1, Ordering::AcqRel);
                    if let Some(t) = &sender_thread {
                        t.unpark();
                    }
                }
            }
        });
        if let Err(e) = r {
            // Mid-run (the interface deleted, say): stop the sender and report what arrived.
            shared.stop.store(true, Ordering::Release);
            error = Some(e);
            break;
        }
        let c = checker.counts();
        shared.intact.store(c.intact, Ordering::Relaxed);
        while sent_total.is_none() {
            match done.try_recv() {
                Ok(n) => {
                    sent_so_far += n;
                    senders_done += 1;
                    if senders_done == threads {
                        sent_total = Some(sent_so_far);
                        drain_end = Some(Instant::now() + cfg.drain);
                    }
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    sent_total = Some(shared.sent.load(Ordering::Acquire));
                    drain_end = Some(Instant::now() + cfg.drain);
                }
                Err(crossbeam_channel::TryRecvError::Empty) => break,
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
        flows: checker.flow_counts(),
        flow_p99_ns: (0..layout.flows)
            .map(|f| checker.flow_quantile_ns(f, 0.99))
            .collect(),
        per_size: checker.per_size().to_vec(),
        hist,
        noise,
        // After an error the counters may be gone with the interface.
        kernel_drops: match (source.kernel_drops(), &error) {
            (Ok(n), _) => n,
            (Err(_), Some(_)) => 0,
            (Err(e), None) => return Err(e),
        },
        error,
    })
}
