//! The map steps (`map_update`, `map_expect`) and the maps' contents in a failed test's
//! report, keys and values encoded and decoded by [`super::value`] with the object's BTF.
//!
//! What stays true: a per-CPU map is written on every CPU (or CPU by CPU from a list) and
//! compared as the sum over its CPUs (or CPU by CPU); the report shows at most
//! [`REPORT_ENTRIES`] non-zero entries per map and counts the zero ones.

use super::fail_err;
use super::held::Held;
use super::spec::MapStep;
use super::value::{self, MapValue, TypeRef};
use crate::bpf::{self, btf::Btf};
use crate::scenario::bench::Bench;
use crate::scenario::steps::{Fail, Verdict};

/// Entries of each map a failed test's report shows at most.
pub const REPORT_ENTRIES: usize = 16;

impl Held {
    /// Every map's entries (at most [`REPORT_ENTRIES`] each, zero values of arrays left out),
    /// one line per map: what a failed test's report shows.
    pub fn dump(&self) -> Vec<String> {
        let mut out = Vec::new();
        for l in &self.loaded {
            let obj = l.obj.lock().expect("object lock");
            let file = l
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            for m in obj.maps().iter().filter(|m| !m.starts_with('.')) {
                let Ok(shape) = obj.map_shape(m) else {
                    continue;
                };
                let (kt, vt) = types(l.btf.as_ref(), m);
                let keys = obj.map_keys(m, 4096).unwrap_or_default();
                let mut shown = Vec::new();
                let (mut zeros, mut nonzero) = (0, 0);
                for k in &keys {
                    let Ok(Some(v)) = obj.map_get(m, k) else {
                        continue;
                    };
                    if v.iter().all(|b| *b == 0) {
                        zeros += 1;
                        continue;
                    }
                    nonzero += 1;
                    if shown.len() < REPORT_ENTRIES {
                        shown.push(format!(
                            "{} = {}",
                            value::decode(k, kt),
                            show_value(&shape, &v, vt)
                        ));
                    }
                }
                let mut line = format!(
                    "map {m} ({} {file}): {}",
                    l.node,
                    if shown.is_empty() {
                        "no non-zero entries".to_string()
                    } else {
                        shown.join(", ")
                    }
                );
                if nonzero > shown.len() {
                    line.push_str(&format!(", ... ({} more)", nonzero - shown.len()));
                }
                if zeros > 0 {
                    line.push_str(&format!(" ({zeros} zero entries not shown)"));
                }
                out.push(line);
            }
        }
        out
    }
}

/// A map's key and value types from the object's BTF (none without it).
fn types<'a>(btf: Option<&'a Btf>, map: &str) -> (TypeRef<'a>, TypeRef<'a>) {
    match btf.and_then(|b| b.map_types(map).map(|t| (b, t))) {
        Some((b, (k, v))) => (
            TypeRef {
                btf: Some(b),
                id: k,
            },
            TypeRef {
                btf: Some(b),
                id: v,
            },
        ),
        None => (TypeRef::NONE, TypeRef::NONE),
    }
}

/// A value as the report shows it: a per-CPU one as its sum and each CPU's.
fn show_value(shape: &bpf::MapShape, v: &[u8], ty: TypeRef<'_>) -> String {
    match shape.cpus {
        None => value::decode(v, ty),
        Some(_) => {
            let sum = value::sum_cpus(v, shape.slot(), shape.value_size, ty);
            let each: Vec<String> = v
                .chunks(shape.slot())
                .map(|c| value::decode(&c[..shape.value_size], ty))
                .collect();
            format!(
                "{} (per CPU: [{}])",
                value::decode(&sum, ty),
                each.join(", ")
            )
        }
    }
}

/// The map a step names, locked, with what both map steps need of it.
struct MapAt<'a> {
    obj: std::sync::MutexGuard<'a, crate::bpf::Object>,
    shape: bpf::MapShape,
    /// The key's and the value's BTF types (none without BTF).
    kt: TypeRef<'a>,
    vt: TypeRef<'a>,
    /// The step's key, encoded.
    key: Vec<u8>,
}

