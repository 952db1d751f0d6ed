//! The receiver thread's loop: poll the source, tap every frame, skip noise, check each frame
//! against the template, record latency, and wake the sender when one frame is in flight.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::{pin_current_thread, RxDone, Shared, StreamConfig};
use crate::harness::checker::{Checker, Class};
use crate::harness::ends::{FrameSource, Tap};
use crate::harness::latency::LatencyHist;
use crate::harness::stamp::{self, StampedTemplate};
use crate::harness::{ConfigError, HarnessError};

#[allow(clippy::too_many_arguments)]
pub(super) fn receiver<Rx: FrameSource>(
    cfg: StreamConfig,
    template: StampedTemplate,
    mut source: Rx,
    mut tap: Option<Box<dyn Tap + Send>>,
    shared: Arc<Shared>,
    ready: Sender<Result<(), ConfigError>>,
    done: Receiver<u64>,
    sender_thread: Receiver<Thread>,
) -> Result<RxDone, HarnessError> {
    if let Some(c) = cfg.cpu_rx {
        if let Err(e) = pin_current_thread(c) {
            let _ = ready.send(Err(e.clone()));
            return Err(e.into());
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
            // Mid-run (the interface deleted, say): stop the sender and report what arrived.
            shared.stop.store(true, Ordering::Release);
            error = Some(e);
            break;
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
        // After an error the counters may be gone with the interface.
        kernel_drops: match (source.kernel_drops(), &error) {
            (Ok(n), _) => n,
            (Err(_), Some(_)) => 0,
            (Err(e), None) => return Err(e),
        },
        error,
    })
}
