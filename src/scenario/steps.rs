//! One step on a [`Bench`]: its verdict, what went wrong (expected, arrived, the field-level
//! diff) and notes (frames passed over, a stream's figures).
//!
//! A failed expectation is a result ([`Outcome::Failed`]); a step that could not run (a frame
//! that does not build, a socket error) is [`Outcome::Error`]. Neither stops the scenario:
//! the test ends there and the next test runs.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::bench::Bench;
use super::fields::{self, FieldCond};
use super::model::{FrameSrc, PortRef, Ready, Step, StepKind, Want};
use super::proc;
use super::ScenarioError;
use crate::harness::testbench::ExpectFailure;
use crate::harness::{EndId, HarnessError, Matcher, Mismatch};

/// How long an `exec` command may run.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a daemon has to become ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// A daemon without `ready` is ready when a new socket listens (TCP) or is bound (UDP) in its
/// node; without one it is taken as ready after its `timeout:`, by default this long.
pub const SETTLE_DEFAULT: Duration = Duration::from_millis(500);
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

pub(super) type Verdict = Result<Vec<String>, Fail>;

pub(super) enum Fail {
    Failed(String),
    Error(String),
}

impl From<ScenarioError> for Fail {
    fn from(e: ScenarioError) -> Self {
        match e {
            ScenarioError::Harness(HarnessError::Expectation(f)) => Fail::Failed(f.to_string()),
            e => Fail::Error(crate::error::chain(&e)),
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
        } => send(bench, port, frame, *count, *rate_pps),
        StepKind::Expect { port, want, within } => expect(bench, port, want, *within),
        StepKind::ExpectNone { ports, wait } => expect_none(bench, ports, *wait),
        StepKind::Sr {
            port,
            frame,
            want,
            within,
        } => send(bench, port, frame, 1, None).and_then(|_| expect(bench, port, want, *within)),
        StepKind::Ping { node, to, count } => ping(bench, node, *to, *count),
        StepKind::Exec {
            node,
            run,
            exit,
            expect_output,
            timeout,
        } => exec(bench, node, run, *exit, expect_output.as_ref(), *timeout),
        StepKind::Stream(s) => super::stream::run(bench, s),
        StepKind::Daemon {
            node,
            run,
            ready,
            timeout,
        } => daemon(bench, node, run, ready.as_ref(), *timeout),
        StepKind::Compare(c) => compare(bench, c),
        StepKind::MapUpdate(m) => super::bpf::run_map_update(bench, m),
        StepKind::MapExpect(m) => super::bpf::run_map_expect(bench, m),
        StepKind::ProgRun(p) => super::bpf::run_prog_run(bench, p),
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

/// A frame's expression, with the saved values in place when it uses them.
pub(super) fn resolved<'a>(
    bench: &Bench,
    f: &'a FrameSrc,
) -> Result<std::borrow::Cow<'a, crate::frame::expr::Expr>, Fail> {
    if !f.vars {
        return Ok(std::borrow::Cow::Borrowed(&f.expr));
    }
    let text = super::check_steps::substitute(&f.text, &bench.vars);
    super::check_steps::parse_frame(&text)
        .map(std::borrow::Cow::Owned)
        .map_err(|m| Fail::Error(format!("frame '{text}': {m}")))
}

