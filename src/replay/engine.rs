//! The replay loop: each frame from the source is converted (non-Ethernet link types),
//! rewritten, checked against the MTU, given its deadline, and put into the transmit batch;
//! a frame that had to be waited for ([`Waiter`]) goes out at once, alone; frames already due
//! (a burst in the file, or frames made overdue) gather into one `sendmmsg(2)` until a frame
//! that is not due yet, or a full batch.
//!
//! Re-anchoring (unless `catch_up`): a batch sent more than [`REANCHOR`] after its deadline
//! moves the rest of the schedule back by that lateness, so the following gaps (the file's, or
//! the rate's) are kept, as tcpreplay does, rather than squeezed to nothing to catch up.
//!
//! What stays true: nothing allocates once the loop runs; a frame's send time is when its
//! batch was handed to the kernel; its timing error is that minus its (re-anchored)
//! deadline; its gap error is the gap since the previous frame's send time minus the file's
//! gap between their original deadlines (0 when that goes backwards).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::report::{ReplayReport, TimingErrorSummary};
use super::rewrite::{self, Outcome, Unchanged};
use super::schedule::{self, Schedule, Timing};
use super::source::{Source, SrcFrame};
use super::wait::Waiter;
use super::{layout, linktype, ReplayConfig, ReplayError};
use crate::sock::tx::{TxBatch, TxSocket, MAX_SENDMMSG_BATCH};
use crate::sock::SockError;
use crate::sys::clock::process_cpu_ns;

/// Highest timing error recorded (an hour, in ns).
const HIGH_NS: u64 = 3_600_000_000_000;
/// A batch later than this after its deadline re-anchors the schedule.
pub const REANCHOR: Duration = Duration::from_micros(10);

/// Where a paced frame stands: its deadline in the schedule in force (re-anchored), and its
/// deadline in the file's own schedule (for its gap).
#[derive(Debug, Clone, Copy)]
struct Due {
    at: Instant,
    file: Instant,
}

/// The batch and what is known of the frames in it.
struct Sender<'a> {
    sock: &'a mut TxSocket,
    batch: TxBatch,
    due: Vec<Option<Due>>,
    len: Vec<usize>,
    n: usize,
    hist: Histogram<u64>,
    gap_hist: Histogram<u64>,
    /// The send time and file deadline of the previous paced frame.
    prev: Option<(Instant, Instant)>,
    /// Shift the schedule after a late batch.
    reanchor: bool,
    shift: Duration,
    first: Option<Instant>,
    last_start: Option<Instant>,
    end: Option<Instant>,
    bytes: u64,
}

impl Sender<'_> {
    fn push(&mut self, frame: &[u8], due: Option<Due>) {
        self.batch.set(self.n, frame);
        self.due[self.n] = due;
        self.len[self.n] = frame.len();
        self.n += 1;
    }

    fn full(&self) -> bool {
        self.n == self.batch.capacity()
    }

    fn flush(&mut self) -> Result<(), SockError> {
        if self.n == 0 {
            return Ok(());
        }
        let t = Instant::now();
        self.first.get_or_insert(t);
        self.last_start = Some(t);
        self.sock.send_batch(&mut self.batch, self.n)?;
        // A call that took long was preempted, before or after the frames were stamped: the
        // schedule moves back by that too, so the next gap is not cut short.
        let in_call = t.elapsed();
        let mut late = Duration::MAX;
        for k in 0..self.n {
            if let Some(d) = self.due[k] {
                let l = t.saturating_duration_since(d.at);
                late = late.min(l);
                self.hist.saturating_record(l.as_nanos() as u64);
                if let Some((pt, pfile)) = self.prev {
                    let gap = (t - pt).as_nanos() as i128;
                    let want = d.file.saturating_duration_since(pfile).as_nanos() as i128;
                    self.gap_hist
                        .saturating_record((gap - want).unsigned_abs() as u64);
                }
                self.prev = Some((t, d.file.max(self.prev.map_or(d.file, |p| p.1))));
            }
            self.bytes += self.len[k] as u64;
        }
        // The least late of the batch (its last paced frame) sets the shift: the gaps after it
        // are kept.
        if late != Duration::MAX && in_call > REANCHOR {
            late += in_call;
        }
        if self.reanchor && late != Duration::MAX && late > REANCHOR {
            self.shift += late;
        }
        self.n = 0;
        self.end = Some(Instant::now());
        Ok(())
    }
}

/// Counts kept while replaying.
#[derive(Default)]
struct Counts {
    loops: u64,
    read: u64,
    rewritten: u64,
    malformed: u64,
    already_tagged: u64,
    not_whole: u64,
    truncated: u64,
    converted: u64,
    over_mtu: u64,
    not_convertible: u64,
    runts: u64,
}

