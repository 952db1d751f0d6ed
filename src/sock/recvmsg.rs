//! The per-frame receive path: a plain AF_PACKET socket read with one `recvmsg(2)` per frame,
//! for when one frame is in flight at a time (latency and rtt runs, reflectors).
//!
//! What stays true:
//! - **Ready barrier.** When [`RecvSocket::open`] returns, the socket is bound: the first frame
//!   sent after that is queued on it.
//! - **Per-frame wake-up.** Unlike the TPACKET_V3 ring of [`super::ring`], which hands frames over
//!   a block at a time (1 ms block timer at best), a blocked reader wakes for each frame.
//! - **Kernel timestamps.** `SO_TIMESTAMPNS`: the software receive stamp the kernel took when
//!   the frame entered the stack (CLOCK_REALTIME), the same clock as the ring's `tp_sec/tp_nsec`.
//! - **Wire frames.** The 802.1Q tag the kernel strips is read from PACKET_AUXDATA and put back
//!   in place (the frame is received 4 bytes into the buffer, the MACs slide into the room).
//! - **No allocation per frame.** The buffer is allocated once, at open; [`RecvFrame`] borrows it.
//!
//! Not done here: batching (`recvmmsg`), which would trade the wake-up per frame away: use the
//! ring for throughput.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

use super::{ifindex, SockError};
use crate::frame::wire::{ethernet, vlan};
use crate::sys::recvmsg as sys;
use crate::Capability;

/// Settings of a [`RecvSocket`].
#[derive(Debug, Clone)]
pub struct RecvConfig {
    /// Largest frame kept whole, Ethernet header included (longer ones are truncated, see
    /// [`RecvFrame::truncated`]).
    pub max_frame: usize,
    /// Ignore frames the interface sent itself (default).
    pub ignore_outgoing: bool,
    /// Socket receive buffer in bytes (queued frames before the kernel drops).
    pub rcvbuf: usize,
    /// SO_BUSY_POLL microseconds (only NAPI devices honour it); None: off.
    pub busy_poll_us: Option<u32>,
}

impl Default for RecvConfig {
    fn default() -> Self {
        RecvConfig {
            max_frame: 65535 + 14 + 4,
            ignore_outgoing: true,
            rcvbuf: 4 << 20,
            busy_poll_us: None,
        }
    }
}

/// Room in front of the frame for a restored VLAN tag.
const HEADROOM: usize = vlan::HEADER_LEN;
/// The destination and source MACs, what comes before a tag.
const MACS: usize = ethernet::field::ETHERTYPE.start;

/// A bound receive socket, one frame per `recv`.
#[derive(Debug)]
pub struct RecvSocket {
    fd: OwnedFd,
    iface: String,
    buf: Vec<u8>,
    cmsg: [u64; sys::CMSG_SPACE / 8],
    timeout: Option<Duration>,
    ignore_outgoing: bool,
    packets: u64,
    drops: u64,
}

/// One received frame, borrowed from the socket's buffer.
#[derive(Debug, Clone, Copy)]
pub struct RecvFrame<'a> {
    data: &'a [u8],
    wire_len: usize,
    ts_ns: u64,
    kernel_ts: bool,
    pkttype: u8,
    status: u32,
}

impl<'a> RecvFrame<'a> {
    /// The bytes, from the Ethernet header, VLAN tag restored.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// The frame's length on the wire (VLAN tag included).
    pub fn wire_len(&self) -> usize {
        self.wire_len
    }
    /// True when the frame was longer than the buffer.
    pub fn truncated(&self) -> bool {
        self.data.len() < self.wire_len
    }
    /// The kernel's receive timestamp, CLOCK_REALTIME ns (or the time of the read when the
    /// kernel gave none, see [`RecvFrame::kernel_ts`]).
    pub fn ts_ns(&self) -> u64 {
        self.ts_ns
    }
    /// True when `ts_ns` is the kernel's receive timestamp.
    pub fn kernel_ts(&self) -> bool {
        self.kernel_ts
    }
    /// Timestamp, wire length, packet type and checksum status, as one value.
    pub fn meta(&self) -> super::RxMeta {
        super::RxMeta::from_status(
            self.ts_ns,
            self.wire_len.min(u32::MAX as usize) as u32,
            self.pkttype,
            self.status,
        )
    }
}

