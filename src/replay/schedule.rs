//! When each frame is due: the file's own gaps (scaled by a multiplier), a fixed packet rate,
//! a bit rate, or as fast as possible. The wait for a deadline is [`super::wait`]'s; moving the
//! schedule back after a late frame (re-anchoring) is the engine's.
//!
//! What stays true: deadlines are computed from the start of the replay, never from the
//! previous send, so no drift accumulates over a long file. Timestamps that go backwards (a multi-interface capture not
//! in time order) make a frame due at once, without moving the frames after it.

use std::time::{Duration, Instant};

/// The lowest `--pps` and `--mbps` accepted: one frame (or one megabit) per 1000 s.
pub const MIN_RATE: f64 = crate::sock::tx::MIN_RATE_PPS;
/// The lowest multiplier accepted.
pub const MIN_MULTIPLIER: f64 = 0.0001;
/// Deadlines are capped at this far from the start (31 years): no overflow whatever the file.
const MAX_OFFSET_NS: f64 = 1e18;

/// How frames are spaced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// The file's timestamps, gaps divided by the multiplier (2.0: twice as fast).
    File { multiplier: f64 },
    /// This many frames per second.
    Pps(f64),
    /// This many megabits per second (frame bytes as sent, no preamble or FCS).
    Mbps(f64),
    /// No pacing: batches as fast as the kernel takes them.
    Topspeed,
}

/// An error in a timing specification (names no flag).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{what} {value} is out of range: {why}")]
pub struct TimingError {
    pub what: &'static str,
    pub value: f64,
    pub why: String,
}

impl Timing {
    /// Refuse values that cannot be scheduled (not finite, zero, negative, below the minimum).
    pub fn check(&self) -> Result<(), TimingError> {
        let (what, v, min) = match *self {
            Timing::File { multiplier } => ("multiplier", multiplier, MIN_MULTIPLIER),
            Timing::Pps(v) => ("packet rate", v, MIN_RATE),
            Timing::Mbps(v) => ("bit rate (Mbit/s)", v, MIN_RATE),
            Timing::Topspeed => return Ok(()),
        };
        if v.is_finite() && v >= min {
            Ok(())
        } else {
            Err(TimingError {
                what,
                value: v,
                why: format!("it must be a finite number of at least {min}"),
            })
        }
    }
}

/// The deadlines of one replay.
#[derive(Debug, Clone)]
pub struct Schedule {
    timing: Timing,
    start: Instant,
    /// File timing: the first frame's timestamp (of the current loop).
    first_ts: Option<u64>,
    /// File timing: where the current loop starts, in file nanoseconds.
    loop_offset_ns: u64,
    /// File timing: the latest offset seen in this loop, and the frames in it.
    span_ns: u64,
    in_loop: u64,
    frames: u64,
    bits: f64,
}

impl Schedule {
    /// A schedule starting now.
    pub fn new(timing: Timing) -> Schedule {
        Schedule {
            timing,
            start: Instant::now(),
            first_ts: None,
            loop_offset_ns: 0,
            span_ns: 0,
            in_loop: 0,
            frames: 0,
            bits: 0.0,
        }
    }

    /// When the schedule started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Start over at the beginning of the file: the next loop begins one mean gap after the
    /// last frame of this one.
    pub fn next_loop(&mut self) {
        let gap = if self.in_loop > 1 {
            self.span_ns / (self.in_loop - 1)
        } else {
            0
        };
        self.loop_offset_ns = self.loop_offset_ns.saturating_add(self.span_ns + gap);
        self.first_ts = None;
        self.span_ns = 0;
        self.in_loop = 0;
    }

    fn at(&self, ns: f64) -> Instant {
        self.start + Duration::from_nanos(ns.clamp(0.0, MAX_OFFSET_NS) as u64)
    }

    /// The deadline of the next frame (file timestamp `ts_ns`, `len` bytes as sent); None at
    /// top speed.
    pub fn deadline(&mut self, ts_ns: u64, len: usize) -> Option<Instant> {
        let i = self.frames;
        self.frames += 1;
        self.in_loop += 1;
        match self.timing {
            Timing::Topspeed => None,
            Timing::Pps(pps) => Some(self.at(i as f64 * 1e9 / pps)),
            Timing::Mbps(mbps) => {
                let before = self.bits;
                self.bits += len as f64 * 8.0;
                Some(self.at(before * 1e3 / mbps))
            }
            Timing::File { multiplier } => {
                let first = *self.first_ts.get_or_insert(ts_ns);
                let rel = ts_ns.saturating_sub(first);
                self.span_ns = self.span_ns.max(rel);
                let off = self.loop_offset_ns.saturating_add(rel);
                Some(self.at(off as f64 / multiplier))
            }
        }
    }
}

/// Make the calling thread's sleeps end on time: its timer slack (50 µs by default, added to
/// every sleep) set to 1 ns. Best effort.
pub fn precise_sleeps() {
    let _ = nix::sys::prctl::set_timerslack(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(s: &mut Schedule, frames: &[(u64, usize)]) -> Vec<u64> {
        frames
            .iter()
            .map(|&(ts, len)| (s.deadline(ts, len).unwrap() - s.start()).as_nanos() as u64)
            .collect()
    }

    #[test]
    fn file_timing_is_absolute_and_scaled() {
        let f = [(5_000, 60), (5_100, 60), (7_000, 60), (6_000, 60)];
        let mut s = Schedule::new(Timing::File { multiplier: 1.0 });
        assert_eq!(offsets(&mut s, &f), [0, 100, 2_000, 1_000]);
        s.next_loop();
        // The next loop starts one mean gap (2000 / 3) after the latest frame.
        assert_eq!(offsets(&mut s, &f[..2]), [2_666, 2_766]);
        let mut s = Schedule::new(Timing::File { multiplier: 2.0 });
        assert_eq!(offsets(&mut s, &f[..3]), [0, 50, 1_000]);
    }

    #[test]
    fn rates() {
        let mut s = Schedule::new(Timing::Pps(10_000.0));
        assert_eq!(offsets(&mut s, &[(9, 1); 3]), [0, 100_000, 200_000]);
        // 1 Mbit/s: a 125-byte frame is 1 ms.
        let mut s = Schedule::new(Timing::Mbps(1.0));
        assert_eq!(
            offsets(&mut s, &[(0, 125), (0, 250), (0, 1)]),
            [0, 1_000_000, 3_000_000]
        );
        assert!(Schedule::new(Timing::Topspeed).deadline(0, 1).is_none());
        // Absurd values do not overflow.
        let mut s = Schedule::new(Timing::File {
            multiplier: MIN_MULTIPLIER,
        });
        offsets(&mut s, &[(0, 1), (u64::MAX, 1)]);
    }

    #[test]
    fn checks() {
        assert!(Timing::Pps(MIN_RATE).check().is_ok());
        for t in [
            Timing::Pps(0.0),
            Timing::Pps(1e-9),
            Timing::Mbps(f64::NAN),
            Timing::File { multiplier: -1.0 },
            Timing::File {
                multiplier: f64::INFINITY,
            },
        ] {
            assert!(t.check().is_err(), "{t:?}");
        }
    }
}