impl<'a> MapAt<'a> {
    fn of(held: &'a Held, s: &MapStep) -> Result<MapAt<'a>, Fail> {
        let l = held.with_map(&s.node, &s.map)?;
        let obj = l.obj.lock().expect("object lock");
        let shape = obj.map_shape(&s.map).map_err(fail_err)?;
        let (kt, vt) = types(l.btf.as_ref(), &s.map);
        let key = value::encode(&s.key, shape.key_size, kt)
            .map_err(|e| Fail::Error(format!("key: {e}")))?;
        Ok(MapAt {
            obj,
            shape,
            kt,
            vt,
            key,
        })
    }
}

fn value_err(e: String) -> Fail {
    Fail::Error(format!("value: {e}"))
}

/// `map_update`: a per-CPU map gets the value on every CPU (or a list, one per CPU).
pub(in crate::scenario) fn run_map_update(bench: &mut Bench, s: &MapStep) -> Verdict {
    let m = MapAt::of(bench.topology().bpf(), s)?;
    let v = s.value.as_ref().expect("checked: map_update has a value");
    let bytes = per_cpu_value(&m.shape, v, m.vt).map_err(value_err)?;
    m.obj.map_set(&s.map, &m.key, &bytes).map_err(fail_err)?;
    Ok(Vec::new())
}

fn per_cpu_value(shape: &bpf::MapShape, v: &MapValue, ty: TypeRef<'_>) -> Result<Vec<u8>, String> {
    let Some(cpus) = shape.cpus else {
        return value::encode(v, shape.value_size, ty);
    };
    let list: Vec<Vec<u8>> = match v {
        MapValue::List(l) if !is_array(ty) => {
            if l.len() != cpus {
                return Err(format!("{} values given, the map has {cpus} CPUs", l.len()));
            }
            l.iter()
                .map(|x| value::encode(x, shape.value_size, ty))
                .collect::<Result<_, _>>()?
        }
        v => vec![value::encode(v, shape.value_size, ty)?; cpus],
    };
    let mut out = vec![0u8; shape.value_len()];
    for (i, b) in list.iter().enumerate() {
        out[i * shape.slot()..i * shape.slot() + b.len()].copy_from_slice(b);
    }
    Ok(out)
}

fn is_array(ty: TypeRef<'_>) -> bool {
    ty.btf.is_some_and(|b| {
        b.resolve(ty.id)
            .ok()
            .and_then(|(id, _)| b.ty(id).ok())
            .is_some_and(|t| matches!(t, bpf::btf::Ty::Array { .. }))
    })
}

/// `map_expect`: the whole value, some members, or no such key. A per-CPU map's value is
/// compared as the sum over the CPUs of its integers (a list: CPU by CPU).
pub(in crate::scenario) fn run_map_expect(bench: &mut Bench, s: &MapStep) -> Verdict {
    let MapAt {
        obj,
        shape,
        kt,
        vt,
        key,
    } = MapAt::of(bench.topology().bpf(), s)?;
    let got = obj.map_get(&s.map, &key).map_err(fail_err)?;
    let at = format!("map {}[{}] on {}", s.map, value::decode(&key, kt), s.node);
    let Some(got) = got else {
        if s.absent {
            return Ok(Vec::new());
        }
        return Err(Fail::Failed(format!("{at}: no such key")));
    };
    let shown = show_value(&shape, &got, vt);
    if s.absent {
        return Err(Fail::Failed(format!(
            "{at}: expected no such key, it holds {shown}"
        )));
    }
    // A per-CPU map's value as the sum over its CPUs, unless a list gives it CPU by CPU.
    let summed = match shape.cpus {
        Some(_) => value::sum_cpus(&got, shape.slot(), shape.value_size, vt),
        None => got.clone(),
    };
    let Some(v) = &s.value else {
        return expect_fields(&at, &s.fields, &summed, vt, &shown);
    };
    let per_cpu_list = matches!(v, MapValue::List(_)) && shape.cpus.is_some() && !is_array(vt);
    let (want, have) = if per_cpu_list {
        (per_cpu_value(&shape, v, vt), got)
    } else {
        (value::encode(v, shape.value_size, vt), summed)
    };
    if want.map_err(value_err)? == have {
        Ok(Vec::new())
    } else {
        Err(Fail::Failed(format!("{at}: expected {v}, got {shown}")))
    }
}

fn expect_fields(
    at: &str,
    fields: &[(String, MapValue)],
    have: &[u8],
    vt: TypeRef<'_>,
    shown: &str,
) -> Verdict {
    let Some(btf) = vt.btf else {
        return Err(Fail::Error(format!(
            "{at}: fields needs the map's BTF (build the object with clang -g)"
        )));
    };
    let resolved = btf.resolve(vt.id).and_then(|(id, _)| btf.ty(id).cloned());
    let Ok(bpf::btf::Ty::Struct { name, members, .. }) = resolved else {
        return Err(Fail::Error(format!(
            "{at}: fields needs a struct value (this one is {})",
            btf.name(vt.id)
        )));
    };
    let mut bad = Vec::new();
    for (k, v) in fields {
        let Some(m) = members.iter().find(|m| &m.name == k) else {
            return Err(Fail::Error(format!(
                "{at}: struct {name} has no member '{k}' (it has: {})",
                members
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let size = btf.size(m.ty).map_err(Fail::Error)?;
        let mt = TypeRef {
            btf: Some(btf),
            id: m.ty,
        };
        let want = value::encode(v, size, mt).map_err(|e| Fail::Error(format!("{k}: {e}")))?;
        let off = m.bit_offset / 8;
        let got = have.get(off..off + size).unwrap_or(&[]);
        if got != want {
            bad.push(format!("{k}: expected {v}, got {}", value::decode(got, mt)));
        }
    }
    if bad.is_empty() {
        Ok(Vec::new())
    } else {
        Err(Fail::Failed(format!(
            "{at}: {} (value {shown})",
            bad.join("; ")
        )))
    }
}

/// The maps' contents as notes of the failing step of a test that did not pass.
pub(in crate::scenario) fn note_maps(
    bench: &Bench,
    steps: &mut [crate::scenario::steps::StepResult],
) {
    let held = bench.topology().bpf();
    if held.is_empty() {
        return;
    }
    let Some(s) = steps.iter_mut().find(|s| {
        matches!(
            s.outcome,
            crate::scenario::steps::Outcome::Failed | crate::scenario::steps::Outcome::Error
        )
    }) else {
        return;
    };
    s.notes.extend(held.dump());
}