impl RecvSocket {
    /// Open and bind a receive socket on `iface` (in the calling thread's network namespace).
    /// Needs CAP_NET_RAW.
    pub fn open(iface: &str, cfg: &RecvConfig) -> Result<RecvSocket, SockError> {
        Self::open_bound(iface, cfg, libc::ETH_P_ALL as u16)
    }

    /// [`RecvSocket::open`] for the frames of one EtherType (the innermost, past VLAN tags)
    /// only. Where the kernel hands them over differs: an all-protocol socket gets a received
    /// frame before tc ingress (and before a bridge takes it), this one after, so it sees what
    /// a tc-ingress program let through, and only that.
    pub fn open_protocol(
        iface: &str,
        cfg: &RecvConfig,
        ethertype: u16,
    ) -> Result<RecvSocket, SockError> {
        Self::open_bound(iface, cfg, ethertype)
    }

    fn open_bound(iface: &str, cfg: &RecvConfig, proto: u16) -> Result<RecvSocket, SockError> {
        let index = ifindex(iface)?;
        let fd = sys::open(
            index,
            proto.to_be(),
            cfg.ignore_outgoing,
            cfg.rcvbuf,
            cfg.busy_poll_us,
        )
        .map_err(|(op, e)| SockError::from_io(op, iface, e, Capability::NetRaw))?;
        Ok(RecvSocket {
            fd,
            iface: iface.to_string(),
            buf: vec![0; cfg.max_frame.max(64) + HEADROOM],
            cmsg: [0; sys::CMSG_SPACE / 8],
            timeout: None,
            ignore_outgoing: cfg.ignore_outgoing,
            packets: 0,
            drops: 0,
        })
    }

    /// The interface this socket is bound to.
    pub fn iface(&self) -> &str {
        &self.iface
    }

    /// Wait up to `timeout` (zero: do not wait) for one frame. `Ok(None)` when none came.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<RecvFrame<'_>>, SockError> {
        let dontwait = timeout.is_zero();
        if !dontwait && self.timeout != Some(timeout) {
            sys::set_rcvtimeo(&self.fd, timeout).map_err(|e| {
                SockError::from_io("SO_RCVTIMEO", &self.iface, e, Capability::NetRaw)
            })?;
            self.timeout = Some(timeout);
        }
        loop {
            let meta = sys::recv(
                &self.fd,
                &mut self.buf[HEADROOM..],
                &mut self.cmsg,
                dontwait,
            )
            .map_err(|e| SockError::from_io("recvmsg", &self.iface, e, Capability::NetRaw))?;
            let Some(m) = meta else { return Ok(None) };
            if self.ignore_outgoing && m.pkttype == libc::PACKET_OUTGOING {
                // Only on kernels without PACKET_IGNORE_OUTGOING; look for the next one.
                continue;
            }
            let (kernel_ts, ts_ns) = match m.ts_ns {
                Some(t) => (true, t),
                None => (false, crate::sys::clock::realtime_ns()),
            };
            let (start, len, wire_len) = match m.vlan {
                Some((tpid, tci)) if m.copied >= MACS => {
                    // Slide the MACs into the headroom and put the tag back after them: the
                    // tag's TPID where the EtherType was, its TCI after it.
                    self.buf.copy_within(HEADROOM..HEADROOM + MACS, 0);
                    let tag_end = ethernet::HEADER_LEN + vlan::field::TCI.end;
                    ethernet::Header::new_unchecked(&mut self.buf[..tag_end]).set_ethertype(tpid);
                    vlan::Header::new_unchecked(&mut self.buf[ethernet::HEADER_LEN..tag_end])
                        .set_tci(tci);
                    let tag = vlan::HEADER_LEN;
                    (0, m.copied + tag, m.wire_len + tag)
                }
                _ => (HEADROOM, m.copied, m.wire_len),
            };
            return Ok(Some(RecvFrame {
                data: &self.buf[start..start + len],
                wire_len,
                ts_ns,
                kernel_ts,
                pkttype: m.pkttype,
                status: m.status,
            }));
        }
    }

    /// Frames the kernel dropped because the socket's queue was full, since `open`.
    pub fn drops(&mut self) -> Result<u64, SockError> {
        let st = sys::take_stats(&self.fd).map_err(|e| {
            SockError::from_io("PACKET_STATISTICS", &self.iface, e, Capability::NetRaw)
        })?;
        self.packets += st.tp_packets as u64;
        self.drops += st.tp_drops as u64;
        Ok(self.drops)
    }
}

impl AsFd for RecvSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
