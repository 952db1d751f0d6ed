//! The report of a run: counts, throughput, latency and a verdict; printed as a table
//! (`Display`) or as JSON (`to_json`).
//!
//! JSON schema, version 1 (`schema_version`). Fields are only ever added within a version;
//! a renamed or removed field bumps it.
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `schema_version` | int | 1 |
//! | `mode` | string | `throughput`, `latency` or `rtt` |
//! | `tx_iface`, `rx_iface` | string or null | interfaces used (rtt: `rx_iface` is where the echoes come back, `tx_iface` again) |
//! | `reflector_iface` | string or null | rtt: the peer interface that echoes each frame back; null otherwise |
//! | `interrupted` | bool | the run was stopped early (`vethbench test`: Ctrl-C or SIGTERM); the counts cover the frames sent until then |
//! | `cpus` | object | where the work ran: `tx`, `rx` (our sender and receiver threads) and `napi` (the receiving veth's NAPI thread), each a CPU number, or null when left to the scheduler; `napi` is also null without threaded NAPI |
//! | `frame_len` | int | bytes per frame (Ethernet header to end of payload, no FCS); with several sizes, the first (see `sizes`) |
//! | `sent` | int | frames the kernel accepted for transmit |
//! | `received` | int | frames seen by the receiver, noise excluded: `intact + duplicated + corrupted + unexpected` |
//! | `intact` | int | distinct seqs received byte-exact (reordered ones included) |
//! | `lost` | int | `sent - intact - corrupted` |
//! | `corrupted` | int | ours, bytes differ from template + stamp |
//! | `reordered` | int | intact, arrived after a higher seq |
//! | `duplicated` | int | byte-exact copies of a seq already received |
//! | `unexpected` | int | not ours (no stamp, other stream) or a seq never sent |
//! | `noise` | int | frames ignored by the noise filter (LLDP, IPv6 ND/MLD, IGMP) |
//! | `kernel_drops` | int | frames the kernel dropped: on receive before the receiver saw them (ring or socket queue full), and on transmit (refused with ENOBUFS past the 200 ms patience: over the peer's MTU, backlog full) |
//! | `duration_s` | float | first send to end of transmit |
//! | `tx_pps` | float | `sent / duration_s` |
//! | `pps` | float | `intact / duration_s` |
//! | `mbps` | float | intact bytes `* 8 / duration_s / 1e6` (no preamble, FCS or gap) |
//! | `latency_kind` | string | `one_way` (rx kernel timestamp − tx stamp) or `rtt` |
//! | `latency` | object or null | `samples`, `min_us`, `mean_us`, `p50_us`, `p90_us`, `p99_us`, `p99_9_us`, `max_us`, `negative` |
//! | `path_latency` | object or null | latency mode: the same fields for the path alone, the kernel's software TX timestamp (the device taking the frame, `veth_xmit`) to the RX one, of one frame in 8 (those ask for the TX timestamp and are left out of `latency`, since the timestamp costs in the device): `latency` minus it is the time spent from the stamp's clock read to the device (the tool and the syscall); null in other modes |
//! | `verdict` | string | `passed` or `failed` |
//! | `failures` | array of strings | why it failed, one line each; empty when passed |
//! | `flow_count` | int | flows in the run (1 unless `--flows`/`--vary`) |
//! | `flows_with_loss`, `flows_with_reordering` | int | flows with at least one frame lost / reordered (reordering is counted within a flow) |
//! | `worst_loss` | object or null | the flow that lost the most: `flow`, `lost`, `sent`; null when none lost |
//! | `worst_p99` | object or null | the flow with the highest p99 latency: `flow`, `p99_us` |
//! | `per_flow` | array | every flow: `flow`, `src_ip`, `dst_ip`, `sport`, `dport` (null where the frame has none), `thread`, `sent`, `intact`, `lost`, `reordered`, `duplicated`, `corrupted`, `p99_us` (within 6.25 %: a compact histogram per flow; null without sample) |
//! | `sizes` | array | every frame length: `len`, `weight`, `intact` |
//! | `threads` | array | every sender thread: `thread`, `flows`, `sent`, `duration_s`, `tx_pps` |
//! | `error` | string or null | the error that ended the run early (e.g. an interface deleted mid-run); the counts cover the frames sent until then, and the exit code is 2 |

use std::fmt;

use serde::{Deserialize, Serialize};

use super::checker::Counts;
use super::latency::LatencySummary;
pub use super::report_flows::{FlowResult, SizeResult, ThreadResult, WorstLoss, WorstP99};

/// Version of the JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
}

