//! One step on a [`Bench`]: its verdict, what went wrong (expected, arrived, the field-level
//! diff) and notes (frames passed over, a stream's figures).
//!
//! A failed expectation is a result ([`Outcome::Failed`]); a step that could not run (a frame
//! that does not build, a socket error) is [`Outcome::Error`]. Neither stops the scenario:
//! the test ends there and the next test runs.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::bench::Bench;
use super::model::{FrameSrc, Ready, Step, StepKind, StreamStep};
use super::proc;
use super::ScenarioError;
use crate::harness::{self, HarnessError, Matcher};

/// How long an `exec` command may run.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a daemon has to become ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a `ping` waits for each reply.
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// A verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// The step could not run.
    Error,
    /// Not run: an earlier step of the test did not pass.
    Skipped,
}

/// What one step did.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub line: usize,
    /// `expect on h2:eth0`.
    pub step: String,
    pub keyword: &'static str,
    pub outcome: Outcome,
    /// Why it did not pass (multi-line: expected, arrived, diff); empty when it passed.
    pub message: String,
    /// What else is worth knowing (frames passed over, a stream's figures).
    pub notes: Vec<String>,
    pub duration_s: f64,
}

impl StepResult {
    pub fn skipped(s: &Step) -> Self {
        StepResult {
            line: s.line,
            step: s.kind.describe(),
            keyword: s.kind.keyword(),
            outcome: Outcome::Skipped,
            message: String::new(),
            notes: Vec::new(),
            duration_s: 0.0,
        }
    }
}

type Verdict = Result<Vec<String>, Fail>;

enum Fail {
    Failed(String),
    Error(String),
}

impl From<ScenarioError> for Fail {
    fn from(e: ScenarioError) -> Self {
        match e {
            ScenarioError::Harness(HarnessError::Expectation(f)) => Fail::Failed(f.to_string()),
            e => Fail::Error(e.to_string()),
        }
    }
}

impl From<HarnessError> for Fail {
    fn from(e: HarnessError) -> Self {
        ScenarioError::Harness(e).into()
    }
}

/// Run `step` on `bench`.
pub fn run(bench: &mut Bench, step: &Step) -> StepResult {
    let t0 = Instant::now();
    let r = match &step.kind {
        StepKind::Send {
            port,
            frame,
            count,
            rate_pps,
        } => send(bench, &port.to_string(), frame, *count, *rate_pps),
        StepKind::Expect {
            port,
            frame,
            ignore,
            within,
        } => expect(bench, &port.to_string(), frame, ignore, *within),
        StepKind::ExpectNone { ports, wait } => expect_none(bench, ports, *wait),
        StepKind::Sr {
            port,
            frame,
            expect: answer,
            ignore,
            within,
        } => {
            let p = port.to_string();
            send(bench, &p, frame, 1, None).and_then(|_| expect(bench, &p, answer, ignore, *within))
        }
        StepKind::Ping { node, to, count } => ping(bench, node, *to, *count),
        StepKind::Exec {
            node,
            run,
            exit,
            expect_output,
        } => exec(bench, node, run, *exit, expect_output.as_ref()),
        StepKind::Stream(s) => stream(bench, s),
        StepKind::Daemon { node, run, ready } => daemon(bench, node, run, ready.as_ref()),
    };
    let (outcome, message, notes) = match r {
        Ok(notes) => (Outcome::Passed, String::new(), notes),
        Err(Fail::Failed(m)) => (Outcome::Failed, m, Vec::new()),
        Err(Fail::Error(m)) => (Outcome::Error, m, Vec::new()),
    };
    StepResult {
        line: step.line,
        step: step.kind.describe(),
        keyword: step.kind.keyword(),
        outcome,
        message,
        notes,
        duration_s: t0.elapsed().as_secs_f64(),
    }
}

