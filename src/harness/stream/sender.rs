//! The sender thread's loop: stamp copies of the template in the sink's slots and send them,
//! batched (throughput, optionally paced against absolute deadlines) or one in flight
//! (latency, rtt).

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::{pin_current_thread, Shared, StreamConfig, TxDone};
use crate::harness::ends::FrameSink;
use crate::harness::flows::{stamp_seq, FlowSet, Layout};
use crate::harness::latency::LatencyHist;
use crate::harness::stamp::now_realtime_ns;
use crate::harness::{ConfigError, HarnessError};

/// Wait until `deadline`, or until `stop` is set or `end` (the run's `--duration`) passes,
/// whichever comes first: sleep while the deadline is far (5 ms at a time at most, so a stop is
/// noticed within that whatever the rate), spin the last 200 µs (sleep granularity).
#[inline]
fn wait_until(deadline: Instant, end: Option<Instant>, stop: &AtomicBool) {
    let deadline = end.map_or(deadline, |e| e.min(deadline));
    loop {
        let now = Instant::now();
        if now >= deadline || stop.load(Ordering::Relaxed) {
            return;
        }
        let left = deadline - now;
        if left > Duration::from_micros(200) {
            thread::sleep((left - Duration::from_micros(100)).min(Duration::from_millis(5)));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Latency mode: one frame in this many asks for its kernel transmit timestamp (the path
/// figure); the others leave without it.
pub(super) const PATH_EVERY: u64 = 8;

/// Frame `seq` is one of the path figure's (given `every`, 0: none is).
#[inline]
pub(super) fn is_path_sample(every: u64, seq: u64) -> bool {
    every != 0 && seq % every == every - 1
}

/// Which sender this is: thread `t` of `layout`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Who {
    pub t: usize,
    pub layout: Layout,
}

/// Thread `who.t`'s share of `total`: `total / threads`, the first `total % threads` one more.
fn share(total: u64, who: Who) -> u64 {
    let k = who.layout.threads as u64;
    total / k + u64::from((who.t as u64) < total % k)
}

pub(super) fn sender<Tx: FrameSink>(
    cfg: &StreamConfig,
    set: &FlowSet,
    who: Who,
    sink: &mut Tx,
    shared: &Shared,
    ready: Receiver<Result<(), ConfigError>>,
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
        Ok(Err(e)) => return Err(HarnessError::ReceiverConfig(e)),
        Err(_) => return Err(HarnessError::Thread("receiver")),
    }
    let count = cfg.count.map_or(u64::MAX, |c| share(c, who));
    let threads = who.layout.threads as f64;
    let period_ns = cfg.rate_pps.map(|r| 1e9 * threads / r);
    let stamped = &shared.stamped[who.t];
    let single = set.is_single();
    let template = set.first();
    let start = Instant::now();
    let end = cfg.duration.map(|d| start + d);
    let mut seq = 0u64;
    let mut error = None;
    // Latency mode: the path's own latency, the kernel's TX software stamp to the RX stamp,
    // of every PATH_EVERY-th frame (the receiver leaves those out of the user-to-kernel
    // figure: the stamp has a cost of its own in the device).
    let mut path =
        (cfg.mode == super::Mode::Latency && sink.enable_tx_stamps()).then(LatencyHist::new);
    if path.is_some() {
        shared.path_every.store(PATH_EVERY, Ordering::Release);
    }
    while seq < count && !shared.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            break;
        }
        let mut n = (batch as u64).min(count - seq);
        if let Some(p) = period_ns {
            // Frames whose absolute deadline has passed; wait for the next one if none has.
            let elapsed = (now - start).as_nanos() as f64;
            // Saturating: at a rate so high that the quotient is infinite (1e27 pps) every
            // frame is due, i.e. as fast as possible, as in `send`.
            let due = ((elapsed / p) as u64).saturating_add(1);
            if due <= seq {
                let at = Duration::from_nanos((seq as f64 * p).min(1e18) as u64);
                wait_until(start + at, end, &shared.stop);
                continue;
            }
            n = n.min(due - seq);
        }
        let n = n as usize;
        let path_sample = path.is_some() && is_path_sample(PATH_EVERY, seq);
        if path_sample {
            sink.request_tx_stamp();
        }
        stamped.store(seq + n as u64, Ordering::Release);
        let tx_ns = now_realtime_ns();
        let mut off = 0;
        let mut spins = 0u32;
        while off < n {
            // Frames `seq + off..seq + n`, stamped in the sink's own slots (slot i: frame
            // `first + i`); a retry stamps the rest again, with the same tx_ns.
            let first = seq + off as u64;
            let k = match sink.send_filled(n - off, &mut |i, slot, fresh| {
                let g = first + i as u64;
                if single {
                    // One frame: only the stamp changes in a slot that is not fresh.
                    template.fill_slot(slot, fresh, g, tx_ns)
                } else {
                    // Another flow or size than the slot held: the whole template.
                    let (flow, fseq) = who.layout.frame(who.t, g);
                    set.template(flow, fseq)
                        .fill_slot(slot, true, stamp_seq(flow, fseq), tx_ns)
                }
            }) {
                Ok(k) => k,
                // Before anything was sent (a frame over the slot size...): the run fails.
                Err(e) if seq + off as u64 == 0 => return Err(e),
                Err(e) => {
                    // Mid-run (the interface deleted, say): end the run; the frames sent so
                    // far are still checked and reported, with this error.
                    error = Some(e);
                    break;
                }
            };
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
        shared.sent.fetch_add(off as u64, Ordering::AcqRel);
        if error.is_some() {
            break;
        }
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
            if let (Some(p), true) = (path.as_mut(), path_sample) {
                if shared.answered.load(Ordering::Acquire) >= want {
                    if let Some(tx) = sink.last_tx_stamp() {
                        p.record(tx, shared.last_rx_ns.load(Ordering::Acquire));
                    }
                }
            }
        }
    }
    Ok(TxDone {
        sent: seq,
        duration: start.elapsed(),
        tx_drops: sink.tx_drops(),
        error,
        path,
    })
}
