//! The relay: one thread per direction, each reading its interface's receive ring and sending
//! what the impairments let through, when it is due, on the other interface.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Fate, ImpairError, ImpairSpec};
use crate::link::netns::Netns;
use crate::sock::ring::{RxConfig, RxRing};
use crate::sock::tx::{TxBatch, TxSocket};
use crate::sys::clock::realtime_ns;

/// Frame bytes the slab of one direction holds at most.
const SLAB_BYTES: usize = 64 << 20;
/// Frames one direction holds at most (waiting for their time).
const MAX_SLOTS: usize = 16_384;
/// A held (reordered) frame goes out after this long without a frame to follow it.
const HOLD_NS: u64 = 10_000_000;
/// Below this much time to the next due frame, spin instead of sleeping.
const SPIN_NS: u64 = 60_000;

/// What one direction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DirStats {
    /// Frames taken from the receiving interface.
    pub received: u64,
    /// Frames sent on the other interface (duplicates included).
    pub forwarded: u64,
    pub dropped: u64,
    pub duplicated: u64,
    /// Frames sent after the frame that followed them (a frame held but followed by none
    /// within 10 ms goes out in order and is not counted).
    pub reordered: u64,
    pub corrupted: u64,
    /// Frames lost because every slot was taken (a delay too long for the offered rate).
    pub overflow: u64,
    /// Frames still waiting for their time when the relay stopped.
    pub pending_at_stop: u64,
    /// The receive ring's own drops (PACKET_STATISTICS).
    pub ring_drops: u64,
}

/// A running relay between two interfaces; [`Relay::stop`] ends it and says what it did.
#[derive(Debug)]
pub struct Relay {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Result<DirStats, ImpairError>>>,
}

fn sock_err(iface: &str) -> impl FnOnce(crate::sock::SockError) -> ImpairError + '_ {
    move |source| ImpairError::Sock {
        iface: iface.to_string(),
        source,
    }
}

struct Dir {
    rx: RxRing,
    tx: TxSocket,
    spec: ImpairSpec,
    dir: u64,
    slot: usize,
    slots: usize,
}

impl Relay {
    /// Forward between `a` and `b` in `ns`: frames arriving on `a` go out on `b` as `ab` says,
    /// and the other way as `ba` says. Both rings are bound when this returns (a frame sent
    /// afterwards is relayed).
    pub fn start(
        ns: &Netns,
        a: &str,
        b: &str,
        ab: ImpairSpec,
        ba: ImpairSpec,
    ) -> Result<Relay, ImpairError> {
        ab.check()?;
        ba.check()?;
        let (a, b) = (a.to_string(), b.to_string());
        let dirs = ns.run(move || {
            let open = |from: &str, to: &str, spec, dir| {
                let info = crate::link::iface::info(to)?;
                let slot = (info.mtu as usize + 22).clamp(1536, 65_535 + 22);
                // Blocks retire after 1 ms however full, so it is the block count that says
                // how long the relay may be descheduled before its ring drops (a frame lost
                // there shifts the fates of every later one). Small blocks, many of them: 2048
                // blocks of 16 KiB (about 128 small frames each) hold 2 s at up to ~128k
                // frames/s and 262k frames beyond (0.5 s at 500k frames/s), in 32 MiB per
                // direction (a 64 KiB MTU: 512 blocks of 128 KiB, 64 MiB).
                let block_size = ((slot + 64).next_power_of_two() as u32).max(1 << 14);
                let cfg = RxConfig {
                    block_size,
                    block_count: ((32u32 << 20) / block_size).clamp(512, 2048),
                    block_timeout_ms: 1,
                    ..RxConfig::default()
                };
                Ok::<_, crate::link::LinkError>(Ok::<_, ImpairError>(Dir {
                    rx: match RxRing::open(from, &cfg) {
                        Ok(r) => r,
                        Err(e) => return Ok(Err(sock_err(from)(e))),
                    },
                    tx: match TxSocket::open(to) {
                        Ok(t) => t,
                        Err(e) => return Ok(Err(sock_err(to)(e))),
                    },
                    spec,
                    dir,
                    slot,
                    slots: (SLAB_BYTES / slot).min(MAX_SLOTS),
                }))
            };
            let d1 = open(&a, &b, ab, 0)?;
            let d2 = open(&b, &a, ba, 1)?;
            Ok((d1, d2))
        })?;
        let (d1, d2) = (dirs.0?, dirs.1?);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = [d1, d2]
            .into_iter()
            .map(|d| {
                let stop = stop.clone();
                std::thread::spawn(move || run(d, &stop))
            })
            .collect();
        Ok(Relay { stop, threads })
    }

