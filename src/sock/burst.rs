//! A burst split between threads (`send --threads N`): each thread opens its own socket on the
//! interface and sends its share of the copies (distinct: thread k sends copies
//! `k·share..`; a copy of a fragmented datagram is all its fragments, never split), at its
//! share of the rate, so several CPUs feed one interface.
//!
//! Threads are spawned from the calling thread, so they are in its network namespace.

use super::tx::{BurstSpec, BurstStats, TxSocket};
use super::SockError;
use crate::frame::FrameTemplate;

/// What one thread of a split burst achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThreadStats {
    pub stats: BurstStats,
    /// Frames the kernel refused (ENOBUFS past the patience), see [`TxSocket::dropped`].
    pub dropped: u64,
}

/// Send `burst` copies of the sequence `seq` (one frame, or the fragments of a datagram, see
/// [`TxSocket::send_seq_burst_from`]) from `threads` threads, each with its own socket on
/// `iface` (qdisc bypassed when asked); per-thread figures in thread order.
pub fn send_split(
    iface: &str,
    seq: &[FrameTemplate],
    burst: &BurstSpec,
    threads: usize,
    qdisc_bypass: bool,
) -> Result<Vec<ThreadStats>, SockError> {
    let threads = threads.max(1) as u64;
    // Open every socket first: a missing privilege fails before anything is sent.
    let mut socks = Vec::with_capacity(threads as usize);
    for _ in 0..threads {
        let s = TxSocket::open(iface)?;
        if qdisc_bypass {
            s.set_qdisc_bypass(true)?;
        }
        socks.push(s);
    }
    let share = |k: u64| burst.count / threads + u64::from(k < burst.count % threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = socks
            .into_iter()
            .enumerate()
            .map(|(k, mut sock)| {
                let k = k as u64;
                let first: u64 = (0..k).map(share).sum();
                let spec = BurstSpec {
                    count: share(k),
                    rate_pps: burst.rate_pps.map(|r| r / threads as f64),
                    batch: burst.batch,
                };
                scope.spawn(move || -> Result<ThreadStats, SockError> {
                    let stats = if spec.count == 0 {
                        BurstStats {
                            sent: 0,
                            elapsed: std::time::Duration::ZERO,
                        }
                    } else {
                        sock.send_seq_burst_from(seq, &spec, first)?
                    };
                    Ok(ThreadStats {
                        stats,
                        dropped: sock.dropped(),
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
