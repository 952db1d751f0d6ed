//! The `stream` step: a stream from one port to another, measured as `vethbench test` does
//! (the harness's sender, receiver and checker), with thresholds: [`start`] opens the ends and
//! starts the run, [`Started::finish`] waits for it and judges its report (`judge`), and
//! `save:` keeps fields of the frame as it arrived.
//!
//! Through a router or a NAT the frames arrive rewritten: `restore.rs` ([`Restore`]) gives the
//! checker the frame as sent where the rewrite is what `expect` declares, and latches the
//! ports a NAT chooses (`any`).
//!
//! Between the two ends of one plain veth link, the receive work runs on a threaded NAPI
//! instance for the stream, as on `vethbench test`'s private pair (`napi.rs`, [`napi::Threaded`]).

use std::sync::{Arc, OnceLock};

use super::bench::Bench;
use super::model::StreamStep;
use super::steps::{Fail, Verdict};
use crate::frame::view;
use crate::frame::wire::ethernet;
use crate::harness;

mod napi;
mod restore;

pub use restore::{
    any_variants, rewritable, Restore, Rewrite, Segment, ANY_FIELDS, NAT_REWRITABLE, REWRITABLE,
};

/// The frame `expect` says arrives, and when it has `any`, the same built with `1` for each.
type Arrival = (Option<Vec<u8>>, Option<Vec<u8>>);

fn arrival(bench: &Bench, f: &super::model::FrameSrc) -> Result<Arrival, Fail> {
    let text = super::check_steps::substitute(&f.text, &bench.vars);
    let build = |text: &str| -> Result<Vec<u8>, Fail> {
        let e = super::check_steps::parse_frame(text)
            .map_err(|m| Fail::Error(format!("stream: expect '{text}': {m}")))?;
        bench
            .expected(&e)?
            .into_iter()
            .next()
            .ok_or_else(|| Fail::Error("stream: expect builds no frame".into()))
    };
    match any_variants(&text) {
        Some((zero, one)) => Ok((Some(build(&zero)?), Some(build(&one)?))),
        None => Ok((Some(build(&text)?), None)),
    }
}

/// `, any: udp.srcport 51234` for each field `any` stands for: the value latched, or `-`.
fn latched_fields(zero: &[u8], one: &[u8], latched: Option<&[u8]>) -> String {
    let mut out = String::new();
    for f in view::dissect(zero) {
        if !ANY_FIELDS.contains(&f.name) || zero[f.range.clone()] == one[f.range.clone()] {
            continue;
        }
        let v = latched
            .and_then(|a| view::dissect(a).into_iter().find(|g| g.range == f.range))
            .map_or("-".to_string(), |g| g.value);
        out.push_str(&format!(", any: {} {v}", f.name));
    }
    out
}

/// Keep the fields `save:` names of the frame as it arrived: `latched` (the declared frame
/// with the ports `any` stood for), or `declared` when `expect` has no `any`.
fn save(
    bench: &mut Bench,
    s: &StreamStep,
    declared: &[u8],
    any: bool,
    latched: Option<&[u8]>,
) -> Verdict {
    let arrived = match (any, latched) {
        (false, _) => declared,
        (true, Some(l)) => l,
        (true, None) if s.save.is_empty() => return Ok(Vec::new()),
        (true, None) => {
            return Err(Fail::Failed(format!(
                "stream {} -> {}: save: no frame arrived as expect declares it, so what any \
                 stands for is unknown",
                s.from, s.to
            )))
        }
    };
    let fields = view::dissect(arrived);
    for sv in &s.save {
        let Some(f) = fields.iter().find(|f| f.name == sv.field) else {
            return Err(Fail::Error(format!(
                "save {}: the frame as it arrives has no {}",
                sv.name, sv.field
            )));
        };
        bench.vars.insert(sv.name.clone(), f.value.clone());
    }
    Ok(Vec::new())
}

/// Run a stream step: sent from `from`, checked on `to` as `vethbench test` does.
pub(super) fn run(bench: &mut Bench, s: &StreamStep) -> Verdict {
    start(bench, s)?.finish(bench, s)?.1
}

/// A stream step's run, started: [`Started::run`] can be watched and stopped early (Ctrl-C);
/// [`Started::finish`] waits for it and gives its report and the step's verdict.
pub struct Started {
    pub run: harness::RunHandle,
    threaded: Option<napi::Threaded>,
    declared: Vec<u8>,
    any1: Option<Vec<u8>>,
    latched: Arc<OnceLock<Vec<u8>>>,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started").finish_non_exhaustive()
    }
}

