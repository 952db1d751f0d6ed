//! Clocks and sleeps: CLOCK_REALTIME in nanoseconds (the clock of the kernel's receive
//! timestamps, so a time read here compares with them), CLOCK_MONOTONIC with an absolute
//! sleep on it (`clock_nanosleep(TIMER_ABSTIME)`: a wake-up that comes late does not make the
//! next one later too), and the process's CPU time (CLOCK_PROCESS_CPUTIME_ID: user + system,
//! all threads) and that of the children waited for (getrusage).
//!
//! What stays true: no call here fails loudly: a clock that cannot be read reads 0, a sleep
//! cut short by a signal returns early (the caller checks the time).

use nix::sys::time::TimeSpec;
use nix::time::{clock_gettime, clock_nanosleep, ClockId, ClockNanosleepFlags};

fn read_ns(id: ClockId) -> u64 {
    clock_gettime(id)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// Now, CLOCK_REALTIME ns since the Unix epoch (0 if the clock cannot be read).
pub fn realtime_ns() -> u64 {
    read_ns(ClockId::CLOCK_REALTIME)
}

/// Now, CLOCK_MONOTONIC ns (the clock of [`std::time::Instant`] on Linux).
pub fn monotonic_ns() -> u64 {
    read_ns(ClockId::CLOCK_MONOTONIC)
}

/// CPU time used so far by the whole process (all threads, user + system), ns.
pub fn process_cpu_ns() -> u64 {
    read_ns(ClockId::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time (user + system) of the children this process has waited for so far, all of them
/// together (`getrusage(RUSAGE_CHILDREN)`), ns; 0 if it cannot be read. The difference around
/// a child's run is that child's CPU time.
pub fn children_cpu_ns() -> u64 {
    // SAFETY: getrusage only writes the rusage it is given, a plain C struct for which all
    // zero bytes are a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } != 0 {
        return 0;
    }
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    ns(ru.ru_utime) + ns(ru.ru_stime)
}

/// Sleep until CLOCK_MONOTONIC reads `deadline_ns` (returns at once if it is past; early if a
/// signal interrupts the sleep).
pub fn sleep_until_monotonic_ns(deadline_ns: u64) {
    let ts = TimeSpec::new(
        (deadline_ns / 1_000_000_000) as i64,
        (deadline_ns % 1_000_000_000) as i64,
    );
    let _ = clock_nanosleep(
        ClockId::CLOCK_MONOTONIC,
        ClockNanosleepFlags::TIMER_ABSTIME,
        &ts,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absolute_sleep_ends_after_its_deadline() {
        let d = monotonic_ns() + 200_000;
        sleep_until_monotonic_ns(d);
        assert!(monotonic_ns() >= d);
        // A deadline in the past returns at once (no sleep of a negative time).
        sleep_until_monotonic_ns(1);
        let a = process_cpu_ns();
        let mut x = 0u64;
        for i in 0..200_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        assert!(process_cpu_ns() > a, "CPU time grows while computing ({x})");
    }
}
