//! AF_XDP sockets, the minimum `bench xdp` needs: one socket with its own UMEM (a small
//! anonymous mapping cut into equal frames), its fill and completion rings, and an rx or a tx
//! ring, bound to one queue of one interface in copy mode (veth has no zero-copy).
//!
//! Layout (see `Documentation/networking/af_xdp.rst`): each ring is a mapping of the socket at
//! its own page offset, holding a producer and a consumer index (u32, free-running) and an
//! array of `size` descriptors (a power of two). User space produces on the fill and tx rings
//! and consumes the rx and completion rings; the kernel does the opposite. Indices are
//! published with release and read with acquire ordering.
//!
//! What stays true: every frame address handed to the kernel lies inside the UMEM and is a
//! multiple of the frame size; an address is in at most one place at a time (a ring, or the
//! free list); the mappings and the socket are released on drop (the XSKMAP entry that points
//! at the socket goes with it).

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// What to open.
#[derive(Debug, Clone, Copy)]
pub struct XskConfig {
    /// UMEM frames (a power of two) and their size (2048 or 4096).
    pub frames: u32,
    pub frame_size: u32,
    /// Descriptors of each ring (a power of two, at most `frames`).
    pub ring_size: u32,
    /// An rx ring (receive), else a tx ring (transmit).
    pub rx: bool,
}

impl Default for XskConfig {
    fn default() -> Self {
        // 4096 x 2 KiB = 8 MiB of UMEM.
        XskConfig {
            frames: 4096,
            frame_size: 2048,
            ring_size: 2048,
            rx: true,
        }
    }
}

/// One mapped ring.
struct Ring {
    map: NonNull<u8>,
    map_len: usize,
    producer: *const AtomicU32,
    consumer: *const AtomicU32,
    flags: *const AtomicU32,
    desc: *mut u8,
    mask: u32,
}

impl Ring {
    fn map(
        fd: RawFd,
        off: &libc::xdp_ring_offset,
        pgoff: u64,
        size: u32,
        elem: usize,
    ) -> io::Result<Ring> {
        let map_len = off.desc as usize + size as usize * elem;
        // SAFETY: a fresh shared mapping of the socket at the ring's page offset, of the
        // length the kernel's offsets give; the kernel checks offset and length.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                pgoff as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = p as *mut u8;
        // SAFETY: the offsets come from XDP_MMAP_OFFSETS and lie inside the mapping (the
        // kernel sized it as producer, consumer, flags, then the descriptors); the indices are
        // 4-byte aligned u32s the kernel accesses atomically.
        unsafe {
            Ok(Ring {
                map: NonNull::new(base).expect("mmap returned a non-null address"),
                map_len,
                producer: base.add(off.producer as usize) as *const AtomicU32,
                consumer: base.add(off.consumer as usize) as *const AtomicU32,
                flags: base.add(off.flags as usize) as *const AtomicU32,
                desc: base.add(off.desc as usize),
                mask: size - 1,
            })
        }
    }

    fn prod(&self) -> &AtomicU32 {
        // SAFETY: points into the mapping, alive as long as self.
        unsafe { &*self.producer }
    }

    fn cons(&self) -> &AtomicU32 {
        // SAFETY: as in prod.
        unsafe { &*self.consumer }
    }

    fn need_wakeup(&self) -> bool {
        // SAFETY: as in prod.
        unsafe { &*self.flags }.load(Ordering::Relaxed) & libc::XDP_RING_NEED_WAKEUP != 0
    }

    /// The address slot `i` of a u64 ring (fill, completion).
    fn addr(&self, i: u32) -> *mut u64 {
        // SAFETY: (i & mask) < size, so the slot is inside the descriptor array.
        unsafe { (self.desc as *mut u64).add((i & self.mask) as usize) }
    }

    /// Descriptor slot `i` of an xdp_desc ring (rx, tx).
    fn xdesc(&self, i: u32) -> *mut libc::xdp_desc {
        // SAFETY: as in addr.
        unsafe { (self.desc as *mut libc::xdp_desc).add((i & self.mask) as usize) }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: map/map_len are what mmap returned; no reference into it outlives self.
        unsafe {
            libc::munmap(self.map.as_ptr() as *mut libc::c_void, self.map_len);
        }
    }
}

