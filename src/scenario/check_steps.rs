//! The steps of a test, from the file as written to the checked [`super::model::StepKind`]:
//! ports and nodes resolved against the topology's [`Names`], frames parsed and built once
//! with stand-in addresses, field conditions and `ignore` names checked against the packet
//! view's, durations, rates and thresholds read. Split from [`super::check`] (the topology).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::check::{at, err, Names, Problem, DEFAULT_QUIET, DEFAULT_WITHIN};
use super::fields::FieldCond;
use super::model::*;
use super::yaml::{self, Scalar, S};
use crate::frame::expr::{self, Value};
use crate::frame::MacAddr;
use crate::harness::NoiseFilter;

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
            let mut w = want(
                names,
                ctx,
                line,
                "frame",
                x.frame.as_ref(),
                &x.fields,
                &x.ignore,
                x.filter.as_ref(),
            )?;
            w.strict = x.strict.unwrap_or(ctx.strict);
            w.save = saves(ctx, &x.save)?;
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
            let mut w = want(
                names,
                ctx,
                line,
                "expect",
                x.expect.as_ref(),
                &x.fields,
                &x.ignore,
                x.filter.as_ref(),
            )?;
            w.strict = x.strict.unwrap_or(ctx.strict);
            w.save = saves(ctx, &x.save)?;
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

/// A frame, field conditions, a display filter (at least one), and what to ignore of the frame.
#[allow(clippy::too_many_arguments)] // the keys of expect and sr, as written
pub(super) fn want(
    names: &Names,
    ctx: &TestCtx,
    line: usize,
    frame_key: &str,
    f: Option<&S<String>>,
    conds: &yaml::Entries<S<String>, S<Scalar>>,
    ign: &[S<String>],
    flt: Option<&S<String>>,
) -> Result<Want, Problem> {
    let frame = f.map(|f| frame(names, ctx, f, frame_key)).transpose()?;
    let flt = flt.map(|f| filter(ctx, f)).transpose()?;
    let mut fields = Vec::new();
    for (k, v) in &conds.0 {
        uses_saved(ctx, &v.value.0, at(k), "fields")?;
        let c =
            FieldCond::new(&k.value, &v.value.0).map_err(|m| (at(k), "fields".to_string(), m))?;
        if fields.iter().any(|d: &FieldCond| d.name == c.name) {
            return err(at(k), "fields", format!("field '{}' given twice", c.name));
        }
        fields.push(c);
    }
    if frame.is_none() && fields.is_empty() && flt.is_none() {
        return err(
            line,
            frame_key,
            format!(
                "give {frame_key} (a frame), fields (conditions such as {{ip.ttl: 63}}), \
                 filter (a display filter) or several"
            ),
        );
    }
    if frame.is_none() && !ign.is_empty() {
        return err(
            at(&ign[0]),
            "ignore",
            format!(
                "ignore applies to a frame: give {frame_key}, or leave the field out of fields"
            ),
        );
    }
    Ok(Want {
        frame,
        ignore: ignore(ign)?,
        fields,
        save: Vec::new(),
        filter: flt,
        strict: ctx.strict,
    })
}

/// A display filter (`filter:`), checked now: saved names used in it must be saved earlier.
pub(super) fn filter(ctx: &TestCtx, s: &S<String>) -> Result<super::filter::FilterCond, Problem> {
    uses_saved(ctx, &s.value, at(s), "filter")?;
    let field = |n: &str| ctx.saved_fields.get(n).copied();
    super::filter::FilterCond::new(s.value.trim(), &field)
        .map_err(|m| (at(s), "filter".to_string(), m))
}

pub(super) fn frame(
    names: &Names,
    ctx: &TestCtx,
    s: &S<String>,
    key: &str,
) -> Result<FrameSrc, Problem> {
    let text = s.value.trim().to_string();
    let vars = uses_saved(ctx, &text, at(s), key)?;
    // With saved values, the syntax is checked now (with 0 in their place), the frame built
    // when the step runs.
    let parsed = if vars {
        let zeros: Vars = var_names(&text)
            .into_iter()
            .map(|n| (n.to_string(), "0".to_string()))
            .collect();
        substitute(&text, &zeros)
    } else {
        text.clone()
    };
    let e = parse_frame(&parsed).map_err(|m| (at(s), key.to_string(), m))?;
    // mac("NODE:IFACE") and ip("NODE:IFACE") must name an interface of the topology.
    let mut bad = None;
    for l in &e.layers {
        for f in &l.fields {
            walk_calls(&f.value, &mut |name, args| {
                if bad.is_some() || !(name == "mac" || name == "ip") {
                    return;
                }
                bad = match args {
                    [Value::Str(p)] => {
                        let sp = Spanned::new(p.clone(), s.referenced, s.defined);
                        names.port(&sp, key, true).err()
                    }
                    _ => Some((
                        at(s),
                        key.to_string(),
                        format!("{name}() takes one \"NODE:IFACE\" string"),
                    )),
                };
            });
        }
    }
    if let Some(b) = bad {
        return Err(b);
    }
    // Unknown layers, fields and bad values show now, with the line, not mid-run.
    if !vars {
        if let Err(x) = e.build_with(&LoadEnv) {
            return err(at(s), key, x.to_string());
        }
    }
    Ok(FrameSrc {
        text,
        expr: e,
        vars,
    })
}

/// A frame's text (`hex:...` or a Scapy expression) parsed.
pub fn parse_frame(text: &str) -> Result<expr::Expr, String> {
    match text.strip_prefix("hex:") {
        // Raw bytes, whatever they are: a frame the expression language cannot say.
        Some(h) => raw_expr(h),
        None => expr::parse(text).map_err(|e| e.to_string()),
    }
}

