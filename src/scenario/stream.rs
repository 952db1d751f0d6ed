//! The `stream` step: a stream from one port to another, measured as `vethbench test` does
//! (the harness's sender, receiver and checker), with thresholds.
//!
//! Through a router, the frames arrive with other MACs and a lower TTL, and the harness's
//! checker, which compares each frame with the template it sent, would count every one as
//! corrupted. The step gives the checker the frame as sent instead: [`Restore`] wraps the
//! receive end and, when a frame's rewritten bytes are exactly what `expect` says (or are
//! named in `ignore`), puts the sent bytes back before the checker sees it; a frame rewritten
//! otherwise is left as it came, and counts as corrupted. Only header fields outside the
//! transport checksum and the stamp can be rewritten so ([`REWRITABLE`]): the checker still
//! verifies the rest, the payload and the checksum included.

use std::ops::Range;
use std::time::Duration;

use super::bench::Bench;
use super::model::StreamStep;
use super::steps::{Fail, Verdict};
use crate::frame::view;
use crate::harness::{self, FrameSource, HarnessError, RxMeta};

/// Fields a device may rewrite in a stream's frames (`expect`, `ignore`): none enters the
/// transport checksum or holds the stamp.
pub const REWRITABLE: &[&str] = &[
    "eth.dst",
    "eth.src",
    "vlan.prio",
    "vlan.dei",
    "ip.dsfield",
    "ip.id",
    "ip.flags",
    "ip.flags.rb",
    "ip.flags.df",
    "ip.ttl",
    "ip.chksum",
    "ipv6.tclass",
    "ipv6.flow",
    "ipv6.hlim",
];

/// What the receive side checks and restores: `check` byte ranges must equal the arriving
/// frame's, then they and the `ignore`d ranges get the sent frame's bytes back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrite {
    pub check: Vec<Range<usize>>,
    pub ignore: Vec<Range<usize>>,
}

/// How `arrives` differs from `sent`, when a stream can check it: same length, differences
/// only in [`REWRITABLE`] fields; `ignore` names fields of the frame among those.
pub fn rewritable(sent: &[u8], arrives: &[u8], ignore: &[String]) -> Result<Rewrite, String> {
    if sent.len() != arrives.len() {
        return Err(format!(
            "expect builds {} bytes and frame {}: a stream cannot check a device that \
             changes the length (a tunnel, a VLAN tag pushed or popped)",
            arrives.len(),
            sent.len()
        ));
    }
    let fields = view::dissect(sent);
    let allowed = |i: usize| {
        fields
            .iter()
            .any(|f| f.range.contains(&i) && REWRITABLE.contains(&f.name))
    };
    let mut rw = Rewrite::default();
    for i in 0..sent.len() {
        if sent[i] == arrives[i] {
            continue;
        }
        if !allowed(i) {
            let name = fields
                .iter()
                .rev()
                .find(|f| f.range.contains(&i))
                .map_or("the bytes", |f| f.name);
            return Err(format!(
                "expect differs from frame in {name} (byte {i}), which a stream cannot check \
                 (it enters the transport checksum or holds the stamp); it may differ in {}",
                REWRITABLE.join(", ")
            ));
        }
        push(&mut rw.check, i);
    }
    for name in ignore {
        if !REWRITABLE.contains(&name.as_str()) {
            return Err(format!(
                "ignore: a stream can ignore only {}, not {name}",
                REWRITABLE.join(", ")
            ));
        }
        let found: Vec<_> = fields.iter().filter(|f| f.name == name).collect();
        if found.is_empty() {
            return Err(format!("ignore: the frame has no {name}"));
        }
        rw.ignore.extend(found.iter().map(|f| f.range.clone()));
    }
    Ok(rw)
}

fn push(v: &mut Vec<Range<usize>>, i: usize) {
    match v.last_mut() {
        Some(r) if r.end == i => r.end = i + 1,
        _ => v.push(i..i + 1),
    }
}

/// A receive end that gives the checker the sent bytes back where a device rewrote them as
/// expected. Allocation-free per frame: one buffer, made once.
pub struct Restore<S> {
    inner: S,
    rw: Rewrite,
    /// The arriving frame's bytes (where `check` looks).
    arrives: Vec<u8>,
    /// The template's bytes (what goes back).
    sent: Vec<u8>,
    buf: Vec<u8>,
}

impl<S> std::fmt::Debug for Restore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore").field("rw", &self.rw).finish()
    }
}

