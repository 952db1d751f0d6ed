//! The engine: names checked, Scapy's `bind_layers` applied, defaults resolved outermost first,
//! bytes built innermost first (so each layer sees its payload), `Padding` appended last.

use super::layers::{self, Binding};
use super::{Env, ExprError, Fields, LayerClass, LayerExpr, Value};

/// A layer ready to build: its class and its fields.
#[derive(Debug, Clone)]
pub struct Layer {
    pub proto: &'static dyn LayerClass,
    pub fields: Fields,
    /// 1-based column of the layer's name in the source (1 when built without a source).
    pub col: usize,
}

impl Layer {
    pub fn name(&self) -> &'static str {
        self.proto.name()
    }
}

/// Names checked against the registry (with close names offered), `Call` values resolved by
/// `env`, bindings applied, then each layer's [`LayerClass::resolve`], outermost first.
pub(super) fn resolve(exprs: &[LayerExpr], env: &dyn Env) -> Result<Vec<Layer>, ExprError> {
    if exprs.is_empty() {
        return Err(ExprError::new(1, "the expression has no layer"));
    }
    let mut out: Vec<Layer> = Vec::with_capacity(exprs.len());
    for e in exprs {
        let proto = layers::lookup(&e.name).ok_or_else(|| unknown_layer(&e.name, e.col))?;
        let mut fields = Fields::default();
        for a in &e.fields {
            let Some(&name) = proto.fields().iter().find(|n| **n == a.name) else {
                let close = close_in(&a.name, proto.fields().iter().copied());
                return Err(ExprError::new(
                    a.col,
                    format!(
                        "{} has no field '{}'{}",
                        proto.name(),
                        a.name,
                        did_you_mean(&close)
                    ),
                ));
            };
            let value = resolve_calls(&a.value, env).map_err(|m| ExprError::new(a.col, m))?;
            fields.set(name, value, a.col);
        }
        out.push(Layer {
            proto,
            fields,
            col: e.col,
        });
    }
    apply_bindings(&mut out);
    for l in &mut out {
        l.proto.resolve(&mut l.fields, env)?;
    }
    Ok(out)
}

/// The error for a layer name no file registers, with the close names.
pub(super) fn unknown_layer(name: &str, col: usize) -> ExprError {
    let close = layers::close_names(name);
    ExprError::new(
        col,
        format!("unknown layer '{name}'{}", did_you_mean(&close)),
    )
}

/// Scapy's overloaded fields: a layer above sets fields of the layer just below it that the
/// user left unset (`IP()/TCP()` makes `IP.proto` 6).
fn apply_bindings(ls: &mut [Layer]) {
    for i in 0..ls.len().saturating_sub(1) {
        let upper = ls[i + 1].name();
        let lower = ls[i].proto;
        // Scapy: the first of the lower class's aliastypes the upper class has a row for; the
        // last row written for that pair.
        let row = std::iter::once(lower.name())
            .chain(lower.aliases().iter().copied())
            .find_map(|l| {
                layers::bindings()
                    .filter(|b: &&Binding| b.lower == l && b.upper == upper)
                    .last()
            });
        for (field, v) in row.map_or(&[][..], |b| b.fields) {
            if let Some(&name) = lower.fields().iter().find(|n| *n == field) {
                ls[i].fields.set_default(name, Value::Int(*v));
            }
        }
    }
}

fn resolve_calls(v: &Value, env: &dyn Env) -> Result<Value, String> {
    Ok(match v {
        Value::Call { name, args, kwargs } => {
            let args = args
                .iter()
                .map(|a| resolve_calls(a, env))
                .collect::<Result<Vec<_>, _>>()?;
            let kwargs = kwargs
                .iter()
                .map(|(k, a)| Ok((k.clone(), resolve_calls(a, env)?)))
                .collect::<Result<Vec<_>, String>>()?;
            // A function the surroundings do not know is left to the layer (an option object);
            // the layer says "unknown function" if it does not know it either.
            match (kwargs.is_empty(), env.call(name, &args)) {
                (true, Some(r)) => r?,
                _ => Value::Call {
                    name: name.clone(),
                    args,
                    kwargs,
                },
            }
        }
        Value::Tuple(vs) => Value::Tuple(
            vs.iter()
                .map(|a| resolve_calls(a, env))
                .collect::<Result<_, _>>()?,
        ),
        Value::List(vs) => Value::List(
            vs.iter()
                .map(|a| resolve_calls(a, env))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// The bytes of resolved layers: innermost first, each layer's own bytes then its payload;
/// `Padding` layers (not counted in any length, as in Scapy) appended at the end.
pub fn build_layers(ls: &[Layer], _env: &dyn Env) -> Result<Vec<u8>, ExprError> {
    let mut payload: Vec<u8> = Vec::new();
    let mut padding: Vec<u8> = Vec::new();
    for i in (0..ls.len()).rev() {
        let l = &ls[i];
        if l.name() == "Padding" {
            let mut p = Vec::new();
            l.proto.build(
                &l.fields,
                &super::Ctx {
                    below: &ls[..i],
                    above: &ls[i + 1..],
                    payload: &[],
                },
                &mut p,
            )?;
            p.extend_from_slice(&padding);
            padding = p;
            continue;
        }
        let mut out = Vec::with_capacity(64 + payload.len());
        l.proto.build(
            &l.fields,
            &super::Ctx {
                below: &ls[..i],
                above: &ls[i + 1..],
                payload: &payload,
            },
            &mut out,
        )?;
        out.extend_from_slice(&payload);
        payload = out;
    }
    payload.extend_from_slice(&padding);
    Ok(payload)
}

/// Up to three names close to `name` (edit distance, or a different case): those at the best
/// distance found.
pub(super) fn close_in<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .filter_map(|c| {
            let d = if c.eq_ignore_ascii_case(name) {
                0
            } else {
                strsim::damerau_levenshtein(&name.to_ascii_lowercase(), &c.to_ascii_lowercase())
            };
            (d <= 2.max(name.len() / 3)).then_some((d, c))
        })
        .collect();
    scored.sort();
    let best = scored.first().map_or(0, |(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| *d == best)
        .take(3)
        .map(|(_, c)| c)
        .collect()
}

fn did_you_mean(close: &[&str]) -> String {
    match close {
        [] => String::new(),
        [one] => format!("; did you mean '{one}'?"),
        more => format!(
            "; did you mean {}?",
            more.iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}
