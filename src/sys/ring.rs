//! TPACKET_V3 receive ring: socket options, the shared mapping, and walking its blocks.
//!
//! Layout (see `Documentation/networking/packet_mmap.rst`): `block_count` blocks of
//! `block_size` bytes, each starting with a `tpacket_block_desc`. The kernel fills a block,
//! then hands it over by setting `TP_STATUS_USER` in `block_status` (on its own when the block
//! is full, or after `tp_retire_blk_tov` ms). We walk its frames (`tp_next_offset` chains them),
//! then give it back with `TP_STATUS_KERNEL`. Blocks are handed over strictly in order, so one
//! cursor is enough.
//!
//! `PACKET_RESERVE` leaves `reserve` bytes of headroom in front of every frame; the walker uses
//! 4 of them to put back, in place, the 802.1Q tag the kernel stripped on receive.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering};

use super::common;

/// Where the `sockaddr_ll` sits after each `tpacket3_hdr` (TPACKET_ALIGN of its size).
const SLL_OFFSET: usize = (std::mem::size_of::<libc::tpacket3_hdr>() + 15) & !15;

/// Ring geometry, already checked by the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    pub block_size: u32,
    pub block_count: u32,
    pub frame_size: u32,
    pub block_timeout_ms: u32,
    /// Headroom in front of each frame (PACKET_RESERVE).
    pub reserve: u32,
}

/// The socket and its mapped ring. Owns the mapping; unmaps it on drop.
#[derive(Debug)]
pub(crate) struct Ring {
    fd: OwnedFd,
    map: NonNull<u8>,
    map_len: usize,
    geom: Geometry,
    /// Index of the next block to look at (or of the one being read).
    cur: usize,
    /// Where [`Ring::peek`] is inside the block `cur`, when it started one.
    pos: Option<Pos>,
}

/// The cursor inside a block user space is reading.
#[derive(Debug, Clone, Copy)]
struct Pos {
    /// Frames left in the block, the current one included.
    left: usize,
    at: At,
}

/// A frame of the block being read, parsed.
#[derive(Debug, Clone, Copy)]
struct At {
    start: usize,
    cap: usize,
    wire: u32,
    ts_ns: u64,
    ifindex: u32,
    pkttype: u8,
    vlan: Option<(u16, u16)>,
    status: u32,
    /// Offset of the next frame's header.
    next: usize,
}

// SAFETY: the mapping is owned by this value alone (no aliases escape beyond a `&mut self`
// borrow), so moving it to another thread is as safe as moving a Vec.
unsafe impl Send for Ring {}

