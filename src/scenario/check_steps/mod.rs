//! The steps of a test, from the file as written to the checked [`super::model::StepKind`]:
//! ports and nodes resolved against the topology's [`Names`], frames parsed and built once
//! with stand-in addresses, field conditions and `ignore` names checked against the packet
//! view's, durations, rates and thresholds read. Split from [`super::check`] (the topology).
//! This file reads the steps and the `${name}`s they save and use; `frames.rs` the frames,
//! field conditions, filters and `ignore` names; `values.rs` the scalars.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::str::FromStr;

use serde_saphyr::Spanned;

use super::check::{at, err, Names, Problem, DEFAULT_QUIET, DEFAULT_WITHIN};
use super::model::*;
use super::yaml::{self, S};
use crate::harness::NoiseFilter;

mod frames;
mod values;

pub use frames::parse_frame;
pub(super) use frames::{filter, frame};
use frames::{ignore, want, LoadEnv};
use values::{duration, limit, opt_duration, rate, ready};
pub use values::{parse_duration, parse_limit, parse_ready};

/// The keys of a step that checks a frame, as written (`expect`'s, `sr`'s, `prog_run`'s frame
/// out): what [`want`] reads.
#[derive(Clone, Copy)]
pub(in crate::scenario) struct WantKeys<'a> {
    /// The key the frame is written under (`frame` in expect, `expect` in sr), for errors.
    pub frame_key: &'static str,
    pub frame: Option<&'a S<String>>,
    pub fields: &'a yaml::Entries<S<String>, S<yaml::Scalar>>,
    pub ignore: &'a [S<String>],
    pub filter: Option<&'a S<String>>,
}

/// The [`WantKeys`] of step `$x` (a `*Yaml` with `fields`, `ignore` and `filter`), whose frame
/// is its field `$frame`: the key in errors is that field's name, as the file writes it.
macro_rules! want_keys {
    ($x:expr, $frame:ident) => {
        $crate::scenario::check_steps::WantKeys {
            frame_key: stringify!($frame),
            frame: $x.$frame.as_ref(),
            fields: &$x.fields,
            ignore: &$x.ignore,
            filter: $x.filter.as_ref(),
        }
    };
}
pub(in crate::scenario) use want_keys;

/// What the steps of one test share while they are checked: the names saved so far (a step
/// may use only those) and the test's `strict`.
pub(super) struct TestCtx {
    saved: BTreeSet<String>,
    /// The field each saved name was saved from (the type of `${name}` in a filter).
    saved_fields: std::collections::BTreeMap<String, &'static str>,
    strict: bool,
}

/// A test: its noise, strictness, steps (saved names in order) and teardown.
pub(super) fn test(names: &Names, t: &S<yaml::TestYaml>) -> Result<TestSpec, Problem> {
    let mut ctx = TestCtx {
        saved: BTreeSet::new(),
        saved_fields: Default::default(),
        strict: t.value.strict.unwrap_or(false),
    };
    let mut steps = Vec::new();
    for s in &t.value.steps {
        steps.push(Step {
            line: at(s),
            kind: step(names, &s.value, at(s), &mut ctx)?,
        });
    }
    Ok(TestSpec {
        name: t.value.name.clone(),
        line: at(t),
        noise: match &t.value.noise {
            None => NoiseFilter::all(),
            Some(n) => noise(n)?,
        },
        steps,
        teardown: super::check::commands(names, &t.value.teardown, "teardown")?,
    })
}

fn noise(n: &S<yaml::NoiseYaml>) -> Result<NoiseFilter, Problem> {
    match &n.value {
        yaml::NoiseYaml::All(true) => Ok(NoiseFilter::all()),
        yaml::NoiseYaml::All(false) => Ok(NoiseFilter::none()),
        yaml::NoiseYaml::Some(v) => {
            let v: Vec<&str> = v.iter().map(String::as_str).collect();
            NoiseFilter::categories(&v).map_err(|m| (at(n), "noise".to_string(), m))
        }
    }
}

/// The `${name}`s of `text`, in order.
pub fn var_names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let tail = &rest[i + 2..];
        match tail.find('}') {
            Some(j) => {
                out.push(&tail[..j]);
                rest = &tail[j + 1..];
            }
            None => break,
        }
    }
    out
}

