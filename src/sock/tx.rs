//! Transmit: a send-only AF_PACKET socket bound to one interface, a [`TxBatch`] of preallocated
//! frame slots sent with one `sendmmsg(2)` per batch, and a [`Pacer`] for `--rate`.
//!
//! What stays true: after [`TxBatch::new`], sending allocates nothing; frames leave in slot
//! order. The socket is opened with protocol 0, so the kernel never queues received frames
//! on it. It does not use PACKET_TX_RING: on veth, sendmmsg already reaches the device's limit.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use super::{ifindex, SockError};
use crate::frame::FrameTemplate;
use crate::sys::{common, tx as sys};
use crate::Capability;

/// A send-only packet socket bound to one interface.
#[derive(Debug)]
pub struct TxSocket {
    fd: OwnedFd,
    iface: String,
    ifindex: u32,
    sent: u64,
    /// Frames the kernel kept refusing with ENOBUFS, given up on (see [`TxSocket::dropped`]).
    dropped: u64,
    /// When the current run of ENOBUFS began; None while frames are accepted.
    refused_since: Option<Instant>,
    /// A frame was given up on and nothing was accepted since: give up on the next at once.
    giving_up: bool,
    /// Control-message room for reading transmit timestamps.
    ts_cmsg: [u64; sys::TS_CMSG_SPACE / 8],
}

/// How long a frame refused with ENOBUFS is offered again before it is counted as dropped.
///
/// On veth, ENOBUFS means the frame was dropped on the way (the CPU's backlog or the peer's
/// NAPI ring was full, or the frame is over the peer's MTU). Offering it again gives lossless
/// backpressure in the first case; the patience bounds the second, which never succeeds, once
/// per run of refusals. The backlog is per CPU, shared by every namespace: another process
/// blasting frames can keep it full for tens of milliseconds (with 20 ms, a one-frame-at-a-time
/// test once lost a frame while other tests streamed alongside).
const ENOBUFS_PATIENCE: Duration = Duration::from_millis(200);

impl TxSocket {
    /// Open a packet socket on `iface` (in the calling thread's network namespace). Needs
    /// CAP_NET_RAW.
    pub fn open(iface: &str) -> Result<TxSocket, SockError> {
        let index = ifindex(iface)?;
        let fd = common::packet_socket(0).map_err(|e| {
            SockError::from_io("open AF_PACKET socket", iface, e, Capability::NetRaw)
        })?;
        // Protocol 0: bound to the interface for sending, receives nothing.
        common::bind(&fd, index, 0)
            .map_err(|e| SockError::from_io("bind", iface, e, Capability::NetRaw))?;
        Ok(TxSocket {
            fd,
            iface: iface.to_string(),
            ifindex: index,
            sent: 0,
            dropped: 0,
            refused_since: None,
            giving_up: false,
            ts_cmsg: [0; sys::TS_CMSG_SPACE / 8],
        })
    }

    /// Report software transmit timestamps, but only of the frames sent with
    /// [`TxSocket::send_tx_stamped`] (a per-message request): the others leave without the
    /// timestamp's cost in the device (veth: an skb allocated and queued on this socket's
    /// error queue before the frame is forwarded).
    pub fn enable_tx_timestamp_reports(&mut self) -> Result<(), SockError> {
        sys::enable_tx_timestamp_reports(&self.fd).map_err(|e| self.err("SO_TIMESTAMPING", e))
    }

    /// The latest transmit timestamp queued (the older ones are discarded), ns; None when none
    /// is. Two syscalls at least: call it when a frame's stamp is wanted, not per frame of a
    /// batch.
    pub fn tx_timestamp(&mut self) -> Result<Option<u64>, SockError> {
        let mut last = None;
        loop {
            match sys::read_tx_timestamp(&self.fd, &mut self.ts_cmsg) {
                Ok(Some(t)) => last = Some(t),
                Ok(None) => return Ok(last),
                Err(e) => return Err(self.err("recvmsg(MSG_ERRQUEUE)", e)),
            }
        }
    }

    /// The interface this socket sends on.
    pub fn iface(&self) -> &str {
        &self.iface
    }

