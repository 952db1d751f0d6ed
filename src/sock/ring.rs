//! The receive path: a TPACKET_V3 memory-mapped ring on an AF_PACKET socket.
//!
//! What stays true:
//! - **Ready barrier.** When [`RxRing::open`] returns, the ring is mapped and bound: the first
//!   frame sent after that is in the ring. (The filter, if any, is attached before the bind.)
//! - **No allocation per frame.** [`RxRing::for_each`] hands out [`RxFrame`]s that borrow the
//!   ring's memory; copy what you need to keep before the callback returns.
//! - **Wire frames.** The kernel strips a received 802.1Q tag into the ring header; we put it
//!   back in place (4 bytes of `PACKET_RESERVE` headroom), so `data()` is the frame as sent.
//! - **Nanosecond kernel timestamps** (`tp_sec`/`tp_nsec`, software stamps taken on receive).
//! - **Drops are never silent.** [`RxRing::stats`] accumulates PACKET_STATISTICS (reading it
//!   resets the kernel's counters).
//!
//! Using it from another thread: open the ring on the thread that is in the right network
//! namespace (sockets belong to the opener's namespace), then move it anywhere (`RxRing: Send`).
//! A typical receiver loop:
//!
//! ```no_run
//! use std::time::Duration;
//! use vethbench::sock::ring::{RxConfig, RxRing};
//! let mut ring = RxRing::open("vethY", &RxConfig::default())?;
//! // ... signal the sender that we are ready ...
//! let mut n = 0u64;
//! while n < 1000 {
//!     if ring.poll(Duration::from_millis(100))? {
//!         ring.for_each(|f| {
//!             let _ = (f.data(), f.ts_ns());
//!             n += 1;
//!         });
//!     }
//! }
//! let st = ring.stats()?;
//! println!("{n} captured, {} dropped", st.drops);
//! # Ok::<(), vethbench::sock::SockError>(())
//! ```
//!
//! Not done here: hardware timestamps, fanout, transmit rings, non-Ethernet interfaces
//! (`open` refuses them: their frames do not start with an Ethernet header).

use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use super::SockError;
use crate::sys::ring as sys;
use crate::Capability;

use super::{RxMeta, TP_STATUS_GSO_TCP};

/// Which frames a ring keeps, by direction relative to the capturing interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Frames the interface received (default: what this host sent itself is ignored).
    #[default]
    In,
    /// Frames the interface transmitted.
    Out,
    /// Both.
    InOut,
}

impl std::str::FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "in" => Ok(Direction::In),
            "out" => Ok(Direction::Out),
            "inout" => Ok(Direction::InOut),
            _ => Err(format!("'{s}': expected in, out or inout")),
        }
    }
}

/// Ring configuration. The defaults suit line-rate capture on a veth pair.
#[derive(Debug, Clone)]
pub struct RxConfig {
    /// Bytes per block: a multiple of the page size, and larger than the largest frame.
    pub block_size: u32,
    /// Number of blocks.
    pub block_count: u32,
    /// Nominal frame slot (TPACKET_V3 packs frames tightly; this only sizes `tp_frame_nr`).
    pub frame_size: u32,
    /// A partly filled block is handed to user space after this many ms (live printing).
    pub block_timeout_ms: u32,
    pub direction: Direction,
    /// A classic BPF program to attach (see [`super::filter::compile`]).
    pub filter: Option<super::filter::BpfProgram>,
}

impl Default for RxConfig {
    fn default() -> Self {
        RxConfig {
            // 1 MiB blocks hold a 256 KiB GSO frame; 32 of them absorb ~0.5 s at 1 Mpps of
            // 64-byte frames (each takes 48 B header + frame, 16-aligned ~ 128 B).
            block_size: 1 << 20,
            block_count: 32,
            frame_size: 2048,
            block_timeout_ms: 4,
            direction: Direction::In,
            filter: None,
        }
    }
}

/// Kernel counters of a ring, accumulated since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RxStats {
    /// Frames that passed the filter (delivered to the ring, or dropped for lack of room).
    pub packets: u64,
    /// Frames dropped because the ring was full.
    pub drops: u64,
    /// Times the queue froze (ring full).
    pub freeze_count: u64,
}