/// What a run measured and concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub mode: String,
    pub tx_iface: Option<String>,
    pub rx_iface: Option<String>,
    /// rtt: the peer interface that echoes frames back (added within schema version 1).
    #[serde(default)]
    pub reflector_iface: Option<String>,
    /// Where the work ran (added within schema version 1).
    #[serde(default)]
    pub cpus: Cpus,
    /// Stopped early by the user (added within schema version 1).
    #[serde(default)]
    pub interrupted: bool,
    pub frame_len: usize,
    pub sent: u64,
    pub received: u64,
    pub intact: u64,
    pub lost: u64,
    pub corrupted: u64,
    pub reordered: u64,
    pub duplicated: u64,
    pub unexpected: u64,
    pub noise: u64,
    pub kernel_drops: u64,
    pub duration_s: f64,
    pub tx_pps: f64,
    pub pps: f64,
    pub mbps: f64,
    pub latency_kind: String,
    pub latency: Option<LatencySummary>,
    /// Added within schema version 1.
    #[serde(default)]
    pub path_latency: Option<LatencySummary>,
    pub verdict: Verdict,
    pub failures: Vec<String>,
    /// Flows in the run (added within schema version 1, as the fields below).
    #[serde(default)]
    pub flow_count: u32,
    #[serde(default)]
    pub flows_with_loss: u64,
    #[serde(default)]
    pub flows_with_reordering: u64,
    #[serde(default)]
    pub worst_loss: Option<WorstLoss>,
    #[serde(default)]
    pub worst_p99: Option<WorstP99>,
    #[serde(default)]
    pub per_flow: Vec<FlowResult>,
    #[serde(default)]
    pub sizes: Vec<SizeResult>,
    #[serde(default)]
    pub threads: Vec<ThreadResult>,
    /// The error that ended the run early (an interface deleted mid-run...), with the counts
    /// of what was sent until then; null otherwise (added within schema version 1).
    #[serde(default)]
    pub error: Option<String>,
}

/// The CPUs a run's threads were pinned to; None: left to the scheduler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpus {
    /// Our sender thread.
    pub tx: Option<usize>,
    /// Our receiver thread.
    pub rx: Option<usize>,
    /// The receiving veth's NAPI thread (threaded NAPI only).
    pub napi: Option<usize>,
}

/// The raw results a run hands to [`Report::new`].
#[derive(Debug, Clone, Default)]
pub struct RunResults {
    pub mode: String,
    pub tx_iface: Option<String>,
    pub rx_iface: Option<String>,
    pub frame_len: usize,
    pub sent: u64,
    pub counts: Counts,
    pub noise: u64,
    pub kernel_drops: u64,
    /// Of `kernel_drops`, the frames refused on transmit (the rest: on receive).
    pub tx_drops: u64,
    pub duration_s: f64,
    pub rtt: bool,
    pub latency: Option<LatencySummary>,
    /// latency mode: the kernel's TX software timestamp to the RX one.
    pub path_latency: Option<LatencySummary>,
    /// Every flow (empty: one flow, counted by the totals).
    pub flows: Vec<FlowResult>,
    /// Every frame size (empty: `frame_len` only).
    pub sizes: Vec<SizeResult>,
    pub threads: Vec<ThreadResult>,
}