    /// Stop both directions; what each did (a → b first).
    pub fn stop(mut self) -> Result<[DirStats; 2], ImpairError> {
        self.stop.store(true, Ordering::Relaxed);
        let mut out = [DirStats::default(); 2];
        for (k, t) in self.threads.drain(..).enumerate() {
            out[k] = match t.join() {
                Ok(r) => r?,
                Err(p) => std::panic::resume_unwind(p),
            };
        }
        Ok(out)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// One direction until `stop`.
fn run(mut d: Dir, stop: &AtomicBool) -> Result<DirStats, ImpairError> {
    crate::replay::schedule::precise_sleeps();
    let (slot, slots) = (d.slot, d.slots);
    let mut buf = vec![0u8; slot * slots];
    let mut lens = vec![0usize; slots];
    let mut free: Vec<usize> = (0..slots).rev().collect();
    // (due, arrival order, slot): the earliest first, ties in arrival order.
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::with_capacity(slots);
    let mut batch = TxBatch::new(64, slot);
    let mut st = DirStats::default();
    let mut k: u64 = 0;
    let mut order: u64 = 0;
    let mut link_free_at: u64 = 0;
    let mut held: Option<(usize, u64)> = None; // (slot, since)
    let ns_per_byte = d.spec.rate_bps.map(|r| 8e9 / r as f64);
    let iface = d.rx.iface().to_string();
    while !stop.load(Ordering::Relaxed) {
        // One block at a time (a few thousand frames at most), then what is due goes out: the
        // slab never holds more than a block beyond what waits for its time.
        d.rx.for_each_limited(1, &mut |f| {
            let fate = Fate::of(&d.spec, d.dir, k);
            k += 1;
            st.received += 1;
            if fate.drop {
                st.dropped += 1;
                return;
            }
            let data = f.data();
            let copies = if fate.duplicate { 2 } else { 1 };
            for c in 0..copies {
                let Some(s) = free.pop() else {
                    st.overflow += 1;
                    continue;
                };
                let len = data.len().min(slot);
                let dst = &mut buf[s * slot..s * slot + len];
                dst.copy_from_slice(&data[..len]);
                lens[s] = len;
                if let (Some(bit), true) = (fate.corrupt, len > 14) {
                    let b = (bit % (8 * (len as u64 - 14))) as usize;
                    dst[14 + b / 8] ^= 1 << (b % 8);
                    if c == 0 {
                        st.corrupted += 1;
                    }
                }
                let mut due = f.ts_ns() + fate.delay_ns;
                if let Some(nsb) = ns_per_byte {
                    due = due.max(link_free_at);
                    link_free_at = due + (len as f64 * nsb) as u64;
                }
                if c == 0 && fate.reorder && held.is_none() {
                    held = Some((s, f.ts_ns()));
                    continue;
                }
                heap.push(Reverse((due, order, s)));
                order += 1;
                if c == 0 {
                    // A held frame goes right after the one that overtook it.
                    if let Some((h, _)) = held.take() {
                        heap.push(Reverse((due, order, h)));
                        order += 1;
                        st.reordered += 1;
                    }
                }
            }
            if fate.duplicate {
                st.duplicated += 1;
            }
        });
        let now = realtime_ns();
        if let Some((h, since)) = held {
            if now.saturating_sub(since) > HOLD_NS {
                heap.push(Reverse((now, order, h)));
                order += 1;
                held = None;
            }
        }
        let mut n = 0;
        while let Some(&Reverse((due, _, s))) = heap.peek() {
            if due > now {
                break;
            }
            heap.pop();
            batch.set(n, &buf[s * slot..s * slot + lens[s]]);
            free.push(s);
            n += 1;
            if n == batch.capacity() {
                d.tx.send_batch(&mut batch, n).map_err(sock_err(&iface))?;
                st.forwarded += n as u64;
                n = 0;
            }
        }
        if n > 0 {
            d.tx.send_batch(&mut batch, n).map_err(sock_err(&iface))?;
            st.forwarded += n as u64;
        }
        if d.rx.ready() {
            continue;
        }
        match heap.peek() {
            None => {
                d.rx.poll(Duration::from_millis(2))
                    .map_err(sock_err(&iface))?;
            }
            Some(&Reverse((due, _, _))) => {
                let left = due.saturating_sub(realtime_ns());
                if left > 2_000_000 {
                    d.rx.poll(Duration::from_nanos(left - 1_000_000))
                        .map_err(sock_err(&iface))?;
                } else if left > SPIN_NS && !d.rx.ready() {
                    std::thread::sleep(Duration::from_nanos((left - SPIN_NS).min(50_000)));
                } else {
                    std::hint::spin_loop();
                }
            }
        }
    }
    st.pending_at_stop = heap.len() as u64 + u64::from(held.is_some());
    st.ring_drops = d.rx.stats().map(|s| s.drops).unwrap_or(0);
    Ok(st)
}
