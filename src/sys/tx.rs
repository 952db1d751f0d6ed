//! Transmit glue: `send(2)` of one frame and `sendmmsg(2)` of a batch, over arrays of
//! `mmsghdr`/`iovec` allocated once and re-pointed at each call (no allocation per packet).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// `PACKET_QDISC_BYPASS` from linux/if_packet.h (not exported by libc).
pub(crate) const PACKET_QDISC_BYPASS: libc::c_int = 20;
/// `SO_SNDBUFFORCE` (asm-generic/socket.h; x86, arm, riscv): like SO_SNDBUF, above wmem_max.
pub(crate) const SO_SNDBUFFORCE: libc::c_int = 32;

/// Send one frame on a bound packet socket (the bound interface is the destination).
pub(crate) fn send(fd: &OwnedFd, frame: &[u8]) -> io::Result<usize> {
    // SAFETY: frame is a live slice and the length passed is its length; the kernel only reads.
    let n = unsafe {
        libc::send(
            fd.as_raw_fd(),
            frame.as_ptr() as *const libc::c_void,
            frame.len(),
            0,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// SO_TIMESTAMPING flags (linux/net_tstamp.h): a software timestamp when the device takes the
/// frame (veth: in `veth_xmit`), reported without the frame itself.
const SOF_TIMESTAMPING_TX_SOFTWARE: u32 = 1 << 1;
const SOF_TIMESTAMPING_SOFTWARE: u32 = 1 << 4;
const SOF_TIMESTAMPING_OPT_TSONLY: u32 = 1 << 11;
/// `PACKET_TX_TIMESTAMP` (linux/if_packet.h): the cmsg type of a packet socket's error queue.
const PACKET_TX_TIMESTAMP: libc::c_int = 16;
/// Room for a `scm_timestamping` and a `sock_extended_err`, each with its cmsghdr.
pub(crate) const TS_CMSG_SPACE: usize = 256;

/// Report software transmit timestamps on `fd` (without the frame), but generate them only
/// for the frames that ask with [`send_tx_stamped`]: the others leave the device without the
/// timestamp's cost (veth_xmit allocates an skb for the error queue and queues it before
/// forwarding the frame).
pub(crate) fn enable_tx_timestamp_reports(fd: &OwnedFd) -> io::Result<()> {
    let flags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;
    super::common::setsockopt(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, &flags)
}

/// Room for one cmsghdr carrying a u32, 8-byte aligned (CMSG_SPACE(4) is 24 on 64-bit Linux).
const STAMP_REQ_SPACE: usize = 24;

/// Send one frame on a bound packet socket with a per-message SO_TIMESTAMPING control message
/// asking for its software transmit timestamp (read it with [`read_tx_timestamp`]; reporting
/// must be on: [`enable_tx_timestamp_reports`]).
pub(crate) fn send_tx_stamped(fd: &OwnedFd, frame: &[u8]) -> io::Result<usize> {
    let mut control = [0u64; STAMP_REQ_SPACE / 8];
    let mut iov = libc::iovec {
        iov_base: frame.as_ptr() as *mut libc::c_void,
        iov_len: frame.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero (no name, no iovec, no control) is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<u32>() as u32) } as usize;
    debug_assert!(space <= STAMP_REQ_SPACE);
    msg.msg_controllen = space as _;
    // SAFETY: msg_control points at `control`, STAMP_REQ_SPACE >= CMSG_SPACE(4) writable bytes
    // aligned for cmsghdr (u64 array); CMSG_FIRSTHDR returns its start (controllen >= a
    // cmsghdr), and CMSG_DATA is 4 bytes inside it, written unaligned.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SO_TIMESTAMPING;
        (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<u32>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut u32, SOF_TIMESTAMPING_TX_SOFTWARE);
    }
    // SAFETY: msg points at one iovec over `frame` (live, borrowed for the call; the kernel
    // only reads it) and at the control buffer above; the socket is bound, so no name.
    let n = unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Take one transmit timestamp from the error queue without waiting: CLOCK_REALTIME ns, or
/// None when the queue is empty.
pub(crate) fn read_tx_timestamp(
    fd: &OwnedFd,
    cmsg: &mut [u64; TS_CMSG_SPACE / 8],
) -> io::Result<Option<u64>> {
    // SAFETY: msghdr is plain old data; all-zero (no name, no iovec) is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_control = cmsg.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen = TS_CMSG_SPACE as _;
    // SAFETY: msg points at the live, writable cmsg buffer of the length it states, borrowed
    // for the call; there is no iovec (OPT_TSONLY: no data comes back).
    let rc = unsafe {
        libc::recvmsg(
            fd.as_raw_fd(),
            &mut msg,
            libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
            _ => Err(e),
        };
    }
    let mut ts_ns = None;
    let mut is_tx = false;
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
                && h.cmsg_type == libc::SCM_TIMESTAMPING
                && len >= std::mem::size_of::<libc::timespec>()
            {
                // scm_timestamping: ts[0] is the software stamp.
                let ts = std::ptr::read_unaligned(data as *const libc::timespec);
                if ts.tv_sec != 0 || ts.tv_nsec != 0 {
                    ts_ns = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
                }
            } else if h.cmsg_level == libc::SOL_PACKET
                && h.cmsg_type == PACKET_TX_TIMESTAMP
                && len >= std::mem::size_of::<libc::sock_extended_err>()
            {
                let ee = std::ptr::read_unaligned(data as *const libc::sock_extended_err);
                is_tx = ee.ee_errno == libc::ENOMSG as u32
                    && ee.ee_origin == libc::SO_EE_ORIGIN_TIMESTAMPING;
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(if is_tx { ts_ns } else { None })
}

/// Preallocated `sendmmsg` arrays for up to `capacity` messages of one iovec each.
pub(crate) struct Mmsg {
    hdrs: Vec<libc::mmsghdr>,
    iovs: Vec<libc::iovec>,
}

// SAFETY: the raw pointers inside hdrs/iovs are only dereferenced by the kernel during
// `sendmmsg`, and `sendmmsg` re-points all of them at memory borrowed for that call; between
// calls they are stale values that nothing reads. So moving Mmsg to another thread is sound.
unsafe impl Send for Mmsg {}

impl std::fmt::Debug for Mmsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mmsg")
            .field("capacity", &self.hdrs.len())
            .finish()
    }
}

impl Mmsg {
    pub(crate) fn new(capacity: usize) -> Self {
        Mmsg {
            // SAFETY: mmsghdr and iovec are plain old data; all-zero (null pointers, zero
            // lengths) is a valid value for both.
            hdrs: (0..capacity)
                .map(|_| unsafe { std::mem::zeroed() })
                .collect(),
            // SAFETY: as above.
            iovs: (0..capacity)
                .map(|_| unsafe { std::mem::zeroed() })
                .collect(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.hdrs.len()
    }

    /// One `sendmmsg(2)` of `frames` (at most `capacity`, each frame `buf[off..off + len]`).
    /// Returns how many the kernel took (possibly fewer than asked).
    pub(crate) fn sendmmsg<'a>(
        &mut self,
        fd: &OwnedFd,
        frames: impl Iterator<Item = &'a [u8]>,
    ) -> io::Result<usize> {
        let mut n = 0;
        for ((frame, iov), hdr) in frames.zip(self.iovs.iter_mut()).zip(self.hdrs.iter_mut()) {
            iov.iov_base = frame.as_ptr() as *mut libc::c_void;
            iov.iov_len = frame.len();
            hdr.msg_hdr.msg_iov = iov as *mut libc::iovec;
            hdr.msg_hdr.msg_iovlen = 1;
            hdr.msg_len = 0;
            n += 1;
        }
        if n == 0 {
            return Ok(0);
        }
        // SAFETY: the first n hdrs each point at one iovec of self.iovs, which points at a frame
        // borrowed for 'a (outliving this call); msg_name is null (the socket is bound) and
        // msg_control is null. The kernel reads the frames and writes only msg_len.
        let rc =
            unsafe { libc::sendmmsg(fd.as_raw_fd(), self.hdrs.as_mut_ptr(), n as libc::c_uint, 0) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(rc as usize)
    }
}

/// Test support: a global allocator that counts, per thread, the allocations made, so a test
/// can check that a hot loop allocates nothing per frame. Only in the library's unit tests.
#[cfg(test)]
pub(crate) mod counting_alloc {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        // const-initialised and without Drop: reading it never allocates nor registers a
        // destructor, so the allocator can use it.
        static ALLOCS: Cell<u64> = const { Cell::new(0) };
    }

    fn count() {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
    }

    /// Allocations (alloc, alloc_zeroed, realloc) made so far by the calling thread.
    pub(crate) fn allocations() -> u64 {
        ALLOCS.try_with(Cell::get).unwrap_or(0)
    }

    pub(crate) struct Counting;

    // SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
    // `System`'s guarantees are ours; the counting only touches a thread-local Cell.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count();
            // SAFETY: the caller upholds `alloc`'s contract, which is `System.alloc`'s.
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            count();
            // SAFETY: as for `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count();
            // SAFETY: ptr was allocated by this allocator, that is by `System`, with `layout`.
            unsafe { System.realloc(ptr, layout, new_size) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: ptr was allocated by `System` (through us) with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;
}