    /// Its ifindex.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Frames the kernel accepted so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Frames given up on after the kernel refused them with ENOBUFS for longer than the
    /// patience (200 ms), e.g. frames over the peer's MTU. Not counted in [`TxSocket::sent`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Decide what to do with a frame refused with ENOBUFS: true to give up on it (it is
    /// counted as dropped), false to offer it again.
    fn give_up_refused(&mut self) -> bool {
        let since = *self.refused_since.get_or_insert_with(Instant::now);
        if self.giving_up || since.elapsed() >= ENOBUFS_PATIENCE {
            self.dropped += 1;
            self.giving_up = true;
            self.refused_since = None;
            return true;
        }
        std::thread::yield_now();
        false
    }

    /// Frames are being accepted again.
    fn accepted(&mut self, n: usize) {
        self.sent += n as u64;
        if n > 0 {
            self.giving_up = false;
            self.refused_since = None;
        }
    }

    /// Skip the qdisc layer (PACKET_QDISC_BYPASS). Off by default: with it, sent frames are not
    /// seen by other packet sockets on this host (tcpdump on the sending side shows nothing).
    pub fn set_qdisc_bypass(&self, on: bool) -> Result<(), SockError> {
        common::setsockopt(
            &self.fd,
            libc::SOL_PACKET,
            sys::PACKET_QDISC_BYPASS,
            &(on as libc::c_int),
        )
        .map_err(|e| self.err("PACKET_QDISC_BYPASS", e))
    }

    /// Set the send buffer size (SO_SNDBUFFORCE, falling back to SO_SNDBUF without CAP_NET_ADMIN).
    pub fn set_sndbuf(&self, bytes: usize) -> Result<(), SockError> {
        let v = bytes.min(i32::MAX as usize) as libc::c_int;
        common::setsockopt(&self.fd, libc::SOL_SOCKET, sys::SO_SNDBUFFORCE, &v)
            .or_else(|_| common::setsockopt(&self.fd, libc::SOL_SOCKET, libc::SO_SNDBUF, &v))
            .map_err(|e| self.err("SO_SNDBUF", e))
    }

    /// Send one frame.
    pub fn send(&mut self, frame: &[u8]) -> Result<(), SockError> {
        self.send_one(frame, false)
    }

    /// Send one frame asking for its software transmit timestamp (see
    /// [`TxSocket::enable_tx_timestamp_reports`]; read it with [`TxSocket::tx_timestamp`]).
    pub fn send_tx_stamped(&mut self, frame: &[u8]) -> Result<(), SockError> {
        self.send_one(frame, true)
    }

    fn send_one(&mut self, frame: &[u8], stamped: bool) -> Result<(), SockError> {
        loop {
            let r = if stamped {
                sys::send_tx_stamped(&self.fd, frame)
            } else {
                sys::send(&self.fd, frame)
            };
            match r {
                Ok(_) => {
                    self.accepted(1);
                    return Ok(());
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    if self.give_up_refused() {
                        return Ok(());
                    }
                }
                Err(e) if retryable(&e) => std::thread::yield_now(),
                Err(e) => return Err(self.err("send", e)),
            }
        }
    }

