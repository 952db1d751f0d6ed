//! [`Capture`]: rings on one or more interfaces, in one or more network namespaces, merged in
//! timestamp order ([`super::merge`]) into a [`Recorder`] and/or a [`Printer`], until a frame
//! count, a duration, a stop fd, or an interface that disappears.
//!
//! Statistics add up: at the stop, every ring stops receiving (a filter that keeps nothing),
//! the frames already in it are drained, and only then are the kernel's counters read; so
//! `captured + filtered + dropped + unread = received`, where `filtered` counts the frames
//! the display filter (`-Y`, run in user space after the kernel's BPF filter) rejected and
//! `unread` the frames left in the rings after `-c N` (zero otherwise); the closing ISBs
//! count what the kernel received.
//!
//! Why one thread: on a 2-core machine polling every ring and appending to the writer's buffer
//! beats handing frames to a writer thread: no copy into a channel buffer, no wake-ups, and the
//! ring (32 MiB by default, 16 MiB for a file-only capture) absorbs a slow disk.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::merge::{count_rest, DrainState};
use super::{CaptureError, Printer, Recorder};
use crate::link::netns::reference::split_iface;
use crate::link::Netns;
use crate::pcapng::{CaptureWriter, Format, IfaceDesc, IfaceStats};
use crate::sock::filter;
use crate::sock::ring::{Direction, RxConfig, RxRing};
use crate::sys::clock::realtime_ns;

/// Where the capture file goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// No file (frames are only printed, or counted).
    None,
    /// Standard output (e.g. `| tshark -r -`).
    Stdout,
    /// A file, created (or truncated).
    Path(String),
}

/// A checked capture: what to open and when to stop.
#[derive(Debug, Clone)]
pub struct CaptureSpec {
    /// Interfaces, in the order of the file's interface blocks: `IFACE` (in the calling
    /// thread's namespace) or `NS:IFACE` (NS a name in `/run/netns`, a path to a namespace
    /// file, or `pid:PID`); the file's `if_name` is the string as given.
    pub ifaces: Vec<String>,
    /// Bytes kept per frame (at least 1).
    pub snaplen: u32,
    /// A tcpdump filter expression, compiled and run in the kernel.
    pub filter: Option<String>,
    /// A display filter (Wireshark's language), run on each frame the rings deliver: frames
    /// it rejects are neither written nor printed, and not counted by `count`.
    pub display_filter: Option<crate::frame::filter::Filter>,
    /// Ring geometry (see [`RxConfig`]).
    pub block_size: u32,
    pub block_count: u32,
    /// A partly filled block is delivered after this many ms; stopping waits for it once.
    pub block_timeout_ms: u32,
    pub direction: Direction,
    /// Stop after this many frames.
    pub count: Option<u64>,
    /// Stop after this long (from [`Capture::run`]).
    pub duration: Option<Duration>,
    pub format: Format,
    pub output: Output,
}

/// What a finished capture counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Frames taken from the rings (written and/or printed).
    pub captured: u64,
    /// Frames the display filter rejected (not written, not printed).
    pub filtered: u64,
    /// Frames that passed the filters, by the kernel's counters.
    pub received: u64,
    /// Frames the kernel dropped (rings full).
    pub dropped: u64,
    /// Frames the kernel put in the rings that were not taken: left after the count was
    /// reached (or after a failed write). `captured + dropped + unread = received`.
    pub unread: u64,
    /// The interface that disappeared and ended the capture (the file is complete).
    pub gone: Option<String>,
}

/// Open rings (and file): ready to [`Capture::run`].
#[derive(Debug)]
pub struct Capture {
    rings: Vec<RxRing>,
    /// Each ring's interface as given (`NS:IFACE` or `IFACE`), and its namespace when not the
    /// caller's.
    labels: Vec<String>,
    netns: Vec<Option<Netns>>,
    recorder: Option<Recorder>,
    snaplen: usize,
    limit: u64,
    duration: Option<Duration>,
    block_timeout_ms: u32,
    display_filter: Option<crate::frame::filter::Filter>,
}

impl CaptureSpec {
    /// What can be refused before anything is opened: no interface, one named twice, a count
    /// of 0, a duration past the clock's end, rings beyond
    /// [`ring_budget`](crate::sock::ring::ring_budget).
    pub fn check(&self) -> Result<(), CaptureError> {
        if self.ifaces.is_empty() {
            return Err(CaptureError::NoInterface);
        }
        for (i, a) in self.ifaces.iter().enumerate() {
            if self.ifaces[..i].contains(a) {
                return Err(CaptureError::DuplicateInterface { iface: a.clone() });
            }
        }
        if self.count == Some(0) {
            return Err(CaptureError::ZeroCount);
        }
        if let Some(d) = self.duration {
            deadline_after(d)?;
        }
        let ring = RxConfig {
            block_size: self.block_size,
            block_count: self.block_count,
            ..RxConfig::default()
        };
        crate::sock::ring::check_ring_budget(self.ifaces.len(), &ring)?;
        Ok(())
    }
}