/// `text` with every `${name}` replaced by its saved value (names checked at load).
pub fn substitute(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let tail = &rest[i + 2..];
        let Some(j) = tail.find('}') else { break };
        out.push_str(&rest[..i]);
        match vars.get(&tail[..j]) {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[i..i + 3 + j]),
        }
        rest = &tail[j + 1..];
    }
    out.push_str(rest);
    out
}

/// Every `${name}` of `text` was saved by an earlier step.
fn uses_saved(ctx: &TestCtx, text: &str, line: usize, key: &str) -> Result<bool, Problem> {
    let used = var_names(text);
    for n in &used {
        if !ctx.saved.contains(*n) {
            return err(
                line,
                key,
                format!(
                    "'${{{n}}}': no earlier step of this test saves '{n}' (save: {{{n}: FIELD}} on an expect or sr)"
                ),
            );
        }
    }
    Ok(!used.is_empty())
}

fn saves(
    ctx: &mut TestCtx,
    list: &yaml::Entries<S<String>, S<String>>,
) -> Result<Vec<Save>, Problem> {
    let mut out = Vec::new();
    for (k, v) in &list.0 {
        let name = k.value.trim();
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return err(
                at(k),
                "save",
                format!("'{name}' is not a name (letters, digits and _, as a shell variable)"),
            );
        }
        let Some(field) = crate::frame::view::canonical_name(v.value.trim()) else {
            return err(
                at(v),
                "save",
                format!(
                    "unknown field '{}' (tshark names, e.g. udp.srcport, tcp.seq)",
                    v.value.trim()
                ),
            );
        };
        ctx.saved.insert(name.to_string());
        ctx.saved_fields.insert(name.to_string(), field);
        out.push(Save {
            name: name.to_string(),
            field,
        });
    }
    Ok(out)
}

/// A step's [`Want`]: its frame, conditions, filter and ignore ([`want`]), its `strict` (default:
/// the test's), and the names it saves from the frame it matches (later steps may use them).
pub(in crate::scenario) fn want_with_saves(
    names: &Names,
    ctx: &mut TestCtx,
    line: usize,
    keys: &WantKeys,
    strict: Option<bool>,
    save: &yaml::Entries<S<String>, S<String>>,
) -> Result<Want, Problem> {
    let mut w = want(names, ctx, line, keys)?;
    w.strict = strict.unwrap_or(ctx.strict);
    w.save = saves(ctx, save)?;
    Ok(w)
}