/// Start a stream step's sender and receiver threads.
pub fn start(bench: &mut Bench, s: &StreamStep) -> Result<Started, Fail> {
    let frame = match (&s.frame, s.size) {
        (Some(f), _) => {
            let mut v = bench.frames(&s.from, super::steps::resolved(bench, f)?.as_ref())?;
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
                let mut eth = ethernet::Header::new_unchecked(&mut f[..]);
                eth.set_dst(b);
                eth.set_src(a);
            }
            f
        }
    };
    let frame_len = frame.len();
    let raw = frame.clone();
    let (arriving, any1) = match &s.expect {
        Some(f) => arrival(bench, f)?,
        None => (None, None),
    };
    let template = harness::StampedTemplate::new(frame, std::process::id())?;
    let cfg = harness::StreamConfig {
        count: s.count,
        duration: s.duration,
        rate_pps: s.rate_pps,
        ..harness::StreamConfig::default()
    };
    let topo = bench.topology();
    let threaded = napi::Threaded::on(topo, &s.from, &s.to);
    match open_and_run(bench, s, cfg, template, &raw, arriving, any1, frame_len) {
        Ok(started) => Ok(Started {
            threaded,
            ..started
        }),
        Err(e) => {
            if let Some(t) = threaded {
                t.off(bench.topology());
            }
            Err(e)
        }
    }
}

/// [`start`]'s ends opened and its run started.
#[allow(clippy::too_many_arguments)]
fn open_and_run(
    bench: &Bench,
    s: &StreamStep,
    cfg: harness::StreamConfig,
    template: harness::StampedTemplate,
    raw: &[u8],
    arriving: Option<Vec<u8>>,
    any1: Option<Vec<u8>>,
    frame_len: usize,
) -> Result<Started, Fail> {
    use harness::ends;
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
    let source = Restore::new(
        source,
        raw,
        arriving.as_deref(),
        any1.as_deref(),
        &template,
        &s.ignore,
    )
    .map_err(|m| Fail::Error(format!("stream {} -> {}: {m}", s.from, s.to)))?;
    let latched = source.arrived();
    let declared = arriving.unwrap_or_else(|| raw.to_vec());
    let run = harness::stream::start(cfg, template, sink, source, None)?;
    Ok(Started {
        run,
        threaded: None,
        declared,
        any1,
        latched,
    })
}

impl Started {
    /// Wait for the run's end: its report, and the step's verdict on it (the thresholds, or
    /// without any the report's own verdict; `save:` done when it passed).
    pub fn finish(
        self,
        bench: &mut Bench,
        s: &StreamStep,
    ) -> Result<(harness::Report, Verdict), Fail> {
        let report = self.run.wait();
        if let Some(t) = self.threaded {
            t.off(bench.topology());
        }
        let report = report?;
        let verdict = judge(
            bench,
            s,
            &self.declared,
            self.any1.as_deref(),
            &self.latched,
            &report,
        );
        Ok((report, verdict))
    }
}

fn judge(
    bench: &mut Bench,
    s: &StreamStep,
    declared: &[u8],
    any1: Option<&[u8]>,
    latched: &OnceLock<Vec<u8>>,
    report: &harness::Report,
) -> Verdict {
    let chosen = match any1 {
        Some(one) => latched_fields(declared, one, latched.get().map(Vec::as_slice)),
        None => String::new(),
    };
    let saved = save(
        bench,
        s,
        declared,
        any1.is_some(),
        latched.get().map(Vec::as_slice),
    );
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
    ) + &chosen;
    let mut why = Vec::new();
    if let Some(min) = s.min_loss {
        // A device that drops: what gets through fails it, counted.
        if !min.reached(report.lost, report.sent) {
            why.push(format!(
                "{} of {} frames got through, lost {} (min_loss {min})",
                report.sent - report.lost.min(report.sent),
                report.sent,
                report.lost
            ));
        }
        if let Some(max) = s.max_loss {
            if !max.allows(report.lost, report.sent) {
                why.push(format!("lost {} (max_loss {max})", report.lost));
            }
        }
        if report.corrupted > 0 || report.duplicated > 0 {
            why.push(format!(
                "corrupted {}, duplicated {}",
                report.corrupted, report.duplicated
            ));
        }
    } else if s.max_loss.is_none() && s.max_reorder.is_none() && s.max_p99_us.is_none() {
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
        saved?;
        Ok(vec![note])
    } else {
        Err(Fail::Failed(format!(
            "stream {} -> {}: {}\n{note}",
            s.from,
            s.to,
            why.join(", ")
        )))
    }
}