/// An AF_XDP socket with its UMEM.
pub struct Xsk {
    // Rings before the socket and UMEM: unmapped first.
    fill: Ring,
    comp: Ring,
    /// The rx or the tx ring.
    ring: Ring,
    fd: OwnedFd,
    umem: NonNull<u8>,
    umem_len: usize,
    frame_size: u32,
    /// tx: frames not in the kernel's hands.
    free: Vec<u64>,
    rx: bool,
}

impl std::fmt::Debug for Xsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xsk")
            .field("fd", &self.fd)
            .field("umem_len", &self.umem_len)
            .field("rx", &self.rx)
            .finish()
    }
}

fn setsockopt<T>(fd: RawFd, opt: libc::c_int, v: &T, what: &'static str) -> io::Result<()> {
    // SAFETY: `v` is a valid T for the duration of the call, and its size is passed.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_XDP,
            opt,
            v as *const T as *const libc::c_void,
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if r != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(())
}

impl Xsk {
    /// Open a socket on `ifindex`'s queue `queue`, in copy mode.
    pub fn open(ifindex: u32, queue: u32, cfg: &XskConfig) -> io::Result<Xsk> {
        let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, m.to_string());
        if !cfg.frames.is_power_of_two()
            || !cfg.ring_size.is_power_of_two()
            || cfg.ring_size > cfg.frames
            || !(cfg.frame_size == 2048 || cfg.frame_size == 4096)
            || cfg.frames as u64 * cfg.frame_size as u64 > 64 << 20
        {
            return Err(bad("AF_XDP geometry: power-of-two frames and rings, 2048 or 4096-byte frames, UMEM at most 64 MiB"));
        }
        // SAFETY: plain socket(2); the returned descriptor is owned below.
        let raw = unsafe { libc::socket(libc::AF_XDP, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let umem_len = cfg.frames as usize * cfg.frame_size as usize;
        // SAFETY: a fresh private anonymous mapping, owned by the Xsk (unmapped on drop).
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                umem_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let umem = NonNull::new(p as *mut u8).expect("mmap returned a non-null address");
        let unmap = |e: io::Error| {
            // SAFETY: the UMEM mapping made above, not yet owned by an Xsk.
            unsafe { libc::munmap(umem.as_ptr() as *mut libc::c_void, umem_len) };
            e
        };
        let s = fd.as_raw_fd();
        let reg = libc::xdp_umem_reg {
            addr: umem.as_ptr() as u64,
            len: umem_len as u64,
            chunk_size: cfg.frame_size,
            headroom: 0,
            flags: 0,
            tx_metadata_len: 0,
        };
        setsockopt(s, libc::XDP_UMEM_REG, &reg, "XDP_UMEM_REG").map_err(unmap)?;
        let n = cfg.ring_size as libc::c_int;
        setsockopt(s, libc::XDP_UMEM_FILL_RING, &n, "XDP_UMEM_FILL_RING").map_err(unmap)?;
        setsockopt(
            s,
            libc::XDP_UMEM_COMPLETION_RING,
            &n,
            "XDP_UMEM_COMPLETION_RING",
        )
        .map_err(unmap)?;
        let which = if cfg.rx {
            libc::XDP_RX_RING
        } else {
            libc::XDP_TX_RING
        };
        setsockopt(s, which, &n, "XDP_RX/TX_RING").map_err(unmap)?;
        // SAFETY: all-zero bytes are a valid xdp_mmap_offsets (plain integers).
        let mut off: libc::xdp_mmap_offsets = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::xdp_mmap_offsets>() as libc::socklen_t;
        // SAFETY: `off` and `len` are valid and writable; the kernel writes at most `len` bytes.
        let r = unsafe {
            libc::getsockopt(
                s,
                libc::SOL_XDP,
                libc::XDP_MMAP_OFFSETS,
                &mut off as *mut _ as *mut libc::c_void,
                &mut len,
            )
        };
        if r != 0 {
            return Err(unmap(io::Error::last_os_error()));
        }
        let u64s = std::mem::size_of::<u64>();
        let descs = std::mem::size_of::<libc::xdp_desc>();
        let fill = Ring::map(
            s,
            &off.fr,
            libc::XDP_UMEM_PGOFF_FILL_RING,
            cfg.ring_size,
            u64s,
        )
        .map_err(unmap)?;
        let comp = Ring::map(
            s,
            &off.cr,
            libc::XDP_UMEM_PGOFF_COMPLETION_RING,
            cfg.ring_size,
            u64s,
        )
        .map_err(unmap)?;
        let ring = if cfg.rx {
            Ring::map(
                s,
                &off.rx,
                libc::XDP_PGOFF_RX_RING as u64,
                cfg.ring_size,
                descs,
            )
        } else {
            Ring::map(
                s,
                &off.tx,
                libc::XDP_PGOFF_TX_RING as u64,
                cfg.ring_size,
                descs,
            )
        }
        .map_err(unmap)?;
        let mut x = Xsk {
            fill,
            comp,
            ring,
            fd,
            umem,
            umem_len,
            frame_size: cfg.frame_size,
            free: (0..cfg.frames as u64)
                .rev()
                .map(|i| i * cfg.frame_size as u64)
                .collect(),
            rx: cfg.rx,
        };
        if cfg.rx {
            // Hand the kernel a full fill ring before binding.
            let k = cfg.ring_size;
            let p = x.fill.prod().load(Ordering::Relaxed);
            for i in 0..k {
                let a = x.free.pop().expect("frames >= ring_size");
                // SAFETY: a slot of the fill ring that the kernel does not own (p..p+k is free:
                // the ring is empty before bind).
                unsafe { *x.fill.addr(p + i) = a };
            }
            x.fill.prod().store(p + k, Ordering::Release);
        }
        let sa = libc::sockaddr_xdp {
            sxdp_family: libc::AF_XDP as u16,
            sxdp_flags: libc::XDP_COPY | libc::XDP_USE_NEED_WAKEUP,
            sxdp_ifindex: ifindex,
            sxdp_queue_id: queue,
            sxdp_shared_umem_fd: 0,
        };
        // SAFETY: `sa` is a valid sockaddr_xdp and its size is passed.
        let r = unsafe {
            libc::bind(
                s,
                &sa as *const _ as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_xdp>() as libc::socklen_t,
            )
        };
        if r != 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(e.kind(), format!("bind: {e}")));
        }
        Ok(x)
    }

    /// The socket (the value of its XSKMAP entry).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Wait up to `timeout_ms` for the rx ring to have frames (poll(2)).
    pub fn wait_rx(&self, timeout_ms: i32) -> io::Result<bool> {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(e);
        }
        Ok(r > 0)
    }

    /// Take up to `max` received frames, calling `f` on each; their frames go straight back to
    /// the fill ring. The number taken.
    pub fn recv(&mut self, max: u32, mut f: impl FnMut(&[u8])) -> usize {
        debug_assert!(self.rx);
        let cons = self.ring.cons().load(Ordering::Relaxed);
        let prod = self.ring.prod().load(Ordering::Acquire);
        let n = prod.wrapping_sub(cons).min(max);
        if n == 0 {
            return 0;
        }
        let fp = self.fill.prod().load(Ordering::Relaxed);
        for i in 0..n {
            // SAFETY: slots cons..cons+n are published by the kernel (Acquire above) and ours
            // until the consumer index moves past them.
            let d = unsafe { std::ptr::read(self.ring.xdesc(cons + i)) };
            let base = d.addr & !(self.frame_size as u64 - 1);
            if (d.addr + d.len as u64) as usize <= self.umem_len {
                // SAFETY: addr..addr+len is inside the UMEM (checked), written by the kernel
                // before it published the descriptor; nothing writes it until it is back on
                // the fill ring (below, after `f` returns).
                let s = unsafe {
                    std::slice::from_raw_parts(
                        self.umem.as_ptr().add(d.addr as usize),
                        d.len as usize,
                    )
                };
                f(s);
            }
            // SAFETY: the fill ring has room for every frame the rx ring hands back: the two
            // rings have the same size and the frames in flight number at most ring_size.
            unsafe { *self.fill.addr(fp + i) = base };
        }
        self.ring.cons().store(cons + n, Ordering::Release);
        self.fill.prod().store(fp + n, Ordering::Release);
        if self.fill.need_wakeup() {
            self.kick_rx();
        }
        n as usize
    }

    fn kick_rx(&self) {
        // SAFETY: a zero-length recvfrom with no buffer: only wakes the kernel side.
        unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                std::ptr::null_mut(),
                0,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
        }
    }

    /// Write `frame` into every UMEM frame (tx: the same frame is sent over and over).
    pub fn fill_frames(&mut self, frame: &[u8]) {
        let len = frame.len().min(self.frame_size as usize);
        let frames = self.umem_len / self.frame_size as usize;
        for i in 0..frames {
            // SAFETY: frame i lies inside the UMEM; no frame is in the kernel's hands yet
            // (called before the first send) so nothing else reads or writes it.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    frame.as_ptr(),
                    self.umem.as_ptr().add(i * self.frame_size as usize),
                    len,
                );
            }
        }
    }

    /// Frames the kernel has completed since the last call go back to the free list.
    fn reclaim(&mut self) -> u32 {
        let cons = self.comp.cons().load(Ordering::Relaxed);
        let prod = self.comp.prod().load(Ordering::Acquire);
        let n = prod.wrapping_sub(cons);
        for i in 0..n {
            // SAFETY: slots published by the kernel (Acquire above).
            self.free.push(unsafe { *self.comp.addr(cons + i) });
        }
        self.comp.cons().store(cons + n, Ordering::Release);
        n
    }

    /// Queue up to `max` frames of `len` bytes (written by [`Xsk::fill_frames`]) on the tx ring
    /// and kick the kernel: the number queued (0 when the ring or the free list is full). The
    /// kernel completes them later: [`Xsk::completed`] counts what it has.
    pub fn send(&mut self, len: u32, max: u32) -> io::Result<u32> {
        debug_assert!(!self.rx);
        self.reclaim();
        let prod = self.ring.prod().load(Ordering::Relaxed);
        let cons = self.ring.cons().load(Ordering::Acquire);
        let room = (self.ring.mask + 1) - prod.wrapping_sub(cons);
        let n = room.min(max).min(self.free.len() as u32);
        for i in 0..n {
            let addr = self.free.pop().expect("n <= free.len()");
            // SAFETY: slots prod..prod+n are free (room above) and ours until published.
            unsafe {
                std::ptr::write(
                    self.ring.xdesc(prod + i),
                    libc::xdp_desc {
                        addr,
                        len,
                        options: 0,
                    },
                )
            };
        }
        if n > 0 {
            self.ring.prod().store(prod + n, Ordering::Release);
        }
        // Copy mode sends only inside the syscall: kick whether or not the flag asks.
        // SAFETY: a zero-length sendto with no buffer: only makes the kernel walk the tx ring.
        let r = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                std::ptr::null(),
                0,
                libc::MSG_DONTWAIT,
                std::ptr::null(),
                0,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EBUSY) | Some(libc::ENOBUFS) => {}
                _ => return Err(e),
            }
        }
        Ok(n)
    }

    /// Frames queued and not yet completed by the kernel.
    pub fn in_flight(&mut self) -> usize {
        self.reclaim();
        self.umem_len / self.frame_size as usize - self.free.len()
    }
}

impl Drop for Xsk {
    fn drop(&mut self) {
        // The rings are unmapped after this (fields drop after the body); the UMEM stays
        // registered until the socket closes, and only its pages go here: the kernel holds its
        // own pin on them until then.
        // SAFETY: umem/umem_len are what mmap returned; no slice into it outlives &mut self.
        unsafe {
            libc::munmap(self.umem.as_ptr() as *mut libc::c_void, self.umem_len);
        }
    }
}