/// Stand-ins for what the topology gives once it is up: enough to build every frame at load.
struct LoadEnv;

impl expr::Env for LoadEnv {
    fn call(&self, name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "mac" => Some(Ok(Value::Str("02:00:00:00:00:00".into()))),
            "ip" => Some(Ok(Value::Str("198.18.0.1".into()))),
            _ => None,
        }
    }
    fn default_src_mac(&self) -> Option<MacAddr> {
        Some(MacAddr([2, 0, 0, 0, 0, 0]))
    }
}

fn walk_calls(v: &Value, f: &mut dyn FnMut(&str, &[Value])) {
    match v {
        Value::Call { name, args, kwargs } => {
            f(name, args);
            for a in args.iter().chain(kwargs.iter().map(|(_, v)| v)) {
                walk_calls(a, f);
            }
        }
        Value::List(l) | Value::Tuple(l) => l.iter().for_each(|x| walk_calls(x, f)),
        _ => {}
    }
}

/// `hex:0200...` as `Raw(load=...)`.
fn raw_expr(h: &str) -> Result<expr::Expr, String> {
    let h: String = h.chars().filter(|c| !c.is_whitespace()).collect();
    if !h.len().is_multiple_of(2) || h.is_empty() {
        return Err("hex: needs an even number of hex digits".into());
    }
    let bytes = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| "hex: holds a non-hex digit".to_string())?;
    Ok(expr::Expr {
        layers: vec![expr::LayerExpr {
            name: "Raw".into(),
            col: 1,
            fields: vec![expr::FieldArg {
                name: "load".into(),
                col: 1,
                value: Value::Bytes(bytes),
            }],
        }],
        fragsize: None,
    })
}

fn ignore(list: &[S<String>]) -> Result<Vec<String>, Problem> {
    list.iter()
        .map(
            |s| match crate::frame::view::canonical_name(s.value.trim()) {
                Some(n) => Ok(n.to_string()),
                None => err(
                    at(s),
                    "ignore",
                    format!(
                        "unknown field '{}' (tshark names, e.g. ip.checksum, ip.ttl, eth.src)",
                        s.value
                    ),
                ),
            },
        )
        .collect()
}

fn opt_duration(s: &Option<S<Scalar>>, key: &str, dflt: Duration) -> Result<Duration, Problem> {
    s.as_ref().map_or(Ok(dflt), |s| duration(s, key))
}

fn duration(s: &S<Scalar>, key: &str) -> Result<Duration, Problem> {
    parse_duration(&s.value.0).map_err(|m| (at(s), key.to_string(), m))
}

/// `100ms`, `1s`, `50us`, `2m`, `1.5s`.
pub fn parse_duration(t: &str) -> Result<Duration, String> {
    let t = t.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("'{t}' is not a duration (e.g. 100ms, 2s)"))?;
    let scale = match unit.trim() {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "" => return Err(format!("'{t}' needs a unit (ns, us, ms, s, m)")),
        u => return Err(format!("'{t}': unknown unit '{u}' (ns, us, ms, s, m)")),
    };
    let s = n * scale;
    if !(s.is_finite() && s < 86_400.0) {
        return Err(format!("'{t}' is out of range"));
    }
    Ok(Duration::from_secs_f64(s))
}

fn rate(s: &S<Scalar>) -> Result<f64, Problem> {
    let t = s.value.0.trim();
    let (n, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M')) => (&t[..i], 1e6),
        _ => (t, 1.0),
    };
    match n.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r * mult),
        _ => err(
            at(s),
            "rate",
            format!("'{t}' is not a rate in frames per second (e.g. 1000, 10k)"),
        ),
    }
}

fn limit(s: &S<Scalar>, key: &str) -> Result<Limit, Problem> {
    parse_limit(&s.value.0).or_else(|m| err(at(s), key, m))
}

/// A stream threshold: a count of frames (`5`) or a percentage of those sent (`0.1%`).
pub fn parse_limit(t: &str) -> Result<Limit, String> {
    let t = t.trim();
    if let Some(p) = t.strip_suffix('%') {
        if let Ok(p) = p.trim().parse::<f64>() {
            if (0.0..=100.0).contains(&p) {
                return Ok(Limit::Percent(p));
            }
        }
    } else if let Ok(n) = t.parse::<u64>() {
        return Ok(Limit::Frames(n));
    }
    Err(format!(
        "'{t}' is neither a count of frames nor a percentage (e.g. 0, 5, 0.1%)"
    ))
}

fn ready(s: &S<String>) -> Result<Ready, Problem> {
    parse_ready(&s.value).or_else(|m| err(at(s), "ready", m))
}

/// How a daemon says it is ready: `tcp:PORT` or `file:PATH`.
pub fn parse_ready(t: &str) -> Result<Ready, String> {
    let t = t.trim();
    if let Some(p) = t.strip_prefix("tcp:") {
        if let Ok(p) = p.parse::<u16>() {
            if p > 0 {
                return Ok(Ready::Tcp(p));
            }
        }
    } else if let Some(p) = t.strip_prefix("file:") {
        if !p.is_empty() {
            return Ok(Ready::File(p.into()));
        }
    }
    Err(format!("'{t}': expected tcp:PORT or file:PATH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("50us").unwrap(), Duration::from_micros(50));
        assert!(parse_duration("100").unwrap_err().contains("unit"));
        assert!(parse_duration("1h").is_err());
    }
}