    /// Send the first `n` frames of `batch`, in order, with as few `sendmmsg(2)` calls as the
    /// kernel allows (one per [`TxBatch::capacity`] frames when it takes them all).
    pub fn send_batch(&mut self, batch: &mut TxBatch, n: usize) -> Result<(), SockError> {
        let n = n.min(batch.capacity());
        let mut done = 0;
        while done < n {
            let TxBatch {
                buf,
                lens,
                slot,
                mmsg,
            } = &mut *batch;
            let frames = lens[done..n]
                .iter()
                .enumerate()
                .map(|(i, &len)| &buf[(done + i) * *slot..(done + i) * *slot + len]);
            match mmsg.sendmmsg(&self.fd, frames) {
                Ok(k) => {
                    done += k;
                    self.accepted(k);
                }
                // The frame at `done` was dropped on the way (the peer's backlog is full): let
                // the receiver drain, then offer it again, so order is kept; or give up on it.
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    if self.give_up_refused() {
                        done += 1;
                    }
                }
                Err(e) if retryable(&e) => std::thread::yield_now(),
                Err(e) => return Err(self.err("sendmmsg", e)),
            }
        }
        Ok(())
    }

    /// Send `burst.count` copies of `tmpl` (each made distinct by the template's
    /// [`Vary`](crate::frame::Vary)), in batches, paced when `burst.rate_pps` is set. Allocates
    /// once (the batch), nothing per frame.
    pub fn send_burst(
        &mut self,
        tmpl: &FrameTemplate,
        burst: &BurstSpec,
    ) -> Result<BurstStats, SockError> {
        self.send_burst_from(tmpl, burst, 0)
    }

    /// [`send_burst`](Self::send_burst) of copies `first..first + burst.count` (a share of a
    /// burst split between threads: each copy stays distinct).
    pub fn send_burst_from(
        &mut self,
        tmpl: &FrameTemplate,
        burst: &BurstSpec,
        first: u64,
    ) -> Result<BurstStats, SockError> {
        let cap =
            (burst.batch.clamp(1, MAX_SENDMMSG_BATCH) as u64).min(burst.count.max(1)) as usize;
        let mut batch = TxBatch::new(cap, tmpl.len());
        batch.fill(tmpl.bytes());
        let pacer = burst.rate_pps.map(Pacer::new);
        let per_wait = burst.rate_pps.map_or(cap, |r| Pacer::burst(r).min(cap));
        let start = Instant::now();
        let mut i = 0u64;
        while i < burst.count {
            let left = burst.count - i;
            let k = match &pacer {
                None => cap.min(left as usize),
                Some(p) => {
                    p.wait(i);
                    // On time: `per_wait` frames. Late (the CPU was taken): every overdue
                    // frame at once, up to a batch, so the average rate holds.
                    let overdue = p.due_now().saturating_sub(i).min(left);
                    per_wait.max(overdue as usize).min(cap).min(left as usize)
                }
            };
            for j in 0..k {
                tmpl.make_copy(batch.frame_mut(j), first + i + j as u64);
            }
            self.send_batch(&mut batch, k)?;
            i += k as u64;
        }
        Ok(BurstStats {
            sent: i,
            elapsed: start.elapsed(),
        })
    }

    /// `burst.count` copies of a sequence of frames (IPv4 fragments of one datagram), each copy
    /// the frames in order, copy `c` made by each template's [`make_copy`](FrameTemplate::make_copy)
    /// with `c` (copies `first..first + burst.count`); `rate_pps` and the stats count frames.
    /// A sequence of one is [`send_burst_from`](Self::send_burst_from). Allocates once (the
    /// batch), nothing per frame.
    pub fn send_seq_burst_from(
        &mut self,
        seq: &[FrameTemplate],
        burst: &BurstSpec,
        first: u64,
    ) -> Result<BurstStats, SockError> {
        if let [one] = seq {
            return self.send_burst_from(one, burst, first);
        }
        let n = seq.len().max(1) as u64;
        let total = burst.count.saturating_mul(n);
        let cap = (burst.batch.clamp(1, MAX_SENDMMSG_BATCH) as u64).min(total.max(1)) as usize;
        let slot = seq.iter().map(FrameTemplate::len).max().unwrap_or(0);
        let mut batch = TxBatch::new(cap, slot);
        let pacer = burst.rate_pps.map(Pacer::new);
        let per_wait = burst.rate_pps.map_or(cap, |r| Pacer::burst(r).min(cap));
        let start = Instant::now();
        let mut i = 0u64;
        while i < total && !seq.is_empty() {
            let left = total - i;
            let k = match &pacer {
                None => cap.min(left as usize),
                Some(p) => {
                    p.wait(i);
                    let overdue = p.due_now().saturating_sub(i).min(left);
                    per_wait.max(overdue as usize).min(cap).min(left as usize)
                }
            };
            for j in 0..k {
                let g = i + j as u64;
                let t = &seq[(g % n) as usize];
                batch.set(j, t.bytes());
                t.make_copy(batch.frame_mut(j), first + g / n);
            }
            self.send_batch(&mut batch, k)?;
            i += k as u64;
        }
        Ok(BurstStats {
            sent: i,
            elapsed: start.elapsed(),
        })
    }

    /// The interface the socket was bound to is gone (deleted, or moved to another namespace):
    /// the kernel unbinds the socket then (its address's ifindex is no longer ours).
    pub fn iface_gone(&self) -> bool {
        common::bound_ifindex(&self.fd).is_ok_and(|i| i != self.ifindex as i32)
    }

    fn err(&self, op: &'static str, e: std::io::Error) -> SockError {
        let unbound = matches!(
            e.raw_os_error(),
            Some(libc::ENETDOWN | libc::ENXIO | libc::ENODEV)
        );
        // A deletion takes the link down first (ENETDOWN) and unbinds the socket a moment
        // later (after an RCU grace period): give it 200 ms before calling the link down.
        let gone = unbound
            && (0..40).any(|_| {
                self.iface_gone() || {
                    std::thread::sleep(Duration::from_millis(5));
                    false
                }
            });
        if gone {
            return SockError::Io {
                op,
                iface: self.iface.clone(),
                source: std::io::Error::other("the interface disappeared (deleted?)"),
            };
        }
        if e.raw_os_error() == Some(libc::ENETDOWN) {
            return SockError::Io {
                op,
                iface: self.iface.clone(),
                source: std::io::Error::other("the interface is down (ip link set ... up)"),
            };
        }
        SockError::from_io(op, &self.iface, e, Capability::NetRaw)
    }
}

