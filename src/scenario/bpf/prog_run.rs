//! The `prog_run` step: the frame through BPF_PROG_RUN `repeat` times, its verdict and frame
//! out checked like `expect` (a frame with `ignore`, `fields`, `filter`), the kernel's time
//! per run noted; with `dual`, then the live half in `dual.rs`.
//!
//! What stays true: the frame is built as the port `dual` sends it from would build it
//! (`mac()`, `ip()` and its defaults), so both runs see the same bytes.

use super::dual::dual;
use super::fail_err;
use super::spec::{peer, BpfProgSpec, ProgRunStep};
use crate::bpf::Hook;
use crate::harness::Matcher;
use crate::scenario::bench::Bench;
use crate::scenario::model::{PortRef, TopologySpec, Want};
use crate::scenario::steps::{Fail, Verdict};

/// `prog_run`: BPF_PROG_RUN of the frame, its verdict and frame out checked; with `dual`, the
/// same frame on the live link.
pub(in crate::scenario) fn run_prog_run(bench: &mut Bench, s: &ProgRunStep) -> Verdict {
    let spec = bench.topology().spec.clone();
    // The frame as the port `dual` sends it from would build it, so both runs see one frame.
    let live_name = s.live.as_deref().unwrap_or(&s.program);
    let live = spec
        .bpf
        .iter()
        .find(|b| b.node == s.node && b.program == live_name)
        .cloned();
    let sender = live.as_ref().and_then(|b| sender_of(&spec, b));
    let expr = crate::scenario::steps::resolved(bench, &s.frame)?;
    let mut frames = match &sender {
        Some(p) => bench.frames(p, expr.as_ref())?,
        None => bench.expected(expr.as_ref())?,
    };
    if frames.len() != 1 {
        return Err(Fail::Error(format!(
            "frame builds {} frames: prog_run takes one",
            frames.len()
        )));
    }
    let frame = frames.remove(0);
    let (r, kind) = {
        let held = bench.topology().bpf();
        let l = held.with_program(&s.node, &s.program)?;
        let mut obj = l.obj.lock().expect("object lock");
        let kind = obj.load(&s.program).map_err(fail_err)?;
        (
            obj.run(&s.program, &frame, s.repeat).map_err(fail_err)?,
            kind,
        )
    };
    let mut notes = vec![format!(
        "{}: {} ({} run{}, {} ns per run, the kernel's figure); frame {}: {}",
        s.program,
        r.verdict,
        s.repeat,
        if s.repeat == 1 { "" } else { "s" },
        r.duration_ns,
        if r.frame == frame {
            "unchanged"
        } else {
            "changed"
        },
        crate::frame::summary(&r.frame)
    )];
    let mut failures = Vec::new();
    if let Some((name, code)) = &s.verdict {
        if *code != r.ret {
            failures.push(format!("expected {name}, got {}", r.verdict));
        }
    }
    if let Some(w) = &s.want {
        if let Some(m) = output_mismatch(bench, w, &r.frame)? {
            failures.push(format!(
                "the frame out differs:\n  expected: {}\n  got:      {}\n{}",
                describe(w),
                crate::frame::summary(&r.frame),
                m.lines()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    if !failures.is_empty() {
        return Err(Fail::Failed(failures.join("\n")));
    }
    if s.dual {
        let b = live.expect("checked: dual has the program attached");
        let sender = sender.expect("checked: dual is on a veth end");
        notes.push(dual(bench, &spec, s, &b, &sender, kind, &r, &frame)?);
    }
    Ok(notes)
}

/// The port whose frames reach the program: the peer for XDP (and tc ingress), the port
/// itself for tc egress.
fn sender_of(spec: &TopologySpec, b: &BpfProgSpec) -> Option<PortRef> {
    let port = PortRef::new(&b.node, &b.iface);
    match b.hook {
        Hook::TcEgress => spec.ports().contains(&port).then_some(port),
        _ => peer(spec, &port),
    }
}

/// What the step expects of the frame out, in words: the frame, where the fields hold and the
/// filter matches.
fn describe(w: &Want) -> String {
    let mut conds = Vec::new();
    if !w.fields.is_empty() {
        conds.push(crate::scenario::fields::describe(&w.fields));
    }
    if let Some(f) = &w.filter {
        conds.push(format!("filter '{f}' matches"));
    }
    match &w.frame {
        Some(f) if conds.is_empty() => f.text.clone(),
        Some(f) => format!("{} where {}", f.text, conds.join(" and ")),
        None => conds.join(" and "),
    }
}

/// The frame out against the step's expectation (frame, fields, filter): None when it holds,
/// else the differences, one a line.
fn output_mismatch(bench: &Bench, w: &Want, out: &[u8]) -> Result<Option<String>, Fail> {
    let mut diffs = Vec::new();
    if let Some(f) = &w.frame {
        let want = bench.expected(crate::scenario::steps::resolved(bench, f)?.as_ref())?;
        let Some(want) = want.into_iter().next() else {
            return Err(Fail::Error("expect builds no frame".into()));
        };
        let ignore: Vec<&str> = w.ignore.iter().map(String::as_str).collect();
        let m = if ignore.is_empty() {
            Matcher::exact(want)
        } else {
            Matcher::masked(want, &ignore)?
        };
        if let Some(mm) = m.mismatch(out) {
            diffs.push(mm.to_string());
        }
    }
    if !w.fields.is_empty() {
        let mm = crate::scenario::fields::mismatch(&w.fields, out);
        if !mm.diffs.is_empty() {
            diffs.push(mm.to_string());
        }
    }
    if let Some(f) = &w.filter {
        if !f.holds(out, &bench.vars).map_err(Fail::Error)? {
            // As `expect` says it of the closest frame.
            diffs.push(format!("filter: expected {f}, got no match"));
        }
    }
    Ok((!diffs.is_empty()).then(|| diffs.join("\n")))
}