/// Copy (or convert) `f` into `buf`; its length, or None when it cannot go on Ethernet.
/// An Ethernet frame is cut to `slot` bytes (`--truncate-to-mtu` cuts it further); a converted
/// one may use the whole buffer but 4 bytes (room for a tag).
fn load(cfg: &ReplayConfig, f: &SrcFrame<'_>, buf: &mut [u8], slot: usize) -> Option<usize> {
    let room = buf.len() - 4;
    if f.linktype == linktype::ETHERNET {
        let n = f.data.len().min(slot);
        buf[..n].copy_from_slice(&f.data[..n]);
        Some(n)
    } else {
        linktype::to_ethernet(
            f.linktype,
            f.data,
            cfg.header_src_mac,
            cfg.header_dst_mac,
            &mut buf[..room],
        )
    }
}

/// Replay `src` on `sock` as `cfg` says, until the end (of every loop), the limit, or `stop`.
/// The report covers what was sent even when an error ended the replay early.
pub fn replay(
    src: &mut Source,
    sock: &mut TxSocket,
    cfg: &ReplayConfig,
    stop: &AtomicBool,
) -> (ReplayReport, Option<ReplayError>) {
    // A slot holds the largest frame the MTU lets through, tagged, plus a tag added.
    let slot = cfg.mtu as usize + 22;
    let cap = cfg.batch.clamp(1, MAX_SENDMMSG_BATCH);
    let sent_before = sock.sent();
    let dropped_before = sock.dropped();
    let mut tx = Sender {
        sock,
        batch: TxBatch::new(cap, slot),
        due: vec![None; cap],
        len: vec![0; cap],
        n: 0,
        hist: Histogram::new_with_bounds(1, HIGH_NS, 3).expect("valid histogram bounds"),
        gap_hist: Histogram::new_with_bounds(1, HIGH_NS, 3).expect("valid histogram bounds"),
        prev: None,
        reanchor: !cfg.catch_up,
        shift: Duration::ZERO,
        first: None,
        last_start: None,
        end: None,
        bytes: 0,
    };
    // Room for a converted frame a little over the slot (its header replaced), plus a tag.
    let mut scratch = vec![0u8; slot + 64];
    let cpu_start = process_cpu_ns();
    let mut waiter = (cfg.timing != Timing::Topspeed).then(|| {
        schedule::precise_sleeps();
        Waiter::calibrated()
    });
    let mut sched = Schedule::new(cfg.timing);
    let mut c = Counts::default();
    let mut err = None;
    let mut interrupted = false;
    'passes: loop {
        c.loops += 1;
        while let Some(r) = src.next_frame() {
            if stop.load(Ordering::Relaxed) {
                interrupted = true;
                break 'passes;
            }
            if cfg.limit.is_some_and(|l| c.read >= l) {
                break 'passes;
            }
            let f = match r {
                Ok(f) => f,
                Err(e) => {
                    err = Some(e.into());
                    break 'passes;
                }
            };
            if !linktype::supported(f.linktype) {
                err = Some(ReplayError::LinkType {
                    file: cfg.file.clone(),
                    linktype: f.linktype,
                });
                break 'passes;
            }
            c.read += 1;
            // Longer than any frame the MTU lets through, even after a tag is stripped (or, for
            // SLL/SLL2/raw IP, their header is replaced by Ethernet's).
            let ethernet = f.linktype == linktype::ETHERNET;
            let too_long = f.data.len() > if ethernet { slot - 4 } else { slot + 40 };
            if too_long && (!cfg.truncate_to_mtu || !ethernet) {
                c.over_mtu += 1;
                continue;
            }
            let Some(n) = load(cfg, &f, &mut scratch, slot) else {
                c.not_convertible += 1;
                continue;
            };
            // Shorter than an Ethernet header: the kernel refuses it (EINVAL) and with it the
            // whole batch; skip and count it.
            if n < layout::ETH_HLEN {
                c.runts += 1;
                continue;
            }
            if f.linktype != linktype::ETHERNET {
                c.converted += 1;
            }
            let (mut n, outcome) = rewrite::apply(&cfg.rewrite, &mut scratch, n);
            match outcome {
                Outcome::Untouched => {}
                Outcome::Rewritten { checksums_partial } => {
                    c.rewritten += 1;
                    c.not_whole += checksums_partial as u64;
                }
                Outcome::Unchanged(why) => {
                    match why {
                        Unchanged::Malformed => c.malformed += 1,
                        Unchanged::AlreadyTagged => c.already_tagged += 1,
                    }
                    // `apply` changed nothing, but the frame is reloaded to be sure.
                    n = load(cfg, &f, &mut scratch, slot).unwrap_or(n);
                }
            }
            let tags = layout::ethertype(&scratch[..n]).map_or(0, |(t, _)| t);
            let max = cfg.mtu as usize + 14 + if tags > 0 { 4 } else { 0 };
            if n > max {
                if !cfg.truncate_to_mtu {
                    c.over_mtu += 1;
                    continue;
                }
                n = rewrite::truncate(&mut scratch, max);
                c.truncated += 1;
            }
            let due = sched.deadline(f.ts_ns, n).map(|file| Due {
                at: file + tx.shift,
                file,
            });
            let mut waited = false;
            if let (Some(d), Some(w)) = (due, waiter.as_mut()) {
                if d.at > Instant::now() {
                    if let Err(e) = tx.flush() {
                        err = Some(e.into());
                        break 'passes;
                    }
                    // The flush may have moved the schedule.
                    let at = d.file + tx.shift;
                    if !w.wait(at, stop) {
                        interrupted = true;
                        break 'passes;
                    }
                    waited = true;
                }
            }
            tx.push(
                &scratch[..n],
                due.map(|d| Due {
                    at: d.file + tx.shift,
                    ..d
                }),
            );
            if waited || tx.full() {
                if let Err(e) = tx.flush() {
                    err = Some(e.into());
                    break 'passes;
                }
            }
        }
        if (cfg.loops != 0 && c.loops >= cfg.loops) || !src.can_rewind() {
            break;
        }
        if let Err(e) = src.rewind() {
            err = Some(e.into());
            break;
        }
        sched.next_loop();
    }
    if let Err(e) = tx.flush() {
        err.get_or_insert(e.into());
    }
    let sent = tx.sock.sent() - sent_before;
    let (elapsed, pps) = match (tx.first, tx.last_start, tx.end) {
        (Some(first), Some(last), Some(end)) => {
            if cfg.timing == Timing::Topspeed || sent < 2 {
                let e = (end - first).as_secs_f64();
                (e, if e > 0.0 { sent as f64 / e } else { 0.0 })
            } else {
                // Paced: intervals between the first and the last send, the rate asked.
                let e = (last - first).as_secs_f64();
                (e, if e > 0.0 { (sent - 1) as f64 / e } else { 0.0 })
            }
        }
        _ => (0.0, 0.0),
    };
    let us = |ns: u64| ns as f64 / 1e3;
    let summary = |h: &Histogram<u64>| {
        (!h.is_empty()).then(|| TimingErrorSummary {
            samples: h.len(),
            p50_us: us(h.value_at_quantile(0.5)),
            p99_us: us(h.value_at_quantile(0.99)),
            max_us: us(h.max()),
        })
    };
    let timing_error = summary(&tx.hist);
    let gap_error = summary(&tx.gap_hist);
    let cpu_s = process_cpu_ns().saturating_sub(cpu_start) as f64 / 1e9;
    let report = ReplayReport {
        schema_version: 1,
        file: cfg.file.clone(),
        iface: tx.sock.iface().to_string(),
        timing: match cfg.timing {
            Timing::File { .. } => "file",
            Timing::Pps(_) => "pps",
            Timing::Mbps(_) => "mbps",
            Timing::Topspeed => "topspeed",
        },
        loops: c.loops,
        read: c.read,
        sent,
        bytes: tx.bytes,
        rewritten: c.rewritten,
        unchanged_malformed: c.malformed,
        unchanged_already_tagged: c.already_tagged,
        checksums_not_whole: c.not_whole,
        truncated_to_mtu: c.truncated,
        converted: c.converted,
        skipped_over_mtu: c.over_mtu,
        skipped_not_convertible: c.not_convertible,
        skipped_runts: c.runts,
        kernel_dropped: tx.sock.dropped() - dropped_before,
        elapsed_s: elapsed,
        pps,
        mbps: if elapsed > 0.0 {
            tx.bytes as f64 * 8.0 / elapsed / 1e6
        } else {
            0.0
        },
        timing_error,
        gap_error,
        spin_margin_us: waiter
            .as_ref()
            .map(|w| w.calibrated_margin().as_nanos() as f64 / 1e3),
        spin_margin_max_us: waiter
            .as_ref()
            .map(|w| w.max_margin().as_nanos() as f64 / 1e3),
        late_wakeups: waiter.as_ref().map_or(0, Waiter::late_wakeups),
        schedule_shift_ms: tx.shift.as_nanos() as f64 / 1e6,
        cpu_s,
        interrupted,
    };
    (report, err)
}