/// The lowest paced rate accepted (`send --rate`, `test --rate`, `replay --pps`): one frame
/// every 1000 s. Waits honour a stop request whatever the rate, but a rate whose first gap
/// outlasts any run is a typo.
pub const MIN_RATE_PPS: f64 = 0.001;

/// The most frames one `sendmmsg(2)` takes (UIO_MAXIOV): a larger batch only costs memory.
pub const MAX_SENDMMSG_BATCH: usize = 1024;

/// How to send a burst: how many, how fast, how many per `sendmmsg(2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstSpec {
    pub count: u64,
    /// None: as fast as the kernel takes them.
    pub rate_pps: Option<f64>,
    /// Frames per `sendmmsg(2)` at full speed (clamped to 1..=[`MAX_SENDMMSG_BATCH`]).
    pub batch: usize,
}

impl Default for BurstSpec {
    fn default() -> Self {
        BurstSpec {
            count: 1,
            rate_pps: None,
            batch: 64,
        }
    }
}

/// What a burst achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstStats {
    pub sent: u64,
    /// From the first frame handed to the kernel to the last one.
    pub elapsed: Duration,
}

impl BurstStats {
    /// Achieved packets per second: `sent - 1` intervals over `elapsed`, the rate a receiver
    /// measures between the first and last frame. For a paced burst this is the asked rate
    /// (`sent / elapsed` would read 110 pps for 11 frames at `--rate 100`).
    pub fn pps(&self) -> f64 {
        let intervals = self.sent.saturating_sub(1).max(1) as f64;
        intervals / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn retryable(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EINTR))
}

/// `capacity` frame slots of `slot_size` bytes each, in one allocation, plus the `sendmmsg`
/// arrays: fill the slots in place, then [`TxSocket::send_batch`].
#[derive(Debug)]
pub struct TxBatch {
    buf: Vec<u8>,
    lens: Vec<usize>,
    slot: usize,
    mmsg: sys::Mmsg,
}

impl TxBatch {
    /// A batch of `capacity` empty slots able to hold frames of up to `slot_size` bytes.
    pub fn new(capacity: usize, slot_size: usize) -> TxBatch {
        let capacity = capacity.max(1);
        TxBatch {
            buf: vec![0; capacity * slot_size],
            lens: vec![0; capacity],
            slot: slot_size,
            mmsg: sys::Mmsg::new(capacity),
        }
    }

    /// How many frames one batch holds.
    pub fn capacity(&self) -> usize {
        self.mmsg.capacity()
    }

    /// The largest frame a slot holds.
    pub fn slot_size(&self) -> usize {
        self.slot
    }

    /// Copy `frame` into every slot (the template a hot loop then patches in place).
    ///
    /// # Panics
    /// If `frame` is longer than [`slot_size`](Self::slot_size).
    pub fn fill(&mut self, frame: &[u8]) {
        for i in 0..self.capacity() {
            self.set(i, frame);
        }
    }

