//! The real ends: [`FrameSink`] over `sock::tx` (sendmmsg batches), [`FrameSource`] over the
//! `sock::ring` TPACKET_V3 ring (kernel timestamps, drop counters), [`Tap`] over the pcapng
//! writer, and the topologies (`link::PrivatePair`, named or current namespaces).
//!
//! What stays true: every socket is opened on a thread inside the namespace of its interface
//! (`Netns::run`), then moved; a receive ring is bound and mapped when `open_*` returns (the
//! ready barrier); rings ignore frames their own interface sent (`Direction::In`), so an end
//! never sees its own transmissions and a reflector never echoes its echoes.

use crate::capture::Recorder;
use crate::link::policy::{self, NotSendable, SendPolicy};
use crate::link::{Netns, PrivatePair, VethPairSpec};
use crate::pcapng::{CaptureWriter, Format, IfaceDesc, IfaceStats};
use crate::sock::recvmsg::{RecvConfig, RecvSocket};
use crate::sock::ring::{RxConfig, RxRing};
use crate::sock::tx::{TxBatch, TxSocket};
use crate::sock::RxMeta;

use super::{Fill, FrameSink, FrameSource, Tap};
use crate::harness::stamp::now_realtime_ns;
use crate::harness::HarnessError;

/// Transmit on an interface through preallocated sendmmsg slots: `send_batch` copies frames
/// into them, `send_filled` lends them to the caller, who writes the frames in place.
#[derive(Debug)]
pub struct SockSink {
    sock: TxSocket,
    batch: TxBatch,
    /// Slots `0..lent` hold what the filler of `send_filled` last left there (not fresh).
    lent: usize,
    /// The next frame sent alone asks for its transmit timestamp.
    stamp_next: bool,
}

impl SockSink {
    /// `batch` slots of `max_frame` bytes, allocated once.
    pub fn new(sock: TxSocket, batch: usize, max_frame: usize) -> Self {
        SockSink {
            sock,
            batch: TxBatch::new(batch, max_frame),
            lent: 0,
            stamp_next: false,
        }
    }

    fn too_large(&self, len: usize) -> HarnessError {
        HarnessError::SlotTooSmall {
            end: self.sock.iface().to_string(),
            len,
            slot: self.batch.slot_size(),
        }
    }

    /// Send the first `n` slots. TxSocket::send_batch retries while the queue is full and keeps
    /// the order: all `n` are accepted (the ones the kernel gave up on count in `tx_drops`).
    /// One frame (one in flight) goes with `send(2)`, as the latency floor's does: cheaper
    /// than a one-message `sendmmsg(2)`; with a timestamp request when one was made.
    fn send_slots(&mut self, n: usize) -> Result<usize, HarnessError> {
        if n == 1 {
            let frame = self.batch.frame(0);
            let r = if std::mem::take(&mut self.stamp_next) {
                self.sock.send_tx_stamped(frame)
            } else {
                self.sock.send(frame)
            };
            r.map_err(HarnessError::io)?;
            return Ok(1);
        }
        self.sock
            .send_batch(&mut self.batch, n)
            .map_err(HarnessError::io)?;
        Ok(n)
    }
}

impl FrameSink for SockSink {
    fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError> {
        let n = frames.len().min(self.batch.capacity());
        if n > 0 {
            // Slot 0 on will hold these frames, no longer the filler's.
            self.lent = 0;
        }
        for (i, f) in frames[..n].iter().enumerate() {
            if f.len() > self.batch.slot_size() {
                return Err(self.too_large(f.len()));
            }
            self.batch.set(i, f);
        }
        self.send_slots(n)
    }

    fn send_filled(&mut self, n: usize, fill: &mut Fill<'_>) -> Result<usize, HarnessError> {
        let n = n.min(self.batch.capacity());
        for i in 0..n {
            let len = fill(i, self.batch.slot_mut(i), i >= self.lent);
            if len > self.batch.slot_size() {
                // What the filler left in slot i is unknown.
                self.lent = self.lent.min(i);
                return Err(self.too_large(len));
            }
            self.batch.set_len(i, len);
        }
        self.lent = self.lent.max(n);
        self.send_slots(n)
    }

