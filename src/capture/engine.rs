//! [`Capture`]: rings on one or more interfaces drained into a [`Recorder`] and/or a
//! [`Printer`], until a frame count, a duration, a stop fd, or an interface that disappears.
//!
//! Why one thread: on a 2-core machine polling every ring and appending to the writer's buffer
//! beats handing frames to a writer thread: no copy into a channel buffer, no wake-ups, and the
//! ring (32 MiB by default) absorbs a slow disk.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::{CaptureError, Printer, Recorder};
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
    /// Interfaces, in the order of the file's interface blocks.
    pub ifaces: Vec<String>,
    /// Bytes kept per frame (at least 1).
    pub snaplen: u32,
    /// A tcpdump filter expression, compiled and run in the kernel.
    pub filter: Option<String>,
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
    /// Frames that passed the filters, by the kernel's counters.
    pub received: u64,
    /// Frames the kernel dropped (rings full).
    pub dropped: u64,
    /// The interface that disappeared and ended the capture (the file is complete).
    pub gone: Option<String>,
}

/// Open rings (and file): ready to [`Capture::run`].
#[derive(Debug)]
pub struct Capture {
    rings: Vec<RxRing>,
    recorder: Option<Recorder>,
    snaplen: usize,
    limit: u64,
    duration: Option<Duration>,
    block_timeout_ms: u32,
}

impl Capture {
    /// Check that every interface exists, compile the filter, open the rings, then create the
    /// file: nothing is created when an interface is missing. Run on a thread inside the
    /// interfaces' network namespace.
    pub fn open(spec: &CaptureSpec) -> Result<Capture, CaptureError> {
        for i in &spec.ifaces {
            crate::sock::ifindex(i)?;
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
        for i in &spec.ifaces {
            rings.push(RxRing::open(i, &cfg)?);
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
            recorder: writer.map(Recorder::new),
            snaplen: spec.snaplen as usize,
            limit: spec.count.unwrap_or(u64::MAX),
            duration: spec.duration,
            block_timeout_ms: spec.block_timeout_ms,
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
        let deadline = self.duration.map(|d| Instant::now() + d);
        let mut st = DrainState {
            limit: self.limit,
            snaplen: self.snaplen,
            line: String::with_capacity(512),
            captured: 0,
            first_ts: None,
            failure: None,
            out_gone: false,
            print_err: None,
        };
        let mut last_flush = Instant::now();
        let mut gone: Option<String> = None;
        let first_ring = usize::from(stop.is_some());
        loop {
            st.drain(&mut self.rings, &mut self.recorder, printer, out);
            if st.captured >= st.limit || st.failure.is_some() || st.out_gone {
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
            let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(self.rings.len() + 1);
            if let Some(fd) = stop {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            for r in &self.rings {
                fds.push(PollFd::new(
                    r.as_fd(),
                    PollFlags::POLLIN | PollFlags::POLLERR,
                ));
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
                for (i, r) in self.rings.iter_mut().enumerate() {
                    if errored & (1 << i.min(63)) != 0 {
                        let _ = r.take_error();
                        if !r.iface_exists() {
                            gone = Some(r.iface().to_string());
                        }
                    }
                }
                if gone.is_some() {
                    break;
                }
            }
        }
        // Frames that arrived before the stop may sit in a block the kernel has not retired
        // yet: wait for the block timeout once, then take them.
        if st.captured < st.limit && st.failure.is_none() {
            std::thread::sleep(Duration::from_millis(self.block_timeout_ms as u64 * 2 + 2));
            st.drain(&mut self.rings, &mut self.recorder, printer, out);
        }
        let end_ns = realtime_ns();
        let mut summary = CaptureSummary {
            captured: st.captured,
            gone,
            ..CaptureSummary::default()
        };
        let mut stats = Vec::with_capacity(self.rings.len());
        for r in &mut self.rings {
            let k = r.stats()?;
            summary.received += k.packets;
            summary.dropped += k.drops;
            stats.push(IfaceStats {
                start_ns,
                end_ns,
                received: k.packets,
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
}

/// What the drain passes share.
struct DrainState {
    limit: u64,
    snaplen: usize,
    /// The printed line, reused (no allocation per frame).
    line: String,
    captured: u64,
    first_ts: Option<u64>,
    failure: Option<CaptureError>,
    /// The reader of `out` went away, or writing to it failed: stop printing (and capturing).
    out_gone: bool,
    /// Why writing to `out` failed, when it was not a reader that went away (EPIPE).
    print_err: Option<std::io::Error>,
}

impl DrainState {
    /// A failed write to `out`: stop printing; a closed pipe is a normal end, anything else
    /// (ENOSPC, EIO) is reported once the file is complete.
    fn out_failed(&mut self, e: std::io::Error) {
        self.out_gone = true;
        if e.kind() != std::io::ErrorKind::BrokenPipe && self.print_err.is_none() {
            self.print_err = Some(e);
        }
    }
}

impl DrainState {
    /// Take every ready block of every ring; returns the frames seen in this pass.
    fn drain(
        &mut self,
        rings: &mut [RxRing],
        recorder: &mut Option<Recorder>,
        printer: &Printer,
        out: &mut dyn Write,
    ) -> usize {
        let mut seen = 0;
        for (idx, ring) in rings.iter_mut().enumerate() {
            seen += ring.for_each_limited(usize::MAX, &mut |f| {
                if self.captured >= self.limit || self.failure.is_some() {
                    return;
                }
                self.captured += 1;
                let data = &f.data()[..f.data().len().min(self.snaplen)];
                let meta = f.meta();
                if let Some(w) = recorder.as_mut() {
                    if let Err(e) = w.record(idx as u32, data, &meta) {
                        self.failure = Some(e.into());
                        return;
                    }
                }
                if self.out_gone || printer.is_none() {
                    return;
                }
                self.line.clear();
                printer.write_line(
                    &mut self.line,
                    self.captured,
                    data,
                    &meta,
                    &mut self.first_ts,
                );
                self.line.push('\n');
                if let Err(e) = out.write_all(self.line.as_bytes()) {
                    self.out_failed(e);
                }
            });
        }
        if seen > 0 && !self.out_gone {
            if let Err(e) = out.flush() {
                self.out_failed(e);
            }
        }
        seen
    }
}