impl Ring {
    /// Open an AF_PACKET socket with a TPACKET_V3 ring, optionally attach a classic BPF
    /// program, and only then bind it to `ifindex`: when this returns, every frame that arrives
    /// is in the ring (the ready barrier), and none arrived unfiltered.
    pub(crate) fn open(
        ifindex: u32,
        geom: Geometry,
        ignore_outgoing: bool,
        filter: Option<&[libc::sock_filter]>,
    ) -> Result<Self, (&'static str, io::Error)> {
        // Protocol 0: receives nothing until bind, so nothing lands before the ring exists.
        let fd = common::packet_socket(0).map_err(|e| ("socket(AF_PACKET)", e))?;
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        common::setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)
            .map_err(|e| ("setsockopt(PACKET_VERSION=V3)", e))?;
        let reserve = geom.reserve as libc::c_uint;
        common::setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RESERVE, &reserve)
            .map_err(|e| ("setsockopt(PACKET_RESERVE)", e))?;
        if ignore_outgoing {
            let one: libc::c_int = 1;
            // Kernels before 4.20 lack it; the safe layer also drops PACKET_OUTGOING frames.
            let _ = common::setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, &one);
        }
        if let Some(prog) = filter {
            attach_filter(&fd, prog).map_err(|e| ("setsockopt(SO_ATTACH_FILTER)", e))?;
        }
        let req = libc::tpacket_req3 {
            tp_block_size: geom.block_size,
            tp_block_nr: geom.block_count,
            tp_frame_size: geom.frame_size,
            tp_frame_nr: (geom.block_size / geom.frame_size) * geom.block_count,
            tp_retire_blk_tov: geom.block_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        common::setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
            .map_err(|e| ("setsockopt(PACKET_RX_RING)", e))?;
        let map_len = geom.block_size as usize * geom.block_count as usize;
        // SAFETY: a fresh shared mapping of the ring the kernel just allocated for this fd, of
        // exactly its size; the result is checked for MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_LOCKED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        let p = if p == libc::MAP_FAILED {
            // MAP_LOCKED fails under a small RLIMIT_MEMLOCK: retry without it.
            // SAFETY: as above.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    map_len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED | libc::MAP_POPULATE,
                    fd.as_raw_fd(),
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(("mmap(rx ring)", io::Error::last_os_error()));
            }
            p
        } else {
            p
        };
        let map = NonNull::new(p as *mut u8).expect("mmap returned a non-null address");
        let ring = Ring {
            fd,
            map,
            map_len,
            geom,
            cur: 0,
            pos: None,
        };
        common::bind(&ring.fd, ifindex, common::ETH_P_ALL_BE).map_err(|e| ("bind", e))?;
        Ok(ring)
    }

    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    fn block_ptr(&self, i: usize) -> *mut libc::tpacket_block_desc {
        // SAFETY: i < block_count, so the offset stays inside the mapping.
        unsafe { self.map.as_ptr().add(i * self.geom.block_size as usize) as *mut _ }
    }

    /// True when the block under the cursor belongs to user space.
    pub(crate) fn ready(&self) -> bool {
        let b = self.block_ptr(self.cur);
        // SAFETY: b points at a block descriptor inside the live mapping; the kernel writes
        // block_status concurrently, hence the volatile read and the acquire fence after it.
        let status = unsafe { std::ptr::read_volatile(&(*b).hdr.bh1.block_status) };
        fence(Ordering::Acquire);
        status & libc::TP_STATUS_USER != 0
    }

    /// Walk every block user space owns, in order, call `f` on each frame, and return each
    /// block to the kernel. Returns the number of frames seen. At most `max_blocks` blocks, so
    /// a caller can check its stop condition between batches. A block [`Ring::peek`] started
    /// is finished first (and counts as one).
    pub(crate) fn drain(&mut self, max_blocks: usize, f: &mut dyn FnMut(&RxFrame<'_>)) -> usize {
        let mut n = 0;
        let mut blocks = 0;
        while blocks < max_blocks {
            let Some(frame) = self.peek() else {
                break;
            };
            f(&frame);
            n += 1;
            if self.advance() {
                blocks += 1;
            }
        }
        n
    }

    /// The frame under the cursor, without consuming it: the next frame of the block being
    /// read, or the first of the next ready block. None when no block is ready. The block
    /// stays user space's until [`Ring::advance`] moves past its last frame, so a caller can
    /// hold frames of several rings at once (a time-ordered merge).
    pub(crate) fn peek(&mut self) -> Option<RxFrame<'_>> {
        if self.pos.is_none() {
            loop {
                if !self.ready() {
                    return None;
                }
                let b = self.block_ptr(self.cur);
                // SAFETY: the block is ours (TP_STATUS_USER, acquire-fenced in ready()).
                let (num, first) = unsafe {
                    (
                        (*b).hdr.bh1.num_pkts as usize,
                        (*b).hdr.bh1.offset_to_first_pkt as usize,
                    )
                };
                if num > 0 {
                    let at = self.frame_at(first);
                    self.pos = Some(Pos { left: num, at });
                    break;
                }
                self.release_block();
            }
        }
        let at = self.pos?.at;
        let base = self.block_ptr(self.cur) as *const u8;
        // SAFETY: `at` was parsed from this block, which stays ours until advance() releases
        // it; start + cap lie inside the block (offsets from the kernel). The borrow of self
        // keeps the mapping alive and the block unreleased while the frame lives.
        let data = unsafe { std::slice::from_raw_parts(base.add(at.start), at.cap) };
        Some(RxFrame {
            data,
            wire_len: at.wire,
            ts_ns: at.ts_ns,
            ifindex: at.ifindex,
            pkttype: at.pkttype,
            vlan: at.vlan,
            status: at.status,
        })
    }

    /// Move past the frame [`Ring::peek`] returned; true when that finished its block, which
    /// went back to the kernel.
    pub(crate) fn advance(&mut self) -> bool {
        let Some(mut pos) = self.pos else {
            return false;
        };
        pos.left -= 1;
        if pos.left == 0 {
            self.pos = None;
            self.release_block();
            return true;
        }
        pos.at = self.frame_at(pos.at.next);
        self.pos = Some(pos);
        false
    }

    /// Give the block under the cursor back to the kernel and move to the next.
    fn release_block(&mut self) {
        let b = self.block_ptr(self.cur);
        fence(Ordering::Release);
        // SAFETY: b is the descriptor of the block we own; handing it back is one volatile
        // store after the release fence (no access to the block follows).
        unsafe { std::ptr::write_volatile(&mut (*b).hdr.bh1.block_status, libc::TP_STATUS_KERNEL) };
        self.cur = (self.cur + 1) % self.geom.block_count as usize;
    }

    /// Parse the frame at offset `off` of the block under the cursor, putting a stripped
    /// 802.1Q tag back in place (once: each frame is parsed once).
    fn frame_at(&mut self, off: usize) -> At {
        let reserve = self.geom.reserve as usize;
        let base = self.block_ptr(self.cur) as *mut u8;
        // SAFETY: the block is ours (TP_STATUS_USER) until released; `off` comes from the
        // kernel (offset_to_first_pkt or a tp_next_offset chain) and every offset derived from
        // the header stays inside the block of block_size bytes; the tag is written into the
        // PACKET_RESERVE headroom in front of the frame.
        unsafe {
            let hdr = &*(base.add(off) as *const libc::tpacket3_hdr);
            let sll = &*(base.add(off + SLL_OFFSET) as *const libc::sockaddr_ll);
            let mac = off + hdr.tp_mac as usize;
            let snap = hdr.tp_snaplen as usize;
            let mut at = At {
                start: mac,
                cap: snap,
                wire: hdr.tp_len,
                ts_ns: hdr.tp_sec as u64 * 1_000_000_000 + hdr.tp_nsec as u64,
                ifindex: sll.sll_ifindex as u32,
                pkttype: sll.sll_pkttype,
                vlan: None,
                status: hdr.tp_status,
                next: off + hdr.tp_next_offset as usize,
            };
            if hdr.tp_status & libc::TP_STATUS_VLAN_VALID != 0 {
                let tci = hdr.hv1.tp_vlan_tci as u16;
                let tpid = if hdr.tp_status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                    hdr.hv1.tp_vlan_tpid
                } else {
                    0x8100
                };
                at.vlan = Some((tpid, tci));
                if reserve >= 4 && snap >= 12 {
                    // Slide the two MACs 4 bytes into the headroom, write the tag after them:
                    // the frame is back as it was on the wire, no copy.
                    let p = base.add(mac);
                    std::ptr::copy(p, p.sub(4), 12);
                    let tag = p.add(8);
                    let tpid_b = tpid.to_be_bytes();
                    let tci_b = tci.to_be_bytes();
                    *tag = tpid_b[0];
                    *tag.add(1) = tpid_b[1];
                    *tag.add(2) = tci_b[0];
                    *tag.add(3) = tci_b[1];
                    at.start = mac - 4;
                    at.cap = snap + 4;
                    at.wire += 4;
                }
            }
            at
        }
    }

    /// Replace the socket's filter by one that keeps nothing (`ret #0`): no frame enters the
    /// ring, nor the kernel's counters, from now on.
    pub(crate) fn block_all(&self) -> io::Result<()> {
        let ret0 = [libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        }];
        attach_filter(&self.fd, &ret0)
    }

    /// Read and clear the socket's pending error (SO_ERROR), e.g. ENETDOWN when the interface
    /// went down or away: until it is read, poll(2) keeps reporting POLLERR.
    pub(crate) fn take_error(&self) -> io::Result<i32> {
        let mut err: libc::c_int = 0;
        common::getsockopt(&self.fd, libc::SOL_SOCKET, libc::SO_ERROR, &mut err)?;
        Ok(err)
    }

    /// The ARPHRD_* type of the bound interface (`sll_hatype` from getsockname).
    pub(crate) fn hatype(&self) -> io::Result<u16> {
        // SAFETY: sockaddr_ll is plain old data, for which all-zero bytes are a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `sll` and `len` are valid for writes for the duration of the call, and
        // `len` tells the kernel how many bytes `sll` has.
        let rc = unsafe {
            libc::getsockname(
                self.fd.as_raw_fd(),
                &mut sll as *mut libc::sockaddr_ll as *mut libc::sockaddr,
                &mut len,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(sll.sll_hatype)
    }

    /// Read and reset the kernel's counters (PACKET_STATISTICS).
    pub(crate) fn take_stats(&self) -> io::Result<libc::tpacket_stats_v3> {
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        common::getsockopt(&self.fd, libc::SOL_PACKET, libc::PACKET_STATISTICS, &mut st)?;
        Ok(st)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: map/map_len are exactly what mmap returned; no borrow of it outlives &mut self.
        unsafe {
            libc::munmap(self.map.as_ptr() as *mut libc::c_void, self.map_len);
        }
    }
}

/// Attach a classic BPF program (SO_ATTACH_FILTER). The kernel copies it.
pub(crate) fn attach_filter(fd: &OwnedFd, prog: &[libc::sock_filter]) -> io::Result<()> {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // The kernel only reads through the pointer during the call, while `prog` is borrowed.
    common::setsockopt(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog)
}

/// One received frame, borrowed from the ring; its accessors are in `sock::ring`.
#[derive(Debug)]
pub struct RxFrame<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) wire_len: u32,
    pub(crate) ts_ns: u64,
    pub(crate) ifindex: u32,
    pub(crate) pkttype: u8,
    pub(crate) vlan: Option<(u16, u16)>,
    pub(crate) status: u32,
}