impl Report {
    /// Derive rates and the verdict: passed when every frame sent arrived once, intact, in
    /// order, nothing else arrived and the kernel dropped nothing.
    pub fn new(r: RunResults) -> Self {
        let c = r.counts;
        let lost = c.lost(r.sent);
        let per_s = |n: u64| {
            if r.duration_s > 0.0 {
                n as f64 / r.duration_s
            } else {
                0.0
            }
        };
        let mut failures = Vec::new();
        let mut fail = |n: u64, what: &str| {
            if n > 0 {
                failures.push(format!("{n} {what}"));
            }
        };
        fail(lost, "frame(s) lost");
        fail(c.corrupted, "frame(s) corrupted");
        fail(c.reordered, "frame(s) reordered");
        fail(c.duplicated, "frame(s) duplicated");
        fail(c.unexpected, "unexpected frame(s)");
        if r.kernel_drops > 0 {
            let rx = r.kernel_drops.saturating_sub(r.tx_drops);
            failures.push(format!(
                "{} frame(s) dropped by the kernel ({rx} on receive: ring or socket queue full; \
                 {} on transmit: refused for over 200 ms)",
                r.kernel_drops, r.tx_drops
            ));
        }
        if r.sent == 0 {
            failures.push("nothing was sent".to_string());
        }
        let (flows_with_loss, flows_with_reordering, worst_loss, worst_p99) =
            super::report_flows::summary(&r.flows);
        let intact_bytes = if r.sizes.is_empty() {
            c.intact as f64 * r.frame_len as f64
        } else {
            r.sizes.iter().map(|s| s.intact as f64 * s.len as f64).sum()
        };
        Report {
            schema_version: SCHEMA_VERSION,
            mode: r.mode,
            tx_iface: r.tx_iface,
            rx_iface: r.rx_iface,
            reflector_iface: None,
            cpus: Cpus::default(),
            interrupted: false,
            frame_len: r.frame_len,
            sent: r.sent,
            received: c.received,
            intact: c.intact,
            lost,
            corrupted: c.corrupted,
            reordered: c.reordered,
            duplicated: c.duplicated,
            unexpected: c.unexpected,
            noise: r.noise,
            kernel_drops: r.kernel_drops,
            duration_s: r.duration_s,
            tx_pps: per_s(r.sent),
            pps: per_s(c.intact),
            mbps: if r.duration_s > 0.0 {
                intact_bytes * 8.0 / r.duration_s / 1e6
            } else {
                0.0
            },
            latency_kind: if r.rtt { "rtt" } else { "one_way" }.to_string(),
            latency: r.latency,
            path_latency: r.path_latency,
            verdict: if failures.is_empty() {
                Verdict::Passed
            } else {
                Verdict::Failed
            },
            failures,
            flow_count: r.flows.len().max(1) as u32,
            flows_with_loss,
            flows_with_reordering,
            worst_loss,
            worst_p99,
            per_flow: r.flows,
            sizes: r.sizes,
            threads: r.threads,
            error: None,
        }
    }