    fn name(&self) -> &str {
        self.sock.iface()
    }

    fn tx_drops(&self) -> u64 {
        self.sock.dropped()
    }

    fn enable_tx_stamps(&mut self) -> bool {
        self.sock.enable_tx_timestamp_reports().is_ok()
    }

    fn request_tx_stamp(&mut self) {
        self.stamp_next = true;
    }

    fn last_tx_stamp(&mut self) -> Option<u64> {
        self.sock.tx_timestamp().ok().flatten()
    }
}

/// Receive on an interface through a TPACKET_V3 ring.
#[derive(Debug)]
pub struct RingSource {
    ring: RxRing,
}

impl RingSource {
    pub fn new(ring: RxRing) -> Self {
        RingSource { ring }
    }
}

impl FrameSource for RingSource {
    fn poll(
        &mut self,
        timeout: std::time::Duration,
        f: &mut dyn FnMut(&[u8], &RxMeta),
    ) -> Result<usize, HarnessError> {
        if !self.ring.ready() && !self.ring.poll(timeout).map_err(HarnessError::io)? {
            return Ok(0);
        }
        Ok(self.ring.for_each(|fr| f(fr.data(), &fr.meta())))
    }

    fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
        Ok(self.ring.stats().map_err(HarnessError::io)?.drops)
    }

    fn name(&self) -> &str {
        self.ring.iface()
    }
}

/// Receive on an interface one frame per `recvmsg`, with the kernel's timestamp: a blocked
/// reader wakes for each frame (latency and rtt runs, the reflector), where the ring would hold
/// it until its block retires.
#[derive(Debug)]
pub struct RecvSource {
    sock: RecvSocket,
}

/// Frames one `poll` reads at most after the first, without waiting (bounds the time between
/// two checks of the caller's stop condition).
const RECV_BURST: usize = 64;

impl RecvSource {
    pub fn new(sock: RecvSocket) -> Self {
        RecvSource { sock }
    }
}

impl FrameSource for RecvSource {
    fn poll(
        &mut self,
        timeout: std::time::Duration,
        f: &mut dyn FnMut(&[u8], &RxMeta),
    ) -> Result<usize, HarnessError> {
        let mut wait = timeout;
        let mut n = 0;
        while n <= RECV_BURST {
            match self.sock.recv(wait) {
                Ok(Some(fr)) => f(fr.data(), &fr.meta()),
                Ok(None) => break,
                Err(e) => return Err(HarnessError::io(e)),
            }
            n += 1;
            wait = std::time::Duration::ZERO;
        }
        Ok(n)
    }

    fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
        self.sock.drops().map_err(HarnessError::io)
    }

    fn name(&self) -> &str {
        self.sock.iface()
    }
}

/// Every received frame to a pcapng file, one IDB per end, with the kernel's packet type and
/// checksum status in the EPB flags (written by the capture engine's [`Recorder`]).
#[derive(Debug)]
pub struct PcapngTap {
    w: Option<Recorder>,
    stats: Vec<IfaceStats>,
}

impl PcapngTap {
    pub fn create(path: &str, ends: &[&str]) -> Result<Self, HarnessError> {
        let descs: Vec<IfaceDesc> = ends
            .iter()
            .map(|n| IfaceDesc {
                name: n.to_string(),
                snaplen: 262_144,
                filter: None,
            })
            .collect();
        let w = CaptureWriter::create(path, Format::Pcapng, &descs).map_err(HarnessError::io)?;
        let start = now_realtime_ns();
        Ok(PcapngTap {
            w: Some(Recorder::new(w)),
            stats: ends
                .iter()
                .map(|_| IfaceStats {
                    start_ns: start,
                    ..IfaceStats::default()
                })
                .collect(),
        })
    }
}