/// An 802.1Q/802.1ad tag the kernel reported (and that `data()` carries again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vlan {
    pub tpid: u16,
    pub tci: u16,
}

impl Vlan {
    /// The 12-bit VLAN identifier.
    pub fn id(&self) -> u16 {
        self.tci & 0x0fff
    }
}

/// One received frame, borrowed from the ring (defined beside the ring walk in `sys`).
pub use crate::sys::ring::RxFrame;

impl<'a> RxFrame<'a> {
    /// The captured bytes, starting at the Ethernet header, VLAN tag restored.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// The frame's length on the wire (may exceed `data().len()` when truncated).
    pub fn wire_len(&self) -> u32 {
        self.wire_len
    }
    /// Kernel receive timestamp, ns since the Unix epoch.
    pub fn ts_ns(&self) -> u64 {
        self.ts_ns
    }
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }
    /// The tag the kernel had stripped, if any.
    pub fn vlan(&self) -> Option<Vlan> {
        self.vlan.map(|(tpid, tci)| Vlan { tpid, tci })
    }
    /// True when the interface transmitted this frame (PACKET_OUTGOING).
    pub fn outgoing(&self) -> bool {
        self.pkttype == libc::PACKET_OUTGOING
    }
    /// `sll_pkttype`: PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, ...
    pub fn pkttype(&self) -> u8 {
        self.pkttype
    }
    /// TP_STATUS_CSUMNOTREADY: the TCP/UDP checksum is partial (offload), not wrong.
    pub fn csum_not_ready(&self) -> bool {
        self.status & libc::TP_STATUS_CSUMNOTREADY != 0
    }
    /// TP_STATUS_CSUM_VALID: the checksum was already verified (by the NIC or the stack).
    pub fn csum_valid(&self) -> bool {
        self.status & libc::TP_STATUS_CSUM_VALID != 0
    }
    /// TP_STATUS_GSO_TCP: a TCP GSO/GRO frame larger than the MTU (Linux 6.4+ sets it).
    pub fn gso_tcp(&self) -> bool {
        self.status & TP_STATUS_GSO_TCP != 0
    }
    /// Timestamp, wire length, packet type and checksum status, as one value.
    pub fn meta(&self) -> RxMeta {
        RxMeta::from_status(self.ts_ns, self.wire_len, self.pkttype, self.status)
    }
    /// TP_STATUS_LOSING: the kernel dropped frames around this one.
    pub fn losing(&self) -> bool {
        self.status & libc::TP_STATUS_LOSING != 0
    }
}

/// A TPACKET_V3 ring bound to one interface.
#[derive(Debug)]
pub struct RxRing {
    iface: String,
    ifindex: u32,
    direction: Direction,
    ring: sys::Ring,
    stats: RxStats,
    /// Frames the ring held that the direction setting drops (counted by the kernel as
    /// received: [`RxRing::skipped`] lets a caller subtract them).
    skipped: u64,
}

/// Packet rings may take at most 1/`RING_MEMORY_SHARE` of the machine's memory, all rings of
/// one capture together.
pub const RING_MEMORY_SHARE: u64 = 8;

/// The machine's memory (MemTotal of `/proc/meminfo`), in bytes; 1 GiB if it cannot be read
/// (a conservative guess).
pub fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        })
        .unwrap_or(1 << 30)
}

/// The most ring memory one capture may ask for: 1/[`RING_MEMORY_SHARE`] of [`mem_total`].
pub fn ring_budget() -> u64 {
    mem_total() / RING_MEMORY_SHARE
}

/// Refuse `rings` rings of geometry `cfg` beyond [`ring_budget`] (before anything is opened).
pub fn check_ring_budget(rings: usize, cfg: &RxConfig) -> Result<(), SockError> {
    let total = u64::from(cfg.block_size)
        .saturating_mul(u64::from(cfg.block_count))
        .saturating_mul(rings as u64);
    let mem_total = mem_total();
    let limit = mem_total / RING_MEMORY_SHARE;
    if total > limit {
        return Err(SockError::RingTooLarge {
            rings,
            blocks: cfg.block_count,
            block_size: cfg.block_size,
            total,
            limit,
            mem_total,
        });
    }
    Ok(())
}