    /// Copy `frame` into slot `i`.
    ///
    /// # Panics
    /// If `i` is out of range or `frame` is longer than the slot.
    pub fn set(&mut self, i: usize, frame: &[u8]) {
        self.slot_mut(i)[..frame.len()].copy_from_slice(frame);
        self.lens[i] = frame.len();
    }

    /// Slot `i` as a whole (`slot_size` bytes), to write a frame into; then [`set_len`](Self::set_len).
    pub fn slot_mut(&mut self, i: usize) -> &mut [u8] {
        &mut self.buf[i * self.slot..(i + 1) * self.slot]
    }

    /// The frame in slot `i`, mutable (its current length), to patch in place.
    pub fn frame_mut(&mut self, i: usize) -> &mut [u8] {
        let len = self.lens[i];
        &mut self.buf[i * self.slot..i * self.slot + len]
    }

    /// The frame in slot `i`.
    pub fn frame(&self, i: usize) -> &[u8] {
        &self.buf[i * self.slot..i * self.slot + self.lens[i]]
    }

    /// Set the length of the frame in slot `i`.
    ///
    /// # Panics
    /// If `len` is larger than the slot.
    pub fn set_len(&mut self, i: usize, len: usize) {
        assert!(
            len <= self.slot,
            "frame of {len} bytes in a {}-byte slot",
            self.slot
        );
        self.lens[i] = len;
    }
}

/// Paces a sender to an absolute schedule: frame `i` is due at `start + i / rate`. Deadlines
/// are computed from the start, never from the previous send, so errors do not accumulate.
/// Sleeps while the next deadline is far, spins the last stretch (sub-millisecond precision).
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    interval_ns: f64,
}

impl Pacer {
    /// Below this much time to wait, spin instead of sleeping (a sleep overshoots by ~50-100 µs).
    const SPIN_NS: u64 = 200_000;

    /// A schedule of `pps` frames per second from now.
    pub fn new(pps: f64) -> Pacer {
        Pacer {
            start: Instant::now(),
            interval_ns: 1e9 / pps,
        }
    }

    /// When frame `i` is due.
    pub fn deadline(&self, i: u64) -> Instant {
        self.start + Duration::from_nanos((i as f64 * self.interval_ns) as u64)
    }

    /// How many frames are due by now (frames `0..n` have deadlines in the past): a sender that
    /// fell behind (its CPU was taken) sends the overdue ones in one batch to catch up.
    pub fn due_now(&self) -> u64 {
        // Saturating: at an absurd rate (1e300 pps) the quotient is infinite.
        ((self.start.elapsed().as_nanos() as f64 / self.interval_ns) as u64).saturating_add(1)
    }

