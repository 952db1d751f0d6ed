//! Waiting for a deadline on time without real-time priority: sleep (an absolute
//! `clock_nanosleep` on CLOCK_MONOTONIC) until a margin before the deadline, then spin.
//!
//! The margin is this machine's wake-up lateness: calibrated at the start from
//! [`CALIBRATION_SLEEPS`] sleeps of 30 µs (their p99 lateness + 5 µs, clamped to
//! [`MIN_MARGIN`]..=[`MAX_CALIBRATED`], 20–100 µs), raised when a wake-up comes later than the margin (to
//! that lateness + 5 µs, at most [`MAX_MARGIN`]), and decaying back towards the calibrated
//! value by 1/64 of the difference per wait. A wait spins at most a third of the time it has
//! left when it starts, or [`MIN_MARGIN`] if that is more (a shorter wait only spins).
//! Sleeping most of each gap rather than spinning
//! it keeps the scheduler's favour on a loaded machine (a task that wakes from a sleep preempts
//! a busy one; a task that spins for milliseconds is preempted for milliseconds), and costs a
//! CPU only for the margin of each gap (see docs/replay.md for the figures).
//!
//! What stays true: a wait never returns before its deadline (unless stopped); a stop request
//! is noticed within [`MAX_SLEEP`]; nothing allocates.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::sys::clock::{monotonic_ns, sleep_until_monotonic_ns};

/// Sleeps of the calibration.
pub const CALIBRATION_SLEEPS: usize = 100;
/// The length of each calibration sleep.
pub const CALIBRATION_SLEEP: Duration = Duration::from_micros(30);
/// Added to a measured lateness to make a margin.
const EXTRA: Duration = Duration::from_micros(5);
/// The smallest margin.
pub const MIN_MARGIN: Duration = Duration::from_micros(20);
/// The largest calibrated margin. 100 µs measured better than 200 µs and 50 µs on a 2-CPU VM
/// at load 16 (p99 gap errors 3.0–6.9 ms against 7.0–10.5 ms with 200 µs and a raise to 1 ms,
/// at a third of the CPU): beyond, a late wake-up is a stall that spinning would not have
/// avoided, only paid for, and a sender that spins more loses the scheduler's favour.
pub const MAX_CALIBRATED: Duration = Duration::from_micros(100);
/// The largest margin a late wake-up can raise it to.
pub const MAX_MARGIN: Duration = Duration::from_micros(100);
/// A wait spins at most 1/`SPIN_SHARE` of the time it has left (1/3 measured a little better
/// than 1/2 and clearly better than 1/4, which woke late more often).
const SPIN_SHARE: u64 = 3;
/// The margin decays towards the calibrated one by 1/`DECAY` of the difference per wait.
const DECAY: u64 = 64;
/// The longest single sleep: a stop request is noticed within this.
pub const MAX_SLEEP: Duration = Duration::from_millis(5);

/// Sleep-then-spin waits with a self-calibrating spin margin.
#[derive(Debug, Clone)]
pub struct Waiter {
    /// An instant and CLOCK_MONOTONIC at that instant, read together: deadlines given as
    /// `Instant`s are slept to on the monotonic clock.
    anchor: Instant,
    anchor_ns: u64,
    /// The calibrated margin and the margin in force, ns.
    base_ns: u64,
    margin_ns: u64,
    /// The largest margin in force so far, ns.
    max_ns: u64,
    /// Wake-ups later than the margin in force (the deadline was missed by the sleep).
    late_wakeups: u64,
}

impl Waiter {
    /// A waiter whose margin is measured now ([`CALIBRATION_SLEEPS`] sleeps of 30 µs: a few
    /// ms). The caller sets its timer slack first ([`super::schedule::precise_sleeps`]).
    pub fn calibrated() -> Waiter {
        let mut late = [0u64; CALIBRATION_SLEEPS];
        for l in late.iter_mut() {
            let target = monotonic_ns() + CALIBRATION_SLEEP.as_nanos() as u64;
            sleep_until_monotonic_ns(target);
            *l = monotonic_ns().saturating_sub(target);
        }
        late.sort_unstable();
        let p99 = late[(CALIBRATION_SLEEPS - 1) * 99 / 100];
        Waiter::with_margin(Duration::from_nanos(p99) + EXTRA)
    }

    /// A waiter with this margin (clamped to [`MIN_MARGIN`]..=[`MAX_CALIBRATED`]) as its
    /// calibrated one.
    pub fn with_margin(margin: Duration) -> Waiter {
        let m = margin.clamp(MIN_MARGIN, MAX_CALIBRATED).as_nanos() as u64;
        let anchor = Instant::now();
        Waiter {
            anchor,
            anchor_ns: monotonic_ns(),
            base_ns: m,
            margin_ns: m,
            max_ns: m,
            late_wakeups: 0,
        }
    }

