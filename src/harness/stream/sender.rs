//! The sender thread's loop: stamp copies of the template in the sink's slots and send them,
//! batched (throughput, optionally paced against absolute deadlines) or one in flight
//! (latency, rtt).

use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::{pin_current_thread, Shared, StreamConfig, TxDone};
use crate::harness::ends::FrameSink;
use crate::harness::stamp::{now_realtime_ns, StampedTemplate};
use crate::harness::{ConfigError, HarnessError};

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

pub(super) fn sender<Tx: FrameSink>(
    cfg: &StreamConfig,
    template: &StampedTemplate,
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
