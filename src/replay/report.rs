//! The report of a replay: what tcpreplay prints (packets, bytes, elapsed time, rates,
//! failures) plus what it lacks: the frames skipped and rewritten and why, and the timing
//! error of every paced frame against its deadline (p50, p99, max). A table or JSON.
//!
//! JSON (`schema_version` 1; fields are only added within a version):
//!
//! | field | meaning |
//! |---|---|
//! | `file`, `iface` | what was replayed, where |
//! | `timing` | `file`, `pps`, `mbps` or `topspeed` |
//! | `loops` | passes over the file started |
//! | `read` | frames taken from the file (all passes, up to `--limit`) |
//! | `sent` | frames the kernel accepted |
//! | `bytes` | their bytes (Ethernet header to end of payload, no FCS) |
//! | `rewritten` | sent frames whose bytes a rewrite changed |
//! | `unchanged_malformed`, `unchanged_already_tagged` | sent as read: a rewrite asked could not be done (a header cut short; `--vlan add` on a tagged frame) |
//! | `checksums_not_whole` | `--fix-checksums` left the transport checksum alone: the packet is cut (snaplen) or a fragment |
//! | `truncated_to_mtu` | cut to the MTU (`--truncate-to-mtu`) |
//! | `converted` | given an Ethernet header (SLL, SLL2, raw IP) |
//! | `skipped_over_mtu`, `skipped_not_convertible` | not sent: longer than the MTU allows; a non-Ethernet frame with no ethertype |
//! | `skipped_runts` | not sent: shorter than an Ethernet header (14 bytes; a 0-byte record), which the kernel refuses |
//! | `kernel_dropped` | refused by the kernel (ENOBUFS past the 200 ms patience) |
//! | `elapsed_s`, `pps`, `mbps` | first to last send; achieved rates |
//! | `timing_error` | `samples`, `p50_us`, `p99_us`, `max_us`: send time − deadline (re-anchored), paced frames only; null at top speed |
//! | `gap_error` | the same fields: \|gap between two paced frames' send times − the file's (or rate's) gap between their deadlines\|; what a receiver's timestamps show; null at top speed |
//! | `spin_margin_us`, `spin_margin_max_us` | the spin margin calibrated at the start (sleep until this long before a deadline, then spin), and the largest it was raised to by late wake-ups; null at top speed |
//! | `late_wakeups` | sleeps that ended later than the margin in force |
//! | `schedule_shift_ms` | how far late frames moved the schedule back in all (re-anchoring; 0 with `--catch-up`) |
//! | `cpu_s` | CPU time of the process (user + system) during the replay, calibration included |
//! | `interrupted` | stopped early (Ctrl-C, SIGTERM) |

use std::fmt;

use serde::Serialize;

/// Send time against the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimingErrorSummary {
    pub samples: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub schema_version: u32,
    pub file: String,
    pub iface: String,
    pub timing: &'static str,
    pub loops: u64,
    pub read: u64,
    pub sent: u64,
    pub bytes: u64,
    pub rewritten: u64,
    pub unchanged_malformed: u64,
    pub unchanged_already_tagged: u64,
    pub checksums_not_whole: u64,
    pub truncated_to_mtu: u64,
    pub converted: u64,
    pub skipped_over_mtu: u64,
    pub skipped_not_convertible: u64,
    pub skipped_runts: u64,
    pub kernel_dropped: u64,
    pub elapsed_s: f64,
    pub pps: f64,
    pub mbps: f64,
    pub timing_error: Option<TimingErrorSummary>,
    pub gap_error: Option<TimingErrorSummary>,
    pub spin_margin_us: Option<f64>,
    pub spin_margin_max_us: Option<f64>,
    pub late_wakeups: u64,
    pub schedule_shift_ms: f64,
    pub cpu_s: f64,
    pub interrupted: bool,
}

impl ReplayReport {
    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Actual: {} packets ({} bytes) sent in {:.6} seconds{}",
            self.sent,
            self.bytes,
            self.elapsed_s,
            if self.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        )?;
        let bps = if self.elapsed_s > 0.0 {
            self.bytes as f64 / self.elapsed_s
        } else {
            0.0
        };
        writeln!(
            f,
            "Rated: {bps:.1} Bps, {:.2} Mbps, {:.2} pps",
            self.mbps, self.pps
        )?;
        writeln!(f, "Statistics for network device: {}", self.iface)?;
        let rows = [
            ("Read from file", self.read),
            ("Successful packets", self.sent),
            ("Failed packets (kernel)", self.kernel_dropped),
            ("Rewritten", self.rewritten),
            ("Given an Ethernet header", self.converted),
            ("Truncated to the MTU", self.truncated_to_mtu),
            ("Skipped: over the MTU", self.skipped_over_mtu),
            ("Skipped: no ethertype", self.skipped_not_convertible),
            ("Skipped: runts (< 14 bytes)", self.skipped_runts),
            ("Sent as read: malformed", self.unchanged_malformed),
            (
                "Sent as read: already tagged",
                self.unchanged_already_tagged,
            ),
            ("Checksums left: not whole", self.checksums_not_whole),
        ];
        for (name, v) in rows {
            if v > 0 || matches!(name, "Successful packets" | "Read from file") {
                writeln!(f, "\t{:<30}{v}", format!("{name}:"))?;
            }
        }
        match (&self.timing_error, &self.gap_error) {
            (Some(t), g) => {
                writeln!(
                    f,
                    "Timing error vs schedule ({} frames): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                    t.samples, t.p50_us, t.p99_us, t.max_us
                )?;
                if let Some(g) = g {
                    writeln!(
                        f,
                        "Gap error ({} gaps): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                        g.samples, g.p50_us, g.p99_us, g.max_us
                    )?;
                }
                write!(
                    f,
                    "Spin margin {:.0} µs (up to {:.0}), schedule moved back {:.3} ms, CPU {:.3} s",
                    self.spin_margin_us.unwrap_or(0.0),
                    self.spin_margin_max_us.unwrap_or(0.0),
                    self.schedule_shift_ms,
                    self.cpu_s
                )
            }
            (None, _) => write!(
                f,
                "Timing error vs schedule: none (top speed); CPU {:.3} s",
                self.cpu_s
            ),
        }
    }
}