    /// Wait until frame `i` is due (returns at once if it is late).
    pub fn wait(&self, i: u64) {
        let due = self.deadline(i);
        loop {
            let now = Instant::now();
            if now >= due {
                return;
            }
            let left = due - now;
            if left > Duration::from_nanos(Self::SPIN_NS) {
                std::thread::sleep(left - Duration::from_nanos(Self::SPIN_NS / 2));
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// How many frames to send per deadline so that one syscall every ~20 µs keeps up with the
    /// rate (1 below 50k pps).
    pub fn burst(pps: f64) -> usize {
        ((pps / 50_000.0).ceil() as usize).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_slots() {
        let mut b = TxBatch::new(4, 64);
        b.fill(&[1, 2, 3]);
        assert_eq!(b.frame(3), &[1, 2, 3]);
        b.frame_mut(2)[0] = 9;
        assert_eq!(b.frame(2), &[9, 2, 3]);
        assert_eq!(b.frame(1), &[1, 2, 3]);
        b.slot_mut(0)[..2].copy_from_slice(&[7, 7]);
        b.set_len(0, 2);
        assert_eq!(b.frame(0), &[7, 7]);
    }

    #[test]
    fn pacer_keeps_an_absolute_schedule() {
        // 2000 deadlines at 20 kpps: 100 ms. Each wait returns at or after its deadline and the
        // total is not the sum of per-frame overshoots.
        let p = Pacer::new(20_000.0);
        let mut late = Duration::ZERO;
        for i in 0..2000 {
            p.wait(i);
            let now = Instant::now();
            assert!(now >= p.deadline(i));
            late = late.max(now - p.deadline(i));
        }
        let total = p.start.elapsed();
        assert!(total >= Duration::from_micros(99_950), "{total:?}");
        // Relative bound only: the whole run ends within a few frames of its schedule.
        assert!(
            total < p.deadline(2000) - p.start + Duration::from_millis(50),
            "{total:?}, worst {late:?}"
        );
        assert_eq!(Pacer::burst(1000.0), 1);
        // Long after the start, every frame up to now is due.
        let p = Pacer::new(1000.0);
        std::thread::sleep(Duration::from_millis(20));
        assert!(p.due_now() >= 20, "{}", p.due_now());
        // Any rate the CLI accepts (finite, positive) is safe: no overflow, no panic.
        let fast = Pacer::new(1e300);
        std::thread::sleep(Duration::from_millis(1));
        assert_eq!(fast.due_now(), u64::MAX);
        assert_eq!(Pacer::new(1e-300).due_now(), 1);
        assert_eq!(Pacer::burst(1e300), usize::MAX);
        assert_eq!(Pacer::burst(450_000.0), 9);
    }

    #[test]
    fn pps_counts_intervals_not_frames() {
        let paced = BurstStats {
            sent: 11,
            elapsed: Duration::from_millis(100),
        };
        assert!((paced.pps() - 100.0).abs() < 1e-9, "{}", paced.pps());
        let big = BurstStats {
            sent: 1_000_001,
            elapsed: Duration::from_secs(2),
        };
        assert!((big.pps() - 500_000.0).abs() < 1e-6, "{}", big.pps());
    }

    #[test]
    fn a_burst_allocates_nothing_per_frame() {
        use crate::frame::{FrameSpec, L4Spec, MacAddr, Vary};
        use crate::link::{LinkError, PrivatePair, VethPairSpec};
        use sys::counting_alloc::allocations;
        if !nix::unistd::geteuid().is_root() {
            if std::env::var_os("VETHBENCH_REQUIRE_ROOT").is_some_and(|v| v == "1") {
                panic!("a_burst_allocates_nothing_per_frame: needs root");
            }
            eprintln!("SKIP a_burst_allocates_nothing_per_frame: needs root");
            return;
        }
        let pair = PrivatePair::same_netns(&VethPairSpec::new("vbal0", "vbal1")).unwrap();
        let spec = FrameSpec {
            dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            l4: L4Spec::Udp,
            payload: b"123".to_vec(),
            ..FrameSpec::default()
        };
        let tmpl = FrameTemplate::with_vary(&spec, Vary::IpId).unwrap();
        // (count, rate): full speed and paced, each short and long. Allocations are counted on
        // the thread that sends (run_a's), so other tests running meanwhile do not count.
        let runs = [
            (100, None),
            (20_000, None),
            (10, Some(1e6)),
            (2_000, Some(1e6)),
        ];
        let counts = pair
            .run_a(|| {
                let mut sock = TxSocket::open("vbal0").map_err(|e| LinkError::Io {
                    op: "open".into(),
                    source: std::io::Error::other(crate::error::chain(&e)),
                })?;
                let mut counts = Vec::with_capacity(runs.len());
                for (count, rate_pps) in runs {
                    let burst = BurstSpec {
                        count,
                        rate_pps,
                        batch: 64,
                    };
                    let before = allocations();
                    let stats = sock.send_burst(&tmpl, &burst).unwrap();
                    counts.push(allocations() - before);
                    assert_eq!(stats.sent, count);
                }
                Ok(counts)
            })
            .unwrap();
        // The batch (frame slots, lengths, mmsghdr and iovec arrays) is allocated once per
        // burst, whatever its length: a per-frame allocation would grow with the count.
        assert_eq!(counts[0], counts[1], "full speed: {counts:?}");
        assert_eq!(counts[2], counts[3], "paced: {counts:?}");
        assert!(counts[1] <= 8, "{counts:?}");
    }

    #[test]
    fn open_on_missing_interface_is_typed() {
        let e = TxSocket::open("vb-nonexist0").unwrap_err();
        assert!(matches!(e, SockError::NoSuchInterface(_)), "{e}");
    }
}