pub(super) fn step(
    names: &Names,
    s: &yaml::StepYaml,
    line: usize,
    ctx: &mut TestCtx,
) -> Result<StepKind, Problem> {
    use yaml::StepYaml as Y;
    Ok(match s {
        Y::Send(x) => StepKind::Send {
            port: names.port(&x.port, "port", false)?,
            frame: frame(names, ctx, &x.frame, "frame")?,
            count: match x.count {
                Some(0) => return err(line, "count", "count must be at least 1"),
                Some(n) => n,
                None => 1,
            },
            rate_pps: x.rate.as_ref().map(rate).transpose()?,
        },
        Y::Expect(x) => {
            let w = want_with_saves(names, ctx, line, &want_keys!(x, frame), x.strict, &x.save)?;
            StepKind::Expect {
                port: names.port(&x.port, "port", false)?,
                want: w,
                within: opt_duration(&x.within, "within", DEFAULT_WITHIN)?,
            }
        }
        Y::ExpectNone(x) => {
            let mut ports = Vec::new();
            match (&x.port, &x.ports) {
                (Some(p), None) => ports.push(names.port(p, "port", false)?),
                (None, Some(ps)) if !ps.is_empty() => {
                    for p in ps {
                        ports.push(names.port(p, "ports", false)?);
                    }
                }
                _ => {
                    return err(
                        line,
                        "expect_none",
                        "give either port or ports (a non-empty list)",
                    )
                }
            }
            StepKind::ExpectNone {
                ports,
                wait: opt_duration(&x.wait, "for", DEFAULT_QUIET)?,
                filter: x.filter.as_ref().map(|f| filter(ctx, f)).transpose()?,
            }
        }
        Y::Sr(x) => {
            let sent = frame(names, ctx, &x.frame, "frame")?;
            let w = want_with_saves(names, ctx, line, &want_keys!(x, expect), x.strict, &x.save)?;
            StepKind::Sr {
                port: names.port(&x.port, "port", false)?,
                frame: sent,
                want: w,
                within: opt_duration(&x.within, "within", DEFAULT_WITHIN)?,
            }
        }
        Y::Ping(x) => StepKind::Ping {
            node: names.node(&x.node, "node")?,
            to: match IpAddr::from_str(x.to.value.trim()) {
                // ICMP or ICMPv6 echo, as vethbench ping.
                Ok(a) => a,
                Err(_) => {
                    return err(
                        at(&x.to),
                        "to",
                        format!("'{}' is not an IP address", x.to.value),
                    )
                }
            },
            count: match x.count {
                Some(0) => return err(line, "count", "count must be at least 1"),
                c => c.unwrap_or(1),
            },
        },
        Y::Exec(x) => StepKind::Exec {
            node: names.node(&x.node, "node")?,
            run: x.run.clone(),
            exit: x.exit.unwrap_or(0),
            expect_output: match &x.expect_output {
                Some(r) => Some(regex::Regex::new(&r.value).map_err(|e| {
                    (
                        at(r),
                        "expect_output".to_string(),
                        format!("bad regular expression: {e}"),
                    )
                })?),
                None => None,
            },
            timeout: opt_duration(&x.timeout, "timeout", super::steps::EXEC_TIMEOUT)?,
        },
        Y::MapUpdate(x) => {
            StepKind::MapUpdate(Box::new(super::bpf::map_step(names, x, line, false)?))
        }
        Y::MapExpect(x) => {
            StepKind::MapExpect(Box::new(super::bpf::map_step(names, x, line, true)?))
        }
        Y::ProgRun(x) => StepKind::ProgRun(Box::new(super::bpf::prog_run(names, ctx, x, line)?)),
        Y::Stream(x) => {
            if let Some(f) = &x.flows {
                if f.value != 1 {
                    return err(
                        at(f),
                        "flows",
                        "only one flow per stream is supported for now (flows: 1)",
                    );
                }
            }
            if x.frame.is_some() && x.size.is_some() {
                return err(line, "stream", "give frame or size, not both");
            }
            if x.count.is_some() && x.duration.is_some() {
                return err(line, "stream", "give count or duration, not both");
            }
            let duration = x
                .duration
                .as_ref()
                .map(|d| duration(d, "duration"))
                .transpose()?;
            let (from, to) = (
                names.port(&x.from, "from", false)?,
                names.port(&x.to, "to", false)?,
            );
            let sent = x
                .frame
                .as_ref()
                .map(|f| frame(names, ctx, f, "frame"))
                .transpose()?;
            let arrives = x
                .expect
                .as_ref()
                .map(|f| stream_expect(names, ctx, f))
                .transpose()?;
            let ign = ignore(&x.ignore)?;
            routed_stream(
                names,
                line,
                &from,
                &to,
                sent.as_ref(),
                arrives.as_ref(),
                &ign,
            )?;
            if let (Some(s), Some(a), Some(at_line)) = (&sent, &arrives, x.expect.as_ref()) {
                // Built with stand-ins, unless they use saved values; `any`: with 0 and 1.
                let build = |text: &str| {
                    let mut v = parse_frame(text).ok()?.build_with(&LoadEnv).ok()?;
                    (!v.is_empty()).then(|| v.remove(0))
                };
                if !s.vars && var_names(&a.text).is_empty() {
                    let (a0, a1) = match super::stream::any_variants(&a.text) {
                        Some((zero, one)) => (build(&zero), build(&one)),
                        None => (build(&a.text), None),
                    };
                    if let (Some(s), Some(a0)) = (build(&s.text), a0) {
                        super::stream::rewritable(&s, &a0, a1.as_deref(), &ign)
                            .map_err(|m| (at(at_line), "expect".to_string(), m))?;
                    }
                }
            }
            StepKind::Stream(Box::new(StreamStep {
                from,
                to,
                frame: sent,
                expect: arrives,
                ignore: ign,
                size: x.size,
                rate_pps: x.rate.as_ref().map(rate).transpose()?,
                count: if duration.is_none() {
                    Some(x.count.unwrap_or(1000))
                } else {
                    None
                },
                duration,
                max_loss: x
                    .max_loss
                    .as_ref()
                    .map(|l| limit(l, "max_loss"))
                    .transpose()?,
                min_loss: x
                    .min_loss
                    .as_ref()
                    .map(|l| limit(l, "min_loss"))
                    .transpose()?,
                max_reorder: x
                    .max_reorder
                    .as_ref()
                    .map(|l| limit(l, "max_reorder"))
                    .transpose()?,
                max_p99_us: x.max_p99_us,
                save: saves(ctx, &x.save)?,
            }))
        }
        Y::Daemon(x) => StepKind::Daemon {
            node: names.node(&x.node, "node")?,
            run: x.run.clone(),
            ready: x.ready.as_ref().map(ready).transpose()?,
            // Without `ready`, `timeout:` is how long to wait for a socket of its own.
            timeout: opt_duration(
                &x.timeout,
                "timeout",
                if x.ready.is_some() {
                    super::steps::READY_TIMEOUT
                } else {
                    super::steps::SETTLE_DEFAULT
                },
            )?,
        },
        Y::Compare(x) => compare(names, x)?,
    })
}

