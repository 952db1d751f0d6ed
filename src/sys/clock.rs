//! CLOCK_REALTIME in nanoseconds: the clock of the kernel's receive timestamps, so a time read
//! here compares with them.

/// Now, CLOCK_REALTIME ns since the Unix epoch (0 if the clock cannot be read).
pub fn realtime_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_REALTIME)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}