/// Now + `d`, or the error for a duration the clock cannot reach.
fn deadline_after(d: Duration) -> Result<Instant, CaptureError> {
    Instant::now()
        .checked_add(d)
        .ok_or(CaptureError::DurationTooLong { secs: d.as_secs() })
}

impl Capture {
    /// Check that every interface exists, compile the filter, open the rings, then create the
    /// file: nothing is created when an interface is missing. Run on a thread inside the
    /// interfaces' network namespace.
    pub fn open(spec: &CaptureSpec) -> Result<Capture, CaptureError> {
        spec.check()?;
        // Each interface's namespace, opened once (None: the calling thread's).
        let mut netns = Vec::with_capacity(spec.ifaces.len());
        for i in &spec.ifaces {
            netns.push(match split_iface(i).0 {
                Some(r) => Some(Netns::open_or_current(Some(r))?),
                None => None,
            });
        }
        let name = |i: &String| split_iface(i).1.to_string();
        for (i, ns) in spec.ifaces.iter().zip(&netns) {
            let iface = name(i);
            match ns {
                Some(ns) => ns
                    .run(|| Ok(crate::sock::ifindex(&iface)))
                    .map_err(CaptureError::Netns)?
                    .map_err(|e| CaptureError::InNetns {
                        netns: ns.label(),
                        source: e,
                    })?,
                None => crate::sock::ifindex(&iface)?,
            };
        }
        let prog = match &spec.filter {
            Some(f) => Some(filter::compile(f, spec.snaplen)?),
            None => None,
        };
        let descs: Vec<IfaceDesc> = spec
            .ifaces
            .iter()
            .map(|name| IfaceDesc {
                name: name.clone(),
                snaplen: spec.snaplen,
                filter: spec.filter.clone(),
            })
            .collect();
        let cfg = RxConfig {
            block_size: spec.block_size,
            block_count: spec.block_count,
            frame_size: 2048,
            block_timeout_ms: spec.block_timeout_ms,
            direction: spec.direction,
            filter: prog,
        };
        let mut rings = Vec::with_capacity(spec.ifaces.len());
        for (i, ns) in spec.ifaces.iter().zip(&netns) {
            let iface = name(i);
            rings.push(match ns {
                // The socket belongs to the namespace of the thread that opens it.
                Some(ns) => ns
                    .run(|| Ok(RxRing::open(&iface, &cfg)))
                    .map_err(CaptureError::Netns)?
                    .map_err(|e| CaptureError::InNetns {
                        netns: ns.label(),
                        source: e,
                    })?,
                None => RxRing::open(&iface, &cfg)?,
            });
        }
        let writer = match &spec.output {
            Output::Stdout => {
                let fd = std::io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(CaptureError::Stdout)?;
                Some(CaptureWriter::new(
                    std::fs::File::from(fd),
                    "stdout",
                    spec.format,
                    &descs,
                )?)
            }
            Output::Path(path) => Some(CaptureWriter::create(path, spec.format, &descs)?),
            Output::None => None,
        };
        Ok(Capture {
            rings,
            labels: spec.ifaces.clone(),
            netns,
            recorder: writer.map(Recorder::new),
            snaplen: spec.snaplen as usize,
            limit: spec.count.unwrap_or(u64::MAX),
            duration: spec.duration,
            block_timeout_ms: spec.block_timeout_ms,
            display_filter: spec.display_filter.clone(),
        })
    }