/// "1.5 GiB", "512 MiB", "4096 bytes".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

impl RxRing {
    /// Open a ring on `iface` in the calling thread's network namespace. A ring beyond
    /// [`ring_budget`] is refused before the kernel is asked.
    pub fn open(iface: &str, cfg: &RxConfig) -> Result<Self, SockError> {
        check_ring_budget(1, cfg)?;
        let ifindex = super::ifindex(iface)?;
        let page = 4096u32;
        if cfg.block_size == 0
            || !cfg.block_size.is_multiple_of(page)
            || cfg.frame_size < 64
            || !cfg.frame_size.is_multiple_of(16)
            || !cfg.block_size.is_multiple_of(cfg.frame_size)
            || cfg.block_count == 0
        {
            return Err(SockError::Io {
                op: "rx ring geometry",
                iface: iface.to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "block size {} must be a multiple of {page}, frame size {} a multiple \
                         of 16 dividing it, block count {} > 0",
                        cfg.block_size, cfg.frame_size, cfg.block_count
                    ),
                ),
            });
        }
        let geom = sys::Geometry {
            block_size: cfg.block_size,
            block_count: cfg.block_count,
            frame_size: cfg.frame_size,
            block_timeout_ms: cfg.block_timeout_ms.max(1),
            reserve: 4,
        };
        let ring = sys::Ring::open(
            ifindex,
            geom,
            cfg.direction == Direction::In,
            cfg.filter.as_ref().map(|p| p.insns()),
        )
        .map_err(|(op, e)| SockError::from_io(op, iface, e, Capability::NetRaw))?;
        // Frames are read, written (LINKTYPE_ETHERNET) and decoded as Ethernet: refuse an
        // interface whose frames start elsewhere (tun, ip tunnels...) rather than mislabel it.
        let hatype = ring
            .hatype()
            .map_err(|e| SockError::from_io("getsockname", iface, e, Capability::NetRaw))?;
        if hatype != libc::ARPHRD_ETHER && hatype != libc::ARPHRD_LOOPBACK {
            return Err(SockError::Io {
                op: "link type",
                iface: iface.to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "ARPHRD {hatype} is not Ethernet: only Ethernet interfaces (veth, \
                         dummy, bridge, lo...) can be captured"
                    ),
                ),
            });
        }
        Ok(RxRing {
            iface: iface.to_string(),
            ifindex,
            direction: cfg.direction,
            ring,
            stats: RxStats::default(),
            skipped: 0,
        })
    }

    pub fn iface(&self) -> &str {
        &self.iface
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// True when a block is ready now (no system call).
    pub fn ready(&self) -> bool {
        self.ring.ready()
    }

    /// Wait up to `timeout` for a block; true when one is ready. EINTR counts as "not ready".
    pub fn poll(&mut self, timeout: Duration) -> Result<bool, SockError> {
        if self.ring.ready() {
            return Ok(true);
        }
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        let mut fds = [PollFd::new(
            self.ring.fd().as_fd(),
            PollFlags::POLLIN | PollFlags::POLLERR,
        )];
        match poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(self.ring.ready()),
            Err(e) => Err(SockError::from_io(
                "poll",
                &self.iface,
                std::io::Error::from(e),
                Capability::NetRaw,
            )),
        }
    }

    /// Call `f` on every frame in the blocks that are ready now, in arrival order, and give
    /// the blocks back to the kernel. Returns the number of frames passed to `f`.
    pub fn for_each(&mut self, mut f: impl FnMut(&RxFrame<'_>)) -> usize {
        self.for_each_limited(usize::MAX, &mut f)
    }

    /// Like [`for_each`](Self::for_each) but at most `max_blocks` blocks.
    pub fn for_each_limited(
        &mut self,
        max_blocks: usize,
        f: &mut dyn FnMut(&RxFrame<'_>),
    ) -> usize {
        let dir = self.direction;
        let mut n = 0;
        let mut skipped = 0;
        self.ring.drain(max_blocks, &mut |fr: &RxFrame<'_>| {
            if keeps(dir, fr) {
                n += 1;
                f(fr);
            } else {
                skipped += 1;
            }
        });
        self.skipped += skipped;
        n
    }

    /// Take frames in arrival order while `f` says so: `f` sees each frame this ring keeps
    /// once, and the frame is consumed after it returns; `false` stops after that frame.
    /// Returns the frames passed to `f`. The single-ring capture's walk: one look at the
    /// ring per frame, where [`peek`](Self::peek) + [`advance`](Self::advance) take two.
    pub fn take_while(&mut self, mut f: impl FnMut(&RxFrame<'_>) -> bool) -> usize {
        let dir = self.direction;
        let mut n = 0;
        while let Some(fr) = self.ring.peek() {
            let go = if keeps(dir, &fr) {
                n += 1;
                f(&fr)
            } else {
                self.skipped += 1;
                true
            };
            self.ring.advance();
            if !go {
                break;
            }
        }
        n
    }

    /// The next frame this ring keeps, without consuming it (None: no block ready). Its block
    /// stays out of the kernel's hands until [`advance`](Self::advance) moves past its last
    /// frame: several rings can be merged in time order, each one's head frame held.
    pub fn peek(&mut self) -> Option<RxFrame<'_>> {
        loop {
            let keep = keeps(self.direction, &self.ring.peek()?);
            if keep {
                return self.ring.peek();
            }
            self.skipped += 1;
            self.ring.advance();
        }
    }

    /// Consume the frame [`peek`](Self::peek) returned.
    pub fn advance(&mut self) {
        self.ring.advance();
    }

    /// Frames of the other direction the ring held and this side dropped (the kernel counts
    /// them as received).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Stop frames from entering the ring (a filter that keeps nothing replaces any other):
    /// what the kernel counts from now on stays fixed, so draining the ring afterwards takes
    /// every frame it counted.
    pub fn stop_receiving(&mut self) -> Result<(), SockError> {
        self.ring.block_all().map_err(|e| {
            SockError::from_io(
                "setsockopt(SO_ATTACH_FILTER)",
                &self.iface,
                e,
                Capability::NetRaw,
            )
        })
    }

    /// Clear the socket's pending error, if any (poll reports POLLERR until then). `Ok(())`
    /// when there was none; the error otherwise (ENETDOWN: the interface went down or away).
    pub fn take_error(&mut self) -> Result<(), SockError> {
        match self.ring.take_error() {
            Ok(0) => Ok(()),
            Ok(errno) => Err(SockError::from_io(
                "receive",
                &self.iface,
                std::io::Error::from_raw_os_error(errno),
                Capability::NetRaw,
            )),
            Err(e) => Err(SockError::from_io(
                "SO_ERROR",
                &self.iface,
                e,
                Capability::NetRaw,
            )),
        }
    }

    /// True while the interface the ring is bound to still exists with the same ifindex.
    pub fn iface_exists(&self) -> bool {
        super::ifindex(&self.iface).is_ok_and(|i| i == self.ifindex)
    }

    /// The kernel's counters, accumulated since `open`.
    pub fn stats(&mut self) -> Result<RxStats, SockError> {
        let st = self.ring.take_stats().map_err(|e| {
            SockError::from_io("PACKET_STATISTICS", &self.iface, e, Capability::NetRaw)
        })?;
        // PACKET_STATISTICS reports tp_packets including the drops.
        self.stats.packets += st.tp_packets as u64;
        self.stats.drops += st.tp_drops as u64;
        self.stats.freeze_count += st.tp_freeze_q_cnt as u64;
        Ok(self.stats)
    }
}

/// True when a ring set to `dir` keeps `fr`.
fn keeps(dir: Direction, fr: &RxFrame<'_>) -> bool {
    match dir {
        Direction::In => !fr.outgoing(),
        Direction::Out => fr.outgoing(),
        Direction::InOut => true,
    }
}

impl AsFd for RxRing {
    /// For callers that poll several rings (and a signalfd) at once.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.ring.fd().as_fd()
    }
}