impl Tap for PcapngTap {
    fn record(&mut self, end: usize, frame: &[u8], meta: &RxMeta) -> Result<(), HarnessError> {
        if let Some(s) = self.stats.get_mut(end) {
            s.received += 1;
        }
        if let Some(w) = self.w.as_mut() {
            w.record(end as u32, frame, meta)
                .map_err(HarnessError::io)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), HarnessError> {
        let end = now_realtime_ns();
        for s in &mut self.stats {
            s.end_ns = end;
        }
        if let Some(w) = self.w.take() {
            w.finish(&self.stats).map_err(HarnessError::io)?;
        }
        Ok(())
    }
}

/// A refusal of the interface policy in the harness's words.
pub(crate) fn not_sendable(e: NotSendable) -> HarnessError {
    match e {
        NotSendable::Link(e) => HarnessError::io(e),
        NotSendable::Physical { iface, kind } => HarnessError::PhysicalLink { iface, kind },
        e => HarnessError::NotSendable(e),
    }
}

fn link_err(e: crate::link::LinkError) -> HarnessError {
    HarnessError::io(e)
}

/// Open a send socket on `iface` inside `ns`.
pub fn open_sink(
    ns: &Netns,
    iface: &str,
    batch: usize,
    max_frame: usize,
) -> Result<SockSink, HarnessError> {
    // The traffic rule: the harness injects only where frames cannot reach a physical network.
    // (A caller who really means another link brings its own FrameSink to `add_end`.)
    open_sink_with(ns, iface, batch, max_frame, SendPolicy::HARNESS)
}

/// As [`open_sink`], under another policy (a scenario's attached node that allows more).
pub fn open_sink_with(
    ns: &Netns,
    iface: &str,
    batch: usize,
    max_frame: usize,
    policy: SendPolicy,
) -> Result<SockSink, HarnessError> {
    policy::check_sendable(ns, iface, None, policy).map_err(not_sendable)?;
    let sock = ns
        .run(|| Ok(TxSocket::open(iface)))
        .map_err(link_err)?
        .map_err(HarnessError::io)?;
    Ok(SockSink::new(sock, batch, max_frame))
}

/// Open a receive ring on `iface` inside `ns`; ready when this returns.
pub fn open_source(ns: &Netns, iface: &str, cfg: &RxConfig) -> Result<RingSource, HarnessError> {
    let ring = ns
        .run(|| Ok(RxRing::open(iface, cfg)))
        .map_err(link_err)?
        .map_err(HarnessError::io)?;
    Ok(RingSource::new(ring))
}

/// Open a per-frame receive socket on `iface` inside `ns`; ready when this returns.
pub fn open_recv(
    ns: &Netns,
    iface: &str,
    max_frame: usize,
    busy_poll: bool,
) -> Result<RecvSource, HarnessError> {
    let cfg = RecvConfig {
        max_frame: max_frame + 4,
        busy_poll_us: busy_poll.then_some(50),
        ..RecvConfig::default()
    };
    open_recv_with(ns, iface, &cfg)
}

/// [`open_recv`] with every setting given.
pub fn open_recv_with(
    ns: &Netns,
    iface: &str,
    cfg: &RecvConfig,
) -> Result<RecvSource, HarnessError> {
    let sock = ns
        .run(|| Ok(RecvSocket::open(iface, cfg)))
        .map_err(link_err)?
        .map_err(HarnessError::io)?;
    Ok(RecvSource::new(sock))
}

/// A veth pair `a`/`b` across two private namespaces, up, IPv6 off, with this MTU (if any).
pub fn private_pair(a: &str, b: &str, mtu: Option<u32>) -> Result<PrivatePair, HarnessError> {
    let spec = VethPairSpec {
        mtu,
        ..VethPairSpec::new(a, b)
    };
    PrivatePair::across(&spec).map_err(link_err)
}

/// The ring settings of the harness: only frames the interface received; 64 blocks of 256 KiB
/// (16 MiB: ~100k frames of 66 bytes queued before the kernel drops, and drops are counted).
/// Half the capture default (32 MiB), whose allocation and locking took 70 ms of every run;
/// 8 MiB overflowed when another process starved the receiver thread. Blocks retire after
/// 4 ms when frames trickle (1 ms when they go one at a time).
pub fn rx_config(one_at_a_time: bool) -> RxConfig {
    RxConfig {
        block_size: 256 << 10,
        block_count: 64,
        block_timeout_ms: if one_at_a_time { 1 } else { 4 },
        ..RxConfig::default()
    }
}