/// A stream's `expect`: a frame where `any` may stand for a port a NAT chooses (checked with
/// `0` in its place; built with it and with `1` when the step runs).
fn stream_expect(names: &Names, ctx: &TestCtx, f: &S<String>) -> Result<FrameSrc, Problem> {
    let Some((zero, _)) = super::stream::any_variants(&f.value) else {
        return frame(names, ctx, f, "expect");
    };
    let mut src = frame(
        names,
        ctx,
        &Spanned::new(zero, f.referenced, f.defined),
        "expect",
    )?;
    src.text = f.value.trim().to_string();
    src.vars = true;
    Ok(src)
}

/// `compare`: the port, the golden file (not opened until the step runs: `run
/// --update-golden` writes it), the ignored fields (unknown names refused here), the pairing.
fn compare(names: &Names, x: &yaml::CompareYaml) -> Result<StepKind, Problem> {
    let ignore: Vec<&str> = x.ignore.iter().map(|s| s.value.as_str()).collect();
    let mut options = match crate::diff::DiffOptions::new(&ignore) {
        Ok(o) => o,
        Err(e) => {
            let bad = x.ignore.first().map_or(at(&x.port), at);
            return err(bad, "ignore", e.to_string());
        }
    };
    if let Some(m) = &x.matching {
        options.matching = match m.value.trim() {
            "order" => crate::diff::Match::Order,
            "flow" => crate::diff::Match::Flow,
            other => {
                return err(
                    at(m),
                    "match",
                    format!("'{other}' is not a pairing: order or flow"),
                )
            }
        };
    }
    let golden = x.golden.value.trim();
    if golden.is_empty() {
        return err(
            at(&x.golden),
            "golden",
            "name the golden capture (a pcapng or pcap file)",
        );
    }
    Ok(StepKind::Compare(Box::new(CompareStep {
        port: names.port(&x.port, "port", false)?,
        golden: golden.into(),
        options,
        settle: opt_duration(&x.settle, "settle", DEFAULT_QUIET)?,
    })))
}

/// A stream between two L2 segments goes through a router, which rewrites the MACs and the TTL:
/// the receiver must be told what arrives (`expect`) or what to ignore, or every frame would
/// count as corrupted.
fn routed_stream(
    names: &Names,
    line: usize,
    from: &PortRef,
    to: &PortRef,
    sent: Option<&FrameSrc>,
    arrives: Option<&FrameSrc>,
    ign: &[String],
) -> Result<(), Problem> {
    if arrives.is_some() && sent.is_none() {
        return err(
            line,
            "expect",
            "expect (the frame as it arrives) needs frame (as it is sent)",
        );
    }
    if names.same_segment(from, to) {
        return Ok(());
    }
    if sent.is_none() {
        return err(
            line,
            "stream",
            format!(
                "{from} and {to} are not on one L2 segment (a router is between them): give a \
                 frame addressed through it, and expect (the frame as it arrives)"
            ),
        );
    }
    if arrives.is_none() && ign.is_empty() {
        return err(
            line,
            "stream",
            format!(
                "{from} and {to} are not on one L2 segment: a router between them rewrites the \
                 MACs and the TTL, so every frame would count as corrupted; give expect (the \
                 frame as it arrives, e.g. with ttl=63 and the router's MACs) or \
                 ignore: [eth.src, eth.dst, ip.ttl, ip.chksum]"
            ),
        );
    }
    Ok(())
}