impl<S: FrameSource> Restore<S> {
    /// `raw`: the frame as built, `arrives`: as it should arrive (None: as sent),
    /// `template`: the stamped template's bytes.
    pub fn new(
        inner: S,
        raw: &[u8],
        arrives: Option<&[u8]>,
        template: &[u8],
        ignore: &[String],
    ) -> Result<Self, String> {
        let arrives = arrives.unwrap_or(raw);
        let rw = rewritable(raw, arrives, ignore)?;
        Ok(Restore {
            inner,
            rw,
            arrives: arrives.to_vec(),
            sent: template.to_vec(),
            buf: vec![0; template.len()],
        })
    }

    fn is_identity(&self) -> bool {
        self.rw.check.is_empty() && self.rw.ignore.is_empty()
    }
}

impl<S: FrameSource> FrameSource for Restore<S> {
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], &RxMeta),
    ) -> Result<usize, HarnessError> {
        if self.is_identity() {
            return self.inner.poll(timeout, f);
        }
        let Restore {
            inner,
            rw,
            arrives,
            sent,
            buf,
        } = self;
        inner.poll(timeout, &mut |frame, meta| {
            let as_expected = frame.len() == sent.len()
                && rw
                    .check
                    .iter()
                    .all(|r| frame[r.clone()] == arrives[r.clone()]);
            if !as_expected {
                return f(frame, meta);
            }
            buf.copy_from_slice(frame);
            for r in rw.check.iter().chain(&rw.ignore) {
                buf[r.clone()].copy_from_slice(&sent[r.clone()]);
            }
            f(buf, meta)
        })
    }

    fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
        self.inner.kernel_drops()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

/// Run a stream step: sent from `from`, checked on `to` as `vethbench test` does.
pub(super) fn run(bench: &mut Bench, s: &StreamStep) -> Verdict {
    let report = start(bench, s)?.wait()?;
    judge(s, &report)
}

/// Start a stream step's run (its sender and receiver threads); wait for it (or stop it
/// early) and give its report to [`judge`].
pub fn start(bench: &mut Bench, s: &StreamStep) -> Result<harness::RunHandle, Fail> {
    use harness::ends;
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
                f[0..6].copy_from_slice(&b.0);
                f[6..12].copy_from_slice(&a.0);
            }
            f
        }
    };
    let frame_len = frame.len();
    let raw = frame.clone();
    let arriving = match &s.expect {
        Some(f) => Some(
            bench
                .expected(super::steps::resolved(bench, f)?.as_ref())?
                .into_iter()
                .next()
                .ok_or_else(|| Fail::Error("stream: expect builds no frame".into()))?,
        ),
        None => None,
    };
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
    let source = Restore::new(
        source,
        &raw,
        arriving.as_deref(),
        template.bytes(),
        &s.ignore,
    )
    .map_err(|m| Fail::Error(format!("stream {} -> {}: {m}", s.from, s.to)))?;
    Ok(harness::stream::start(cfg, template, sink, source, None)?)
}

/// A stream step's verdict on its run's report: the thresholds, or (without any) the
/// report's own verdict.
pub fn judge(s: &StreamStep, report: &harness::Report) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::expr;

    fn frame(e: &str) -> Vec<u8> {
        expr::parse(e).unwrap().build().unwrap().remove(0)
    }

    const SENT: &str = r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(sport=7, dport=9)/Raw(load=b"0123456789012345678901234567890123456789")"#;

    #[test]
    fn a_routers_rewrite_is_checkable() {
        let sent = frame(SENT);
        let arrives = frame(&SENT.replace(
            r#"src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2")"#,
            r#"src="02:00:00:00:00:03", dst="02:00:00:00:00:04")/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)"#,
        ));
        let rw = rewritable(&sent, &arrives, &[]).unwrap();
        // The bytes that differ: the MACs' last bytes, the TTL, the IP checksum's first byte.
        assert_eq!(rw.check, vec![5..6, 11..12, 22..23, 24..25]);
        let rw = rewritable(&sent, &sent, &["ip.ttl".into(), "ip.chksum".into()]).unwrap();
        assert_eq!(rw.ignore, vec![22..23, 24..26]);
    }

    #[test]
    fn what_a_stream_cannot_check_is_refused() {
        let sent = frame(SENT);
        let natted = frame(&SENT.replace(r#"dst="198.18.2.2""#, r#"dst="198.18.2.3""#));
        let e = rewritable(&sent, &natted, &[]).unwrap_err();
        assert!(e.contains("ip.dst"), "{e}");
        let longer = frame(&SENT.replace("0123", "01234"));
        assert!(rewritable(&sent, &longer, &[])
            .unwrap_err()
            .contains("length"));
        let e = rewritable(&sent, &sent, &["udp.chksum".into()]).unwrap_err();
        assert!(e.contains("not udp.chksum"), "{e}");
    }
}