fn send(bench: &mut Bench, port: &PortRef, f: &FrameSrc, count: u64, rate: Option<f64>) -> Verdict {
    let frames = bench.frames(port, resolved(bench, f)?.as_ref())?;
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

fn expect(bench: &mut Bench, port: &PortRef, want: &Want, within: Duration) -> Verdict {
    let expected = match &want.frame {
        Some(f) => bench.expected(resolved(bench, f)?.as_ref())?,
        None => Vec::new(),
    };
    let conds = resolved_fields(bench, &want.fields)?;
    let end = bench.end(port)?;
    let before = bench.testbench().received().len();
    let deadline = Instant::now() + within;
    let ignore: Vec<&str> = want.ignore.iter().map(String::as_str).collect();
    let mut matched = Vec::new();
    // One expectation per expected frame (fragments), or one on the fields alone.
    let n = expected.len().max(1);
    let mut expected = expected.into_iter();
    for i in 0..n {
        let base = match expected.next() {
            Some(bytes) if ignore.is_empty() => Some(Matcher::exact(bytes)),
            Some(bytes) => Some(Matcher::masked(bytes, &ignore)?),
            None => None,
        };
        let left = if i == 0 {
            within
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        let (m, frame_m) = with_fields(base, &conds);
        match bench.expect(port, m, left) {
            Ok(got) => {
                if i == 0 {
                    save(bench, want, &got.frame)?;
                }
                matched.push(got.rx_ts_ns)
            }
            Err(ScenarioError::Harness(HarnessError::Expectation(mut f))) if !conds.is_empty() => {
                closest_by_fields(bench, end, before, &mut f, frame_m.as_ref(), &conds);
                return Err(Fail::Failed(f.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Frames passed over (arrived before the last match) are consumed, as PTF does, unless
    // strict: then they stay pending for a later expect_none.
    let last = matched.iter().copied().max().unwrap_or(0);
    if !want.strict {
        bench.testbench().consume_pending_until(end, last);
    }
    let log = bench.testbench().received();
    let over: Vec<String> = log[before.min(log.len())..]
        .iter()
        .filter(|r| r.end == end && !r.noise && !matched.contains(&r.rx_ts_ns))
        .map(|r| {
            let how = if !want.strict && r.rx_ts_ns <= last {
                "passed over (consumed)"
            } else {
                "passed over"
            };
            format!("{how}: {}", crate::frame::summary(&r.frame))
        })
        .collect();
    Ok(over)
}

/// The field conditions with the saved values in place.
fn resolved_fields(bench: &Bench, conds: &[FieldCond]) -> Result<Vec<FieldCond>, Fail> {
    conds
        .iter()
        .map(|c| {
            if !c.value.contains("${") {
                return Ok(c.clone());
            }
            let v = super::check_steps::substitute(&c.value, &bench.vars);
            FieldCond::new(c.name, &v).map_err(|m| Fail::Error(format!("fields: {m}")))
        })
        .collect()
}

/// Keep the values `want.save` names from the matched frame.
fn save(bench: &mut Bench, want: &Want, frame: &[u8]) -> Result<(), Fail> {
    if want.save.is_empty() {
        return Ok(());
    }
    let fields = crate::frame::view::dissect(frame);
    for s in &want.save {
        match fields.iter().find(|f| f.name == s.field) {
            Some(f) => {
                bench.vars.insert(s.name.clone(), f.value.clone());
            }
            None => {
                return Err(Fail::Failed(format!(
                    "save {}: the matched frame has no {} ({})",
                    s.name,
                    s.field,
                    crate::frame::summary(frame)
                )))
            }
        }
    }
    Ok(())
}

/// The matcher of a frame and field conditions, and (for messages) the frame's own matcher.
fn with_fields(base: Option<Matcher>, conds: &[FieldCond]) -> (Matcher, Option<Arc<Matcher>>) {
    if conds.is_empty() {
        return (base.expect("a frame or fields (checked at load)"), None);
    }
    let what = match &base {
        Some(b) => format!("{} where {}", b.describe(), fields::describe(conds)),
        None => fields::describe(conds),
    };
    let base = base.map(Arc::new);
    let (b, c) = (base.clone(), conds.to_vec());
    let m = Matcher::predicate(what, move |f| {
        b.as_ref().is_none_or(|b| b.matches(f)) && fields::all_hold(&c, f)
    });
    (m, base)
}

/// A predicate's failure says nothing of fields: name the expected frame and the closest of
/// the frames that arrived during the step, with what differs (frame fields, then conditions).
fn closest_by_fields(
    bench: &mut Bench,
    end: EndId,
    before: usize,
    f: &mut ExpectFailure,
    frame_m: Option<&Arc<Matcher>>,
    conds: &[FieldCond],
) {
    f.expected = frame_m.and_then(|m| m.expected().map(crate::frame::show));
    let log = bench.testbench().received();
    let best = log[before.min(log.len())..]
        .iter()
        .filter(|r| r.end == end && !r.noise)
        .map(|r| {
            let mut mm = frame_m
                .and_then(|m| m.mismatch(&r.frame))
                .unwrap_or(Mismatch { diffs: Vec::new() });
            mm.diffs.extend(fields::mismatch(conds, &r.frame).diffs);
            (crate::frame::summary(&r.frame), mm)
        })
        .min_by_key(|(_, mm)| mm.diffs.len());
    if let Some((summary, mm)) = best {
        if let Some(i) = f.arrived.iter().position(|a| *a == summary) {
            f.closest = Some((i, mm));
        }
    }
}

/// `compare`: what the port received during the test against the golden capture (A: golden,
/// B: received, so a difference reads `ip.ttl 64 → 63` from golden to now), or, with
/// `run --update-golden`, those frames written as the new golden file.
fn compare(bench: &mut Bench, c: &super::model::CompareStep) -> Verdict {
    let got = bench.received_in_test(&c.port, c.settle)?;
    let path = match &bench.topology().spec.dir {
        Some(d) if c.golden.is_relative() => d.join(&c.golden),
        _ => c.golden.clone(),
    };
    let shown = c.golden.display();
    if bench.update_golden {
        let p = path.to_string_lossy();
        let iface = crate::pcapng::IfaceDesc {
            name: c.port.to_string(),
            snaplen: crate::harness::plan::MAX_FRAME_LEN as u32,
            filter: None,
        };
        let write = || -> Result<(), crate::pcapng::PcapngError> {
            let mut w = crate::pcapng::CaptureWriter::create(&p, Default::default(), &[iface])?;
            for r in &got {
                w.write_frame(
                    0,
                    r.rx_ts_ns,
                    &r.frame,
                    r.frame.len() as u32,
                    crate::pcapng::EpbFlags::default(),
                    false,
                )?;
            }
            w.finish(&[])?;
            Ok(())
        };
        write().map_err(|e| Fail::Error(crate::error::chain(&e)))?;
        return Ok(vec![format!(
            "golden {shown} written: {} frame(s) received on {}",
            got.len(),
            c.port
        )]);
    }
    let golden = crate::pcapng::CaptureReader::open(&path.to_string_lossy())
        .map_err(crate::diff::DiffError::from)
        .and_then(|r| crate::diff::Capture::read(r, &path.to_string_lossy()))
        .map_err(|e| {
            Fail::Error(format!(
                "golden {shown}: {} (record it with vethbench run --update-golden)",
                crate::error::chain(&e)
            ))
        })?;
    let frames: Vec<&[u8]> = got.iter().map(|r| &r.frame[..]).collect();
    let received = crate::diff::Capture::from_frames(&frames);
    let report = crate::diff::diff(&golden, &received, &c.options);
    if report.identical() {
        return Ok(vec![format!(
            "{} frame(s) on {} equal golden {shown}",
            report.b_frames, c.port
        )]);
    }
    let mut text = format!(
        "what {} received differs from golden {shown} (golden → received):\n",
        c.port
    );
    crate::diff::write_text(&mut text, &report);
    Err(Fail::Failed(text.trim_end().to_string()))
}

fn expect_none(bench: &mut Bench, ports: &[PortRef], wait: Duration) -> Verdict {
    // The quiet period runs once; the ports after the first are checked at its end.
    let mut first = true;
    let mut failures = Vec::new();
    for p in ports {
        let t = if first { wait } else { Duration::ZERO };
        first = false;
        match bench.expect_none(p, t) {
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
    let dst = to;
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
        .map_err(|e| Fail::Error(format!("ping from {node}: {}", crate::error::chain(&e))))?;
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
    timeout: Duration,
) -> Verdict {
    let out = bench.exec(node, run, timeout)?;
    if out.interrupted {
        return Err(Fail::Error(format!(
            "'{run}' on {node} {}",
            out.status_text()
        )));
    }
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
        let limit = if out.timed_out {
            format!(" after {timeout:?} (timeout:)")
        } else {
            String::new()
        };
        return Err(Fail::Failed(format!(
            "'{run}' on {node} {}{limit} (expected exit {exit}){}",
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

fn daemon(
    bench: &mut Bench,
    node: &str,
    run: &str,
    ready: Option<&Ready>,
    timeout: Duration,
) -> Verdict {
    let dir = bench.topology().spec.dir.clone();
    let ns = bench.topology().netns(node)?;
    // Without `ready`: a socket that was not there before it started.
    let before = match ready {
        None => proc::listening(ns),
        Some(_) => Default::default(),
    };
    let ns_ready = |b: &Bench, r: Option<&Ready>| {
        let Ok(ns) = b.topology().netns(node) else {
            return false;
        };
        match r {
            Some(Ready::Tcp(port)) => proc::tcp_listening(ns, *port),
            Some(Ready::File(p)) => proc::ready_path(dir.as_deref(), p).exists(),
            None => !proc::listening(ns).is_subset(&before),
        }
    };
    bench.start_daemon(node, run)?;
    let start = Instant::now();
    let wait = timeout;
    let deadline = start.checked_add(wait).unwrap_or(start);
    let mut nap = Duration::from_micros(100);
    loop {
        if ns_ready(bench, ready) {
            return Ok(Vec::new());
        }
        let exited = !bench.last_daemon_running();
        if exited && ready.is_none() {
            return Ok(vec![format!(
                "'{run}' exited at once (a daemon is meant to keep running)"
            )]);
        }
        if ready.is_none() && Instant::now() >= deadline {
            return Ok(vec![format!(
                "no new socket within {wait:?}: taken as ready (give ready: tcp:PORT or file:PATH)"
            )]);
        }
        if exited || Instant::now() >= deadline || bench.stopped() {
            let err = bench.stop_daemons().pop().unwrap_or_default();
            let why = if exited {
                "exited before it was ready".to_string()
            } else if bench.stopped() {
                "was stopped (the run was interrupted)".to_string()
            } else {
                format!("not ready within {timeout:?}")
            };
            let what = ready.map_or("a socket".to_string(), |r| format!("{r:?}"));
            return Err(Fail::Failed(format!(
                "daemon '{run}' on {node} {why} ({what}){}",
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

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
