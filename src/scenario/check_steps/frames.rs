//! The frames of a test's steps, checked at load: `frame:`/`expect:` texts (a Scapy
//! expression or `hex:...`) parsed and built once with stand-in addresses (so an unknown layer
//! or a bad value shows with its line, not mid-run), `mac()`/`ip()` checked against the
//! topology's ports, field conditions, display filters and `ignore` names against the packet
//! view's.

use serde_saphyr::Spanned;

use super::{substitute, uses_saved, var_names, TestCtx, WantKeys};
use crate::frame::expr::{self, Value};
use crate::frame::MacAddr;
use crate::scenario::check::{at, err, Names, Problem};
use crate::scenario::fields::FieldCond;
use crate::scenario::model::*;
use crate::scenario::yaml::S;

/// A frame, field conditions, a display filter (at least one), and what to ignore of the frame.
pub(super) fn want(
    names: &Names,
    ctx: &TestCtx,
    line: usize,
    keys: &WantKeys,
) -> Result<Want, Problem> {
    let WantKeys {
        frame_key,
        frame: f,
        fields: conds,
        ignore: ign,
        filter: flt,
    } = *keys;
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
pub(in crate::scenario) fn filter(
    ctx: &TestCtx,
    s: &S<String>,
) -> Result<crate::scenario::filter::FilterCond, Problem> {
    uses_saved(ctx, &s.value, at(s), "filter")?;
    let field = |n: &str| ctx.saved_fields.get(n).copied();
    crate::scenario::filter::FilterCond::new(s.value.trim(), &field)
        .map_err(|m| (at(s), "filter".to_string(), m))
}

pub(in crate::scenario) fn frame(
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
pub(super) struct LoadEnv;

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

pub(super) fn ignore(list: &[S<String>]) -> Result<Vec<String>, Problem> {
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