fn send(bench: &mut Bench, port: &str, f: &FrameSrc, count: u64, rate: Option<f64>) -> Verdict {
    let frames = bench.frames(port, &f.expr)?;
    let refs: Vec<&[u8]> = frames.iter().map(|v| &v[..]).collect();
    let start = Instant::now();
    for i in 0..count {
        if let Some(r) = rate {
            // Pacing, not waiting for readiness: frame i leaves at i / rate.
            let due = start + Duration::from_secs_f64(i as f64 / r);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        bench.send_batch(port, &refs)?;
    }
    Ok(Vec::new())
}

fn expect(
    bench: &mut Bench,
    port: &str,
    f: &FrameSrc,
    ignore: &[String],
    within: Duration,
) -> Verdict {
    let expected = bench.expected(&f.expr)?;
    let end = bench.end(port)?;
    let before = bench.testbench().received().len();
    let deadline = Instant::now() + within;
    let fields: Vec<&str> = ignore.iter().map(String::as_str).collect();
    let mut matched = Vec::new();
    for (i, bytes) in expected.into_iter().enumerate() {
        let m = if fields.is_empty() {
            Matcher::exact(bytes)
        } else {
            Matcher::masked(bytes, &fields)?
        };
        let left = if i == 0 {
            within
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        let got = bench.expect(port, m, left)?;
        matched.push(got.rx_ts_ns);
    }
    // Frames that arrived on the port meanwhile and were passed over.
    let log = bench.testbench().received();
    let over: Vec<String> = log[before.min(log.len())..]
        .iter()
        .filter(|r| r.end == end && !r.noise && !matched.contains(&r.rx_ts_ns))
        .map(|r| format!("passed over: {}", crate::frame::summary(&r.frame)))
        .collect();
    Ok(over)
}

fn expect_none(bench: &mut Bench, ports: &[super::model::PortRef], wait: Duration) -> Verdict {
    // The quiet period runs once; the ports after the first are checked at its end.
    let mut first = true;
    let mut failures = Vec::new();
    for p in ports {
        let t = if first { wait } else { Duration::ZERO };
        first = false;
        match bench.expect_none(&p.to_string(), t) {
            Ok(()) => {}
            Err(ScenarioError::Harness(HarnessError::Expectation(f))) => {
                failures.push(f.to_string())
            }
            Err(e) => return Err(e.into()),
        }
    }
    if failures.is_empty() {
        Ok(Vec::new())
    } else {
        Err(Fail::Failed(failures.join("\n")))
    }
}

fn ping(bench: &mut Bench, node: &str, to: IpAddr, count: u32) -> Verdict {
    let IpAddr::V4(dst) = to else {
        return Err(Fail::Error("ping: only IPv4 for now".into()));
    };
    let ns = bench.topology().netns(node)?;
    let replies = ns
        .run(|| {
            let mut p = crate::link::ping::Pinger::new(dst)?;
            let mut rtts = Vec::new();
            for seq in 0..count {
                if let Some(r) = p.ping(seq as u16 + 1, PING_TIMEOUT)? {
                    rtts.push(r.rtt);
                }
            }
            Ok(rtts)
        })
        .map_err(|e| Fail::Error(format!("ping from {node}: {e}")))?;
    let note = format!(
        "{}/{count} replies{}",
        replies.len(),
        replies
            .iter()
            .max()
            .map(|m| format!(", max rtt {:.1} µs", m.as_secs_f64() * 1e6))
            .unwrap_or_default()
    );
    if replies.len() as u32 == count {
        Ok(vec![note])
    } else {
        Err(Fail::Failed(format!("ping {to} from {node}: {note}")))
    }
}

fn exec(
    bench: &mut Bench,
    node: &str,
    run: &str,
    exit: i32,
    pat: Option<&regex::Regex>,
) -> Verdict {
    let out = bench.exec(node, run, EXEC_TIMEOUT)?;
    let shown = |o: &proc::Output| {
        let mut s = String::new();
        for (k, v) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            if !v.trim().is_empty() {
                s.push_str(&format!("\n{k}:\n{}", indent(v.trim_end())));
            }
        }
        s
    };
    if out.code != Some(exit) {
        return Err(Fail::Failed(format!(
            "'{run}' on {node} {} (expected exit {exit}){}",
            out.status_text(),
            shown(&out)
        )));
    }
    if let Some(re) = pat {
        // Without its final newline, so that `^2$` matches what `wc -l` printed.
        if !re.is_match(out.stdout.trim_end_matches('\n')) {
            return Err(Fail::Failed(format!(
                "'{run}' on {node}: output does not match /{}/{}",
                re.as_str(),
                shown(&out)
            )));
        }
    }
    Ok(Vec::new())
}

fn daemon(bench: &mut Bench, node: &str, run: &str, ready: Option<&Ready>) -> Verdict {
    let dir = bench.topology().spec.dir.clone();
    let ns_ready = |b: &Bench, r: &Ready| match r {
        Ready::Tcp(port) => b
            .topology()
            .netns(node)
            .map(|ns| proc::tcp_listening(ns, *port))
            .unwrap_or(false),
        Ready::File(p) => proc::ready_path(dir.as_deref(), p).exists(),
    };
    bench.start_daemon(node, run)?;
    let Some(r) = ready else {
        return Ok(Vec::new());
    };
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut nap = Duration::from_micros(100);
    loop {
        if ns_ready(bench, r) {
            return Ok(Vec::new());
        }
        let exited = !bench.last_daemon_running();
        if exited || Instant::now() >= deadline {
            let err = bench.stop_daemons().pop().unwrap_or_default();
            let why = if exited {
                "exited before it was ready"
            } else {
                "not ready within 10 s"
            };
            return Err(Fail::Failed(format!(
                "daemon '{run}' on {node} {why} ({r:?}){}",
                if err.trim().is_empty() {
                    String::new()
                } else {
                    format!("\nstderr:\n{}", indent(err.trim_end()))
                }
            )));
        }
        // Polling a readiness condition the daemon will make true, with a short back-off.
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(5));
    }
}