    /// Capture until the count, the duration, `stop` readable (e.g. a signalfd of SIGINT and
    /// SIGTERM: it is not read here), or an interface gone; print each frame with `printer`
    /// to `out` (flushed after every pass that printed; a failed write stops printing and the
    /// capture). Then drain what the kernel still holds, complete the file, and count.
    pub fn run(
        mut self,
        stop: Option<BorrowedFd<'_>>,
        printer: &Printer,
        out: &mut dyn Write,
    ) -> Result<CaptureSummary, CaptureError> {
        let start_ns = realtime_ns();
        let deadline = match self.duration {
            Some(d) => Some(deadline_after(d)?),
            None => None,
        };
        let mut st = DrainState::new(self.limit, self.snaplen);
        st.filter = self.display_filter.take();
        st.labels = self.labels.clone();
        // How long a frame may sit in a block the kernel has not handed over yet: its timer
        // retires a partly filled block within about two timeouts.
        let hold_ns = (self.block_timeout_ms as u64 * 2 + 5) * 1_000_000;
        let mut last_flush = Instant::now();
        let mut gone: Option<String> = None;
        let first_ring = usize::from(stop.is_some());
        loop {
            let horizon = realtime_ns().saturating_sub(hold_ns);
            let (_, held) = st.merge(
                &mut self.rings,
                &mut self.recorder,
                printer,
                out,
                Some(horizon),
            );
            if st.done() {
                break;
            }
            // Push the buffer out now and then: readers of the growing file see frames, and a
            // full disk is reported within a fraction of a second, not at the next MiB.
            if last_flush.elapsed() >= Duration::from_millis(250) {
                last_flush = Instant::now();
                if let Some(w) = self.recorder.as_mut() {
                    if let Err(e) = w.flush() {
                        st.failure = Some(e.into());
                        break;
                    }
                }
            }
            let mut timeout = Duration::from_millis(200);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    break;
                }
                timeout = timeout.min(d - now);
            }
            // A frame held back for the merge: come back when it is old enough. Its ring
            // polls readable while we hold its block, so only the stop fd is polled then.
            if let Some(ts) = held {
                let wait = ts.saturating_sub(horizon) / 1_000_000 + 1;
                timeout = timeout.min(Duration::from_millis(wait));
            }
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(self.rings.len() + 1);
            if let Some(fd) = stop {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if held.is_none() {
                for r in &self.rings {
                    fds.push(PollFd::new(
                        r.as_fd(),
                        PollFlags::POLLIN | PollFlags::POLLERR,
                    ));
                }
            }
            let ms = timeout.as_millis().max(1) as u16;
            match poll(&mut fds, PollTimeout::from(ms)) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(CaptureError::Poll(e)),
            }
            let stopped = stop.is_some()
                && fds[0]
                    .revents()
                    .is_some_and(|r| r.contains(PollFlags::POLLIN));
            let errored: u64 = fds[first_ring..].iter().enumerate().fold(0, |m, (i, fd)| {
                let bad = PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL;
                if fd.revents().is_some_and(|r| r.intersects(bad)) {
                    m | (1 << i.min(63))
                } else {
                    m
                }
            });
            drop(fds);
            if stopped {
                break;
            }
            if errored != 0 {
                // A link that went down only reports ENETDOWN (cleared, capture goes on); a
                // link that is gone ends the capture, file completed, with an error.
                for i in 0..self.rings.len() {
                    if errored & (1 << i.min(63)) != 0 {
                        let _ = self.rings[i].take_error();
                        if !self.iface_exists(i) {
                            gone = Some(self.labels[i].clone());
                        }
                    }
                }
                if gone.is_some() {
                    break;
                }
            }
        }
        // The stop: no frame enters the rings any more (nor the kernel's counters). Frames
        // that arrived before it may sit in a block the kernel has not retired yet: wait for
        // the block timeout once, then take them all, merged; what is left after the count
        // is counted as unread. So the counters read next match what was taken.
        for r in &mut self.rings {
            // A ring whose interface is gone cannot take a filter: nothing enters it either.
            let _ = r.stop_receiving();
        }
        std::thread::sleep(Duration::from_millis(self.block_timeout_ms as u64 * 2 + 2));
        st.merge(&mut self.rings, &mut self.recorder, printer, out, None);
        let unread = count_rest(&mut self.rings);
        let end_ns = realtime_ns();
        let mut summary = CaptureSummary {
            captured: st.captured,
            filtered: st.filtered,
            unread,
            gone,
            ..CaptureSummary::default()
        };
        let mut stats = Vec::with_capacity(self.rings.len());
        for r in &mut self.rings {
            let k = r.stats()?;
            // Frames of the other direction were held by the ring but are not ours.
            let received = k.packets.saturating_sub(r.skipped());
            summary.received += received;
            summary.dropped += k.drops;
            stats.push(IfaceStats {
                start_ns,
                end_ns,
                received,
                dropped: k.drops,
            });
        }
        if let Some(e) = st.failure {
            return Err(e);
        }
        if let Some(w) = self.recorder.take() {
            w.finish(&stats)?;
        }
        if !st.out_gone {
            if let Err(e) = out.flush() {
                st.out_failed(e);
            }
        }
        match st.print_err {
            Some(e) => Err(CaptureError::Print(e)),
            None => Ok(summary),
        }
    }

    /// True while ring `i`'s interface still exists (looked up in its namespace).
    fn iface_exists(&self, i: usize) -> bool {
        match &self.netns[i] {
            None => self.rings[i].iface_exists(),
            Some(ns) => {
                let (name, index) = (self.rings[i].iface().to_string(), self.rings[i].ifindex());
                ns.run(|| Ok(crate::sock::ifindex(&name).is_ok_and(|x| x == index)))
                    .unwrap_or(false)
            }
        }
    }
}