    /// The calibrated margin.
    pub fn calibrated_margin(&self) -> Duration {
        Duration::from_nanos(self.base_ns)
    }

    /// The margin in force now.
    pub fn margin(&self) -> Duration {
        Duration::from_nanos(self.margin_ns)
    }

    /// The largest margin in force so far.
    pub fn max_margin(&self) -> Duration {
        Duration::from_nanos(self.max_ns)
    }

    /// Wake-ups that came later than the margin in force.
    pub fn late_wakeups(&self) -> u64 {
        self.late_wakeups
    }

    fn mono_ns(&self, t: Instant) -> u64 {
        match t.checked_duration_since(self.anchor) {
            Some(d) => self.anchor_ns + d.as_nanos() as u64,
            None => self
                .anchor_ns
                .saturating_sub((self.anchor - t).as_nanos() as u64),
        }
    }

    /// Wait until `due`: true when it has come (at once if it is past), false if `stop` was
    /// set first. The margin decays a step on each call.
    pub fn wait(&mut self, due: Instant, stop: &AtomicBool) -> bool {
        // Spin at most a third of the time left: a sender that spins more loses the
        // scheduler's favour on a loaded machine, and its wake-ups come later still.
        let share = due.saturating_duration_since(Instant::now()).as_nanos() as u64 / SPIN_SHARE;
        let margin_ns = self.margin_ns.min(share.max(MIN_MARGIN.as_nanos() as u64));
        loop {
            let now = Instant::now();
            if now >= due {
                break;
            }
            let left = (due - now).as_nanos() as u64;
            if left > margin_ns {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                let chunk = MAX_SLEEP.as_nanos() as u64;
                let wake = if left - margin_ns > chunk {
                    None
                } else {
                    Some(self.mono_ns(due) - margin_ns)
                };
                sleep_until_monotonic_ns(wake.unwrap_or(self.mono_ns(now) + chunk));
                if let Some(w) = wake {
                    let late = monotonic_ns().saturating_sub(w);
                    if late > margin_ns {
                        self.late_wakeups += 1;
                        self.margin_ns =
                            (late + EXTRA.as_nanos() as u64).min(MAX_MARGIN.as_nanos() as u64);
                        self.max_ns = self.max_ns.max(self.margin_ns);
                    }
                }
            } else {
                std::hint::spin_loop();
            }
        }
        if self.margin_ns > self.base_ns {
            self.margin_ns -= (self.margin_ns - self.base_ns).div_ceil(DECAY);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_ends_at_its_deadline_never_before() {
        let stop = AtomicBool::new(false);
        let mut w = Waiter::with_margin(Duration::from_micros(50));
        for gap in [0u64, 10, 100, 2_000] {
            let due = Instant::now() + Duration::from_micros(gap);
            assert!(w.wait(due, &stop));
            assert!(Instant::now() >= due);
        }
        // A deadline in the past: at once.
        assert!(w.wait(Instant::now() - Duration::from_millis(1), &stop));
    }

    #[test]
    fn a_stop_cuts_a_long_wait_short() {
        let stop = AtomicBool::new(true);
        let mut w = Waiter::with_margin(Duration::ZERO);
        assert!(!w.wait(Instant::now() + Duration::from_secs(3600), &stop));
    }

    #[test]
    fn margins_are_clamped_raised_and_decay() {
        let w = Waiter::with_margin(Duration::from_secs(1));
        assert_eq!(w.calibrated_margin(), MAX_CALIBRATED);
        let w = Waiter::with_margin(Duration::ZERO);
        assert_eq!(w.margin(), MIN_MARGIN);
        let c = Waiter::calibrated();
        assert!((MIN_MARGIN..=MAX_CALIBRATED).contains(&c.calibrated_margin()));
        // A raised margin decays back to the calibrated one, never below.
        let mut w = Waiter::with_margin(MIN_MARGIN);
        w.margin_ns = MAX_MARGIN.as_nanos() as u64;
        let stop = AtomicBool::new(false);
        let mut last = w.margin();
        for _ in 0..64 {
            w.wait(Instant::now(), &stop);
            assert!(w.margin() < last, "decays");
            last = w.margin();
        }
        for _ in 0..2000 {
            w.wait(Instant::now(), &stop);
        }
        assert_eq!(w.margin(), MIN_MARGIN);
    }
}
