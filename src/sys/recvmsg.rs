//! A plain (ring-less) AF_PACKET receive socket: one `recvmsg(2)` per frame, the kernel's
//! receive timestamp from the SCM_TIMESTAMPNS control message and the stripped 802.1Q tag from
//! PACKET_AUXDATA.
//!
//! Why it exists next to the TPACKET_V3 ring: a V3 ring hands frames over a block at a time
//! (when the block fills or its timer retires it, 1 ms at best), so one frame in flight waits
//! up to a millisecond. A recvmsg wakes the reader for each frame.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use super::common;

/// Room for the control messages we ask for: a timespec (SCM_TIMESTAMPNS) and a
/// tpacket_auxdata (PACKET_AUXDATA), each with its cmsghdr, generously rounded up.
pub(crate) const CMSG_SPACE: usize = 128;

/// What one received frame was, besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RecvMeta {
    /// Bytes written to the buffer (at most its length).
    pub copied: usize,
    /// Length of the frame as the kernel had it (without a stripped VLAN tag).
    pub wire_len: usize,
    /// Kernel receive timestamp, CLOCK_REALTIME ns; None when the cmsg was missing.
    pub ts_ns: Option<u64>,
    /// The 802.1Q/802.1ad tag the kernel stripped: (tpid, tci).
    pub vlan: Option<(u16, u16)>,
    /// sll_pkttype (PACKET_HOST, PACKET_OUTGOING...).
    pub pkttype: u8,
    /// tp_status of PACKET_AUXDATA (checksum bits); 0 without it.
    pub status: u32,
}

/// Open a packet socket with receive timestamps and auxdata, then bind it to `ifindex` for
/// protocol `proto_be` (network order; ETH_P_ALL: every frame): when this returns, every frame
/// of that protocol that arrives is queued on it (the ready barrier).
pub(crate) fn open(
    ifindex: u32,
    proto_be: u16,
    ignore_outgoing: bool,
    rcvbuf: usize,
    busy_poll_us: Option<u32>,
) -> Result<OwnedFd, (&'static str, io::Error)> {
    // Protocol 0: receives nothing until bind.
    let fd = common::packet_socket(0).map_err(|e| ("socket(AF_PACKET)", e))?;
    let one: libc::c_int = 1;
    common::setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_AUXDATA, &one)
        .map_err(|e| ("setsockopt(PACKET_AUXDATA)", e))?;
    common::setsockopt(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &one)
        .map_err(|e| ("setsockopt(SO_TIMESTAMPNS)", e))?;
    if ignore_outgoing {
        // Kernels before 4.20 lack it; the safe layer also drops PACKET_OUTGOING frames.
        let _ = common::setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_IGNORE_OUTGOING, &one);
    }
    let v = rcvbuf.min(i32::MAX as usize) as libc::c_int;
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max.
    common::setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &v)
        .or_else(|_| common::setsockopt(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &v))
        .map_err(|e| ("setsockopt(SO_RCVBUF)", e))?;
    if let Some(us) = busy_poll_us {
        // Only devices with NAPI honour it (veth does with GRO/XDP on); harmless elsewhere.
        let _ = common::setsockopt(
            &fd,
            libc::SOL_SOCKET,
            libc::SO_BUSY_POLL,
            &(us as libc::c_int),
        );
    }
    common::bind(&fd, ifindex, proto_be).map_err(|e| ("bind", e))?;
    Ok(fd)
}

/// Set how long a blocking receive waits (SO_RCVTIMEO; zero would mean forever, so it is
/// raised to 1 µs).
pub(crate) fn set_rcvtimeo(fd: &OwnedFd, t: Duration) -> io::Result<()> {
    let t = t.max(Duration::from_micros(1));
    let tv = libc::timeval {
        tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: t.subsec_micros() as libc::suseconds_t,
    };
    common::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv)
}

/// Receive one frame into `buf` (from `buf[0]`), its control messages into `cmsg`.
/// `Ok(None)`: nothing arrived (non-blocking and empty, the receive timeout, a signal, or the
/// interface went down).
pub(crate) fn recv(
    fd: &OwnedFd,
    buf: &mut [u8],
    cmsg: &mut [u64; CMSG_SPACE / 8],
    dontwait: bool,
) -> io::Result<Option<RecvMeta>> {
    // SAFETY: sockaddr_ll, iovec and msghdr are plain old data; all-zero is valid for each.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = &mut sll as *mut libc::sockaddr_ll as *mut libc::c_void;
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = CMSG_SPACE as _;
    let flags = libc::MSG_TRUNC | if dontwait { libc::MSG_DONTWAIT } else { 0 };
    // SAFETY: msg points at live, writable buffers of the lengths it states (buf, sll, cmsg),
    // all borrowed for the duration of the call.
    let rc = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            // ENETDOWN: the interface went down; the socket stays bound and reads again
            // when it is back up (a link flap shows as loss, not as an error).
            Some(libc::EAGAIN) | Some(libc::EINTR) | Some(libc::ENETDOWN) => Ok(None),
            _ => Err(e),
        };
    }
    let wire_len = rc as usize;
    let mut meta = RecvMeta {
        copied: wire_len.min(buf.len()),
        wire_len,
        pkttype: sll.sll_pkttype,
        ..RecvMeta::default()
    };
    // SAFETY: the kernel filled msg_control with msg_controllen bytes of well-formed cmsgs;
    // CMSG_FIRSTHDR/CMSG_NXTHDR stay inside it, and CMSG_DATA is read unaligned with the size
    // the cmsg type defines (checked against cmsg_len first).
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            let h = &*c;
            let data = libc::CMSG_DATA(c);
            let len = h.cmsg_len as usize - (data as usize - c as usize);
            if h.cmsg_level == libc::SOL_SOCKET
                && h.cmsg_type == libc::SCM_TIMESTAMPNS
                && len >= std::mem::size_of::<libc::timespec>()
            {
                let ts = std::ptr::read_unaligned(data as *const libc::timespec);
                meta.ts_ns = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
            } else if h.cmsg_level == libc::SOL_PACKET
                && h.cmsg_type == libc::PACKET_AUXDATA
                && len >= std::mem::size_of::<libc::tpacket_auxdata>()
            {
                let aux = std::ptr::read_unaligned(data as *const libc::tpacket_auxdata);
                meta.status = aux.tp_status;
                if aux.tp_status & libc::TP_STATUS_VLAN_VALID != 0 {
                    let tpid = if aux.tp_status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                        aux.tp_vlan_tpid
                    } else {
                        0x8100
                    };
                    meta.vlan = Some((tpid, aux.tp_vlan_tci));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(Some(meta))
}

/// Read and reset the kernel's counters of a ring-less socket (PACKET_STATISTICS).
pub(crate) fn take_stats(fd: &OwnedFd) -> io::Result<libc::tpacket_stats> {
    let mut st = libc::tpacket_stats {
        tp_packets: 0,
        tp_drops: 0,
    };
    common::getsockopt(fd, libc::SOL_PACKET, libc::PACKET_STATISTICS, &mut st)?;
    Ok(st)
}
