//! The figures of the benches as one table: what was measured, vethbench's value, the
//! reference's, their ratio (median over rounds, with the spread), the goal and whether it was
//! met, and the machine's load average while it was measured. `bench all` prints it (or JSON);
//! the single benches build their figures with it too. Also the helpers every bench shares to
//! say how loaded the machine was and to load it on purpose ([`Load`]).
//!
//! What stays true: a figure is measured in this run against a reference measured in the same
//! run; a missed goal is a mark in the table, never a failure (exit 0).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;

/// What a ratio should be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "op", content = "value", rename_all = "snake_case")]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
    /// Measured and shown, no goal.
    None,
}

impl Goal {
    pub fn met(&self, ratio: f64) -> Option<bool> {
        match *self {
            Goal::AtMost(g) => Some(ratio <= g),
            Goal::AtLeast(g) => Some(ratio >= g),
            Goal::None => None,
        }
    }

    fn show(&self) -> String {
        match *self {
            Goal::AtMost(g) => format!("<= {g:.2}"),
            Goal::AtLeast(g) => format!(">= {g:.2}"),
            Goal::None => "-".into(),
        }
    }
}

/// One row: vethbench against its reference.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What is measured, with its unit: "replay p99 gap error (µs)".
    pub figure: String,
    /// The reference: "tcpreplay".
    pub reference_name: String,
    /// Medians over the rounds.
    pub vethbench: f64,
    pub reference: f64,
    /// vethbench / reference: the median of the rounds' ratios, and their lowest and highest.
    pub ratio: f64,
    pub ratio_min: f64,
    pub ratio_max: f64,
    pub rounds: usize,
    pub goal: Goal,
    /// Whether the ratio meets the goal (`every_round`: each round's ratio must).
    pub met: Option<bool>,
    /// The goal holds for every round, not only the median (`--flows`' goal).
    pub every_round: bool,
    /// The 1-minute load average when the figure was taken.
    pub load_avg: f64,
    /// Under `--load` (a busy thread per CPU).
    pub loaded: bool,
}

impl Figure {
    /// A figure from per-round pairs (vethbench, reference).
    pub fn from_rounds(
        figure: &str,
        reference_name: &str,
        rounds: &[(f64, f64)],
        goal: Goal,
        loaded: bool,
    ) -> Figure {
        let ours: Vec<f64> = rounds.iter().map(|r| r.0).collect();
        let refs: Vec<f64> = rounds.iter().map(|r| r.1).collect();
        let ratios: Vec<f64> = rounds.iter().map(|r| r.0 / r.1.max(1e-12)).collect();
        let ratio = median(&ratios);
        let (lo, hi) = spread(&ratios);
        Figure {
            figure: figure.into(),
            reference_name: reference_name.into(),
            vethbench: median(&ours),
            reference: median(&refs),
            ratio,
            ratio_min: lo,
            ratio_max: hi,
            rounds: rounds.len(),
            goal,
            met: goal.met(ratio),
            every_round: false,
            load_avg: load_avg(),
            loaded,
        }
    }

    /// The goal must hold in every round (judged on the worst round's ratio).
    pub fn in_every_round(mut self) -> Figure {
        self.every_round = true;
        let worst = match self.goal {
            Goal::AtMost(_) => self.ratio_max,
            _ => self.ratio_min,
        };
        self.met = self.goal.met(worst);
        self
    }
}

/// The median of `v` (NaN when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// The lowest and highest of `v`.
pub fn spread(v: &[f64]) -> (f64, f64) {
    v.iter()
        .filter(|x| !x.is_nan())
        .fold((f64::NAN, f64::NAN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// The 1-minute load average (NaN if /proc/loadavg cannot be read).
pub fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Print the table.
pub fn print(out: &mut dyn std::io::Write, figs: &[Figure]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<44} {:>12} {:>12} {:<20} {:>7} {:>13} {:>8} {:>5} {:>5}",
        "figure",
        "vethbench",
        "reference",
        "(reference)",
        "ratio",
        "spread",
        "goal",
        "met?",
        "load"
    )?;
    for f in figs {
        let met = match f.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        writeln!(
            out,
            "{:<44} {:>12} {:>12} {:<20} {:>7.2} {:>13} {:>8} {:>5} {:>5.1}",
            format!("{}{}", f.figure, if f.loaded { " [load]" } else { "" }),
            num(f.vethbench),
            num(f.reference),
            f.reference_name,
            f.ratio,
            format!("{:.2}-{:.2}", f.ratio_min, f.ratio_max),
            format!("{}{}", f.goal.show(), if f.every_round { "*" } else { "" }),
            met,
            f.load_avg
        )?;
    }
    if figs.iter().any(|f| f.every_round) {
        writeln!(out, "* in every round (the worst round's ratio decides)")?;
    }
    Ok(())
}

/// A number in a table column: 3 significant digits or so.
fn num(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A busy thread per allowed CPU while it lives (`--load`): the machine as loaded as a build.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// Start the busy threads (none when `on` is false).
    pub fn start(on: bool) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let n = if on {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            0
        };
        let threads = (0..n)
            .map(|_| {
                let s = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !s.load(Ordering::Relaxed) {
                        for i in 0..10_000u64 {
                            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                        }
                    }
                })
            })
            .collect();
        Load { stop, threads }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A single bench's command: its rows to stdout as `measure` prints them, a blank line, then
/// its table; exit 0 (a missed goal is a mark in the table).
pub fn run_printed(
    measure: impl FnOnce(&mut dyn std::io::Write) -> anyhow::Result<Vec<Figure>>,
) -> anyhow::Result<std::process::ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let figs = measure(&mut out)?;
    writeln!(out)?;
    print(&mut out, &figs)?;
    Ok(std::process::ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_is_the_median_of_its_rounds() {
        let f = Figure::from_rounds(
            "p99 (µs)",
            "ref",
            &[(1.0, 4.0), (3.0, 4.0), (2.0, 2.0)],
            Goal::AtMost(0.5),
            false,
        );
        assert_eq!((f.vethbench, f.reference), (2.0, 4.0));
        assert_eq!((f.ratio, f.ratio_min, f.ratio_max), (0.75, 0.25, 1.0));
        assert_eq!(f.met, Some(false));
        let f = Figure::from_rounds(
            "x",
            "r",
            &[(0.97, 1.0), (0.85, 1.0)],
            Goal::AtLeast(0.9),
            false,
        );
        assert_eq!(f.met, Some(true));
        assert_eq!(f.in_every_round().met, Some(false));
        let mut out = Vec::new();
        print(
            &mut out,
            &[Figure::from_rounds(
                "y",
                "r",
                &[(1.0, 1.0)],
                Goal::None,
                true,
            )],
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("y [load]") && s.contains("1.00"), "{s}");
    }
}