    /// The run ended early on `error`: the report covers what was sent until then, fails, and
    /// exits with 2 (an error), not 1.
    pub fn set_error(&mut self, error: String) {
        self.failures.push(format!("the run ended early: {error}"));
        self.verdict = Verdict::Failed;
        self.error = Some(error);
    }

    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }

    /// A device that drops (`test --min-loss`): loss is what is wanted. The "lost" failure goes;
    /// instead the run fails when the loss does not reach `reached(lost, sent)`, in total or in
    /// any flow, saying how many frames got through. `what` names the floor (`100%`).
    pub fn require_loss(&mut self, what: &str, reached: impl Fn(u64, u64) -> bool) {
        self.failures.retain(|f| !f.ends_with("frame(s) lost"));
        if !reached(self.lost, self.sent) {
            self.failures.push(format!(
                "{} of {} frame(s) got through (min-loss {what}: lost {})",
                self.sent.saturating_sub(self.lost),
                self.sent,
                self.lost
            ));
        }
        for f in &self.per_flow {
            if !reached(f.lost, f.sent) {
                self.failures.push(format!(
                    "flow {}: {} of {} frame(s) got through (min-loss {what})",
                    f.flow,
                    f.sent.saturating_sub(f.lost),
                    f.sent
                ));
            }
        }
        if self.error.is_none() {
            self.verdict = if self.failures.is_empty() {
                Verdict::Passed
            } else {
                Verdict::Failed
            };
        }
    }

    /// 0 when everything arrived intact, 2 when an error ended the run early, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.passed() {
            0
        } else if self.error.is_some() {
            2
        } else {
            1
        }
    }

    /// The stable JSON form (see the module doc), pretty-printed.
    pub fn to_json(&self) -> String {
        // A struct of numbers and strings always serialises.
        serde_json::to_string_pretty(self).expect("report serialises")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ifaces = match (&self.tx_iface, &self.reflector_iface, &self.rx_iface) {
            (Some(t), Some(m), Some(r)) => format!(" {t} -> {m} -> {r}"),
            (Some(t), None, Some(r)) => format!(" {t} -> {r}"),
            _ => String::new(),
        };
        writeln!(
            f,
            "mode {}{ifaces}, {}-byte frames",
            self.mode, self.frame_len
        )?;
        if self.interrupted {
            writeln!(
                f,
                "  interrupted: the counts cover the frames sent until then"
            )?;
        }
        let rows: [(&str, u64); 10] = [
            ("sent", self.sent),
            ("received", self.received),
            ("intact", self.intact),
            ("lost", self.lost),
            ("corrupted", self.corrupted),
            ("reordered", self.reordered),
            ("duplicated", self.duplicated),
            ("unexpected", self.unexpected),
            ("kernel drops", self.kernel_drops),
            ("noise ignored", self.noise),
        ];
        for (k, v) in rows {
            writeln!(f, "  {k:<14} {v:>12}")?;
        }
        writeln!(f, "  {:<14} {:>12.3} s", "duration", self.duration_s)?;
        writeln!(
            f,
            "  {:<14} {:>12.0} pps ({:.0} sent/s)",
            "throughput", self.pps, self.tx_pps
        )?;
        writeln!(f, "  {:<14} {:>12.1} Mbit/s", "", self.mbps)?;
        super::report_flows::write_table(f, self)?;
        // Only when something was pinned; the NAPI thread only when there is a pinned one.
        let c = self.cpus;
        if c != Cpus::default() {
            let cpu = |v: Option<usize>| v.map_or("any".to_string(), |c| c.to_string());
            write!(
                f,
                "  {:<14} sender {}, receiver {}",
                "CPUs",
                cpu(c.tx),
                cpu(c.rx)
            )?;
            match c.napi {
                Some(n) => writeln!(
                    f,
                    ", {}'s NAPI thread {n}",
                    self.rx_iface.as_deref().unwrap_or("the receiver")
                )?,
                None => writeln!(f)?,
            }
        }
        match &self.latency {
            Some(l) => {
                let kind = if self.latency_kind == "rtt" {
                    "rtt"
                } else {
                    "one-way latency"
                };
                writeln!(f, "  {kind} (µs, {} samples):", l.samples)?;
                writeln!(
                    f,
                    "    {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                    "min", "p50", "p90", "p99", "p99.9", "max"
                )?;
                writeln!(
                    f,
                    "    {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
                    l.min_us, l.p50_us, l.p90_us, l.p99_us, l.p99_9_us, l.max_us
                )?;
                if let Some(p) = &self.path_latency {
                    writeln!(
                        f,
                        "    {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}  path: kernel TX stamp to RX stamp ({} samples)",
                        p.min_us, p.p50_us, p.p90_us, p.p99_us, p.p99_9_us, p.max_us, p.samples
                    )?;
                }
            }
            None => writeln!(f, "  latency: no sample")?,
        }
        match self.verdict {
            Verdict::Passed => write!(f, "PASSED"),
            Verdict::Failed => write!(f, "FAILED: {}", self.failures.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(sent: u64, counts: Counts) -> RunResults {
        RunResults {
            mode: "throughput".into(),
            frame_len: 64,
            sent,
            counts,
            duration_s: 2.0,
            ..RunResults::default()
        }
    }

    #[test]
    fn clean_run_passes_with_rates() {
        let c = Counts {
            received: 1000,
            intact: 1000,
            ..Counts::default()
        };
        let r = Report::new(results(1000, c));
        assert!(r.passed());
        assert_eq!(r.exit_code(), 0);
        assert_eq!(r.pps, 500.0);
        assert_eq!(r.mbps, 500.0 * 64.0 * 8.0 / 1e6);
        assert!(r.to_string().ends_with("PASSED"));
    }

    #[test]
    fn any_fault_fails() {
        let base = Counts {
            received: 10,
            intact: 10,
            ..Counts::default()
        };
        for (sent, c, drops, why) in [
            (11, base, 0, "1 frame(s) lost"),
            (
                10,
                Counts {
                    duplicated: 1,
                    received: 11,
                    ..base
                },
                0,
                "1 frame(s) duplicated",
            ),
            (
                10,
                Counts {
                    reordered: 2,
                    ..base
                },
                0,
                "2 frame(s) reordered",
            ),
            (
                10,
                Counts {
                    unexpected: 1,
                    received: 11,
                    ..base
                },
                0,
                "1 unexpected frame(s)",
            ),
            (
                10,
                base,
                3,
                "3 frame(s) dropped by the kernel (2 on receive: ring or socket queue full; \
                 1 on transmit: refused for over 200 ms)",
            ),
            (0, Counts::default(), 0, "nothing was sent"),
        ] {
            let mut res = results(sent, c);
            res.kernel_drops = drops;
            res.tx_drops = drops.min(1);
            let r = Report::new(res);
            assert_eq!(r.exit_code(), 1, "{why}");
            assert!(r.failures.iter().any(|f| f == why), "{:?}", r.failures);
        }
        let r = Report::new(results(
            10,
            Counts {
                intact: 9,
                corrupted: 1,
                received: 10,
                ..Counts::default()
            },
        ));
        assert_eq!(r.lost, 0);
        assert_eq!(r.failures, vec!["1 frame(s) corrupted".to_string()]);
    }

    #[test]
    fn json_round_trips_with_schema_version() {
        let r = Report::new(results(
            5,
            Counts {
                received: 5,
                intact: 5,
                ..Counts::default()
            },
        ));
        let j = r.to_json();
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["verdict"], "passed");
        assert!(v["latency"].is_null());
        let back: Report = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r);
    }
}
