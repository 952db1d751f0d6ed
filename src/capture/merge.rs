//! The time-ordered merge of several rings into one stream of frames (file and/or printer).
//!
//! Each ring hands over its frames in arrival order; across rings, the frame written next is
//! the oldest head of all rings. A ring with nothing ready may still get an older frame: the
//! kernel keeps frames in a block until it is full or its timer retires it (up to about two
//! block timeouts). So a head frame is written only when every ring has a head frame to
//! compare it with, or when it is older than the *horizon* (now minus that delay): frames
//! younger than that wait in their blocks (the ring keeps them, no copy). At the end, with no
//! more frames coming (the rings stopped receiving), everything left is merged.
//!
//! One ring is the degenerate case: its head is always the oldest, nothing waits; it is walked
//! with one look at the ring per frame ([`RxRing::take_while`]), not peeked twice.

use std::io::Write;

use super::{CaptureError, Printer, Recorder};
use crate::sock::ring::RxRing;

/// What the drain passes share: counters, the reused print line, the first failure.
pub(super) struct DrainState {
    pub limit: u64,
    pub snaplen: usize,
    /// The printed line, reused (no allocation per frame).
    pub line: String,
    pub captured: u64,
    pub first_ts: Option<u128>,
    pub failure: Option<CaptureError>,
    /// The reader of `out` went away, or writing to it failed: stop printing (and capturing).
    pub out_gone: bool,
    /// Why writing to `out` failed, when it was not a reader that went away (EPIPE).
    pub print_err: Option<std::io::Error>,
    /// The display filter: frames it rejects are counted in `filtered`, nothing else.
    pub filter: Option<crate::frame::filter::Filter>,
    pub filtered: u64,
    /// Each ring's interface as given (`frame.interface_name` for the filter).
    pub labels: Vec<String>,
}

impl DrainState {
    pub fn new(limit: u64, snaplen: usize) -> Self {
        DrainState {
            limit,
            snaplen,
            line: String::with_capacity(512),
            captured: 0,
            first_ts: None,
            failure: None,
            out_gone: false,
            print_err: None,
            filter: None,
            filtered: 0,
            labels: Vec::new(),
        }
    }

    /// A failed write to `out`: stop printing; a closed pipe is a normal end, anything else
    /// (ENOSPC, EIO) is reported once the file is complete.
    pub fn out_failed(&mut self, e: std::io::Error) {
        self.out_gone = true;
        if e.kind() != std::io::ErrorKind::BrokenPipe && self.print_err.is_none() {
            self.print_err = Some(e);
        }
    }

    /// True when the capture should take no more frames.
    pub fn done(&self) -> bool {
        self.captured >= self.limit || self.failure.is_some() || self.out_gone
    }

    /// Write the ready frames of every ring in timestamp order. `horizon`: Some(t) holds back
    /// a frame newer than t unless every ring has a frame ready (see the module doc); None
    /// takes everything. Returns (frames written, the oldest frame held back, if any).
    pub fn merge(
        &mut self,
        rings: &mut [RxRing],
        recorder: &mut Option<Recorder>,
        printer: &Printer,
        out: &mut dyn Write,
        horizon: Option<u64>,
    ) -> (usize, Option<u64>) {
        let mut seen = 0;
        let mut held = None;
        if let [ring] = rings {
            // One ring: its head is always the oldest, nothing is held; one look per frame.
            if !self.done() {
                seen = ring.take_while(|f| {
                    self.take(0, f, recorder, printer, out);
                    !self.done()
                });
            }
        }
        while rings.len() > 1 && !self.done() {
            let mut best: Option<(usize, u64)> = None;
            let mut all_ready = true;
            for (i, r) in rings.iter_mut().enumerate() {
                match r.peek() {
                    Some(f) => {
                        if best.is_none_or(|(_, t)| f.ts_ns() < t) {
                            best = Some((i, f.ts_ns()));
                        }
                    }
                    None => all_ready = false,
                }
            }
            let Some((idx, ts)) = best else {
                break;
            };
            if !all_ready && horizon.is_some_and(|h| ts > h) {
                held = Some(ts);
                break;
            }
            if let Some(f) = rings[idx].peek() {
                self.take(idx, &f, recorder, printer, out);
            }
            rings[idx].advance();
            seen += 1;
        }
        if seen > 0 && !self.out_gone {
            if let Err(e) = out.flush() {
                self.out_failed(e);
            }
        }
        (seen, held)
    }

    /// Record and/or print one frame of interface `idx`.
    fn take(
        &mut self,
        idx: usize,
        f: &crate::sock::ring::RxFrame<'_>,
        recorder: &mut Option<Recorder>,
        printer: &Printer,
        out: &mut dyn Write,
    ) {
        let data = &f.data()[..f.data().len().min(self.snaplen)];
        let meta = f.meta();
        if let Some(y) = &self.filter {
            let m = crate::frame::filter::FrameMeta {
                number: self.captured + self.filtered + 1,
                ts_ns: meta.ts_ns,
                t0_ns: self.first_ts.map_or(meta.ts_ns, |t| t as u64),
                wire_len: meta.wire_len,
                interface_id: Some(idx as u32),
                interface_name: self.labels.get(idx).map(String::as_str),
                interface_description: None,
                defrag: None,
            };
            if !y.matches(data, &m) {
                self.filtered += 1;
                return;
            }
        }
        self.captured += 1;
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
        if let Err(e) = out.write_all(self.line.as_bytes()) {
            self.out_failed(e);
        }
    }
}

/// Count (and give back to the kernel) the frames still in the rings: frames the kernel
/// counted as received that the capture did not take (after `-c N`, or a failed write).
pub(super) fn count_rest(rings: &mut [RxRing]) -> u64 {
    let mut n = 0;
    for r in rings {
        while r.peek().is_some() {
            r.advance();
            n += 1;
        }
    }
    n
}