fn stream(bench: &mut Bench, s: &StreamStep) -> Verdict {
    use harness::ends;
    let (from, to) = (s.from.to_string(), s.to.to_string());
    let frame = match (&s.frame, s.size) {
        (Some(f), _) => {
            let mut v = bench.frames(&from, &f.expr)?;
            if v.len() != 1 {
                return Err(Fail::Error(
                    "stream: the frame must be one frame (no fragment())".into(),
                ));
            }
            v.remove(0)
        }
        (None, size) => {
            let mut f =
                harness::plan::default_frame(size.unwrap_or(128).max(harness::plan::MIN_FRAME_LEN));
            // Addressed from port to port, so a bridge in between forwards it.
            if let (Some(a), Some(b)) = (bench.topology().mac(&s.from), bench.topology().mac(&s.to))
            {
                f[0..6].copy_from_slice(&b.0);
                f[6..12].copy_from_slice(&a.0);
            }
            f
        }
    };
    let frame_len = frame.len();
    let template = harness::StampedTemplate::new(frame, std::process::id())?;
    let cfg = harness::StreamConfig {
        count: s.count,
        duration: s.duration,
        rate_pps: s.rate_pps,
        ..harness::StreamConfig::default()
    };
    let topo = bench.topology();
    let sink = ends::open_sink(
        topo.netns(&s.from.node)?,
        &s.from.iface,
        cfg.batch,
        frame_len,
    )?;
    let source = ends::open_source(
        topo.netns(&s.to.node)?,
        &s.to.iface,
        &ends::rx_config(false),
    )?;
    let report = harness::stream::start(cfg, template, sink, source, None)?.wait()?;
    let l = report.latency.as_ref();
    let note = format!(
        "sent {}, intact {}, lost {}, reordered {}, corrupted {}, duplicated {}, {:.0} pps, one-way latency p50 {} p99 {} µs",
        report.sent,
        report.intact,
        report.lost,
        report.reordered,
        report.corrupted,
        report.duplicated,
        report.pps,
        l.map_or("-".into(), |l| format!("{:.1}", l.p50_us)),
        l.map_or("-".into(), |l| format!("{:.1}", l.p99_us)),
    );
    let mut why = Vec::new();
    if s.max_loss.is_none() && s.max_reorder.is_none() && s.max_p99_us.is_none() {
        if !report.passed() {
            why.extend(report.failures.iter().cloned());
        }
    } else {
        let loss = s.max_loss.unwrap_or(super::model::Limit::Frames(0));
        if !loss.allows(report.lost, report.sent) {
            why.push(format!("lost {} (max_loss {loss})", report.lost));
        }
        let reorder = s.max_reorder.unwrap_or(super::model::Limit::Frames(0));
        if !reorder.allows(report.reordered, report.sent) {
            why.push(format!(
                "reordered {} (max_reorder {reorder})",
                report.reordered
            ));
        }
        if let (Some(max), Some(l)) = (s.max_p99_us, l) {
            if l.p99_us > max {
                why.push(format!("p99 {:.1} µs (max_p99_us {max})", l.p99_us));
            }
        }
        if report.corrupted > 0 || report.duplicated > 0 {
            why.push(format!(
                "corrupted {}, duplicated {}",
                report.corrupted, report.duplicated
            ));
        }
    }
    if why.is_empty() {
        Ok(vec![note])
    } else {
        Err(Fail::Failed(format!(
            "stream {from} -> {to}: {}\n{note}",
            why.join(", ")
        )))
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
