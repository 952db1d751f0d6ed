//! The `bpf:` of a node and the eBPF steps as the file writes them ([`BpfYaml`],
//! [`MapStepYaml`], [`ProgRunYaml`]), and checked when the file loads ([`BpfProgSpec`],
//! [`MapStep`], [`ProgRunStep`]): objects that exist, hooks and verdicts by name, pins under
//! /sys/fs/bpf, and the steps' references to nodes and attached programs.
//!
//! What stays true: everything here is decided from the file alone (no object is opened, no
//! kernel asked); a mistake is a `file:line` error before anything is built.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::value::MapValue;
use crate::bpf::{self, Hook};
use crate::scenario::check::{at, err, Names, Problem};
use crate::scenario::check_steps::{want_keys, want_with_saves, TestCtx};
use crate::scenario::model::{FrameSrc, PortRef, StepKind, TestSpec, TopologySpec, Want};
use crate::scenario::yaml::{Entries, S};

/// `{object: prog.o, program: NAME, attach: xdp, pin: /sys/fs/bpf/x}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BpfYaml {
    pub object: S<String>,
    pub program: S<String>,
    pub attach: S<String>,
    pub pin: Option<S<String>>,
}

/// A key or value as written: a scalar, `{member: value}` or a list.
#[derive(Debug)]
pub struct ValueYaml(pub MapValue);

impl<'de> Deserialize<'de> for ValueYaml {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{MapAccess, SeqAccess, Visitor};
        struct V;
        // Integers, booleans and strings are all scalars: their text is parsed once the
        // map's key or value type is known.
        fn scalar(v: impl ToString) -> ValueYaml {
            ValueYaml(MapValue::Scalar(v.to_string()))
        }
        impl<'de> Visitor<'de> for V {
            type Value = ValueYaml;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer, hex:BYTES, an address, a MAC, {member: value} or a list")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ValueYaml, E> {
                Ok(scalar(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ValueYaml, E> {
                Ok(scalar(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ValueYaml, E> {
                Ok(scalar(v))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<ValueYaml, E> {
                Ok(scalar(u8::from(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<ValueYaml, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, ValueYaml>()? {
                    v.push((k, x.0));
                }
                Ok(ValueYaml(MapValue::Struct(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<ValueYaml, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = s.next_element::<ValueYaml>()? {
                    v.push(x.0);
                }
                Ok(ValueYaml(MapValue::List(v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// `map_update: {node, map, key, value}` and `map_expect: {node, map, key, value | fields | absent}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapStepYaml {
    pub node: S<String>,
    pub map: S<String>,
    pub key: S<ValueYaml>,
    pub value: Option<S<ValueYaml>>,
    /// map_expect: only these members of a BTF struct value.
    #[serde(default)]
    pub fields: Entries<S<String>, ValueYaml>,
    /// map_expect: the key is not in the map.
    #[serde(default)]
    pub absent: bool,
}

/// `prog_run: {node, program, frame, verdict, expect, fields, filter, ignore, repeat, dual, live}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgRunYaml {
    pub node: S<String>,
    pub program: S<String>,
    /// The frame in.
    pub frame: S<String>,
    /// The return code: XDP_DROP, XDP_PASS, TC_ACT_SHOT... or a number.
    pub verdict: Option<S<String>>,
    /// The frame out.
    pub expect: Option<S<String>>,
    #[serde(default)]
    pub fields: Entries<S<String>, S<crate::scenario::yaml::Scalar>>,
    /// A display filter the frame out must pass (Wireshark's language, as `expect`'s).
    pub filter: Option<S<String>>,
    #[serde(default)]
    pub ignore: Vec<S<String>>,
    pub repeat: Option<S<u32>>,
    /// Also send the frame on the live link, where the program is attached, and compare.
    #[serde(default)]
    pub dual: bool,
    /// With `dual`: the attached program the live link runs, when it is not `program` (a
    /// reference implementation checked against the one deployed).
    pub live: Option<S<String>>,
}

/// A program attached to an interface of a node, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpfProgSpec {
    pub node: String,
    pub iface: String,
    /// The ELF object (relative paths: to the scenario file's directory).
    pub object: PathBuf,
    pub program: String,
    pub hook: Hook,
    /// Pin the link here (on bpffs) while the topology is up.
    pub pin: Option<PathBuf>,
    pub line: usize,
}

/// `map_update` / `map_expect`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapStep {
    pub node: String,
    pub map: String,
    pub key: MapValue,
    pub value: Option<MapValue>,
    pub fields: Vec<(String, MapValue)>,
    pub absent: bool,
}

/// `prog_run`, checked.
#[derive(Debug, Clone)]
pub struct ProgRunStep {
    pub node: String,
    pub program: String,
    pub frame: FrameSrc,
    /// The verdict's name as written and its return code.
    pub verdict: Option<(String, u32)>,
    pub want: Option<Want>,
    pub repeat: u32,
    pub dual: bool,
    /// The program attached on the live link `dual` sends through (default: `program`).
    pub live: Option<String>,
}

/// The `bpf:` entries of node `node` (`{IFACE: [..]}`), checked; `dir` is the file's.
pub(in crate::scenario) fn check_prog(
    names: &Names,
    node: &S<String>,
    list: &Entries<S<String>, Vec<S<BpfYaml>>>,
    dir: Option<&Path>,
) -> Result<Vec<BpfProgSpec>, Problem> {
    let mut out = Vec::new();
    for (iface, progs) in &list.0 {
        let port = serde_saphyr::Spanned::new(
            format!("{}:{}", node.value.trim(), iface.value.trim()),
            iface.referenced,
            iface.defined,
        );
        let p = names.port(&port, "bpf", true)?;
        for e in progs {
            let line = at(e);
            let y = &e.value;
            let hook: Hook =
                y.attach.value.trim().parse().map_err(|x: bpf::BpfError| {
                    (at(&y.attach), "attach".to_string(), x.to_string())
                })?;
            let rel = PathBuf::from(y.object.value.trim());
            let object = match dir {
                Some(d) if rel.is_relative() => d.join(&rel),
                _ => rel,
            };
            if !object.is_file() {
                return err(
                    at(&y.object),
                    "object",
                    format!(
                        "{}: no such file (an ELF object built with clang -O2 -g -target bpf; relative to the scenario file)",
                        object.display()
                    ),
                );
            }
            let pin = y.pin.as_ref().map(|x| PathBuf::from(x.value.trim()));
            if let Some(pp) = &pin {
                if !pp.is_absolute() || !pp.starts_with("/sys/fs/bpf") {
                    return err(
                        at(y.pin.as_ref().expect("pin")),
                        "pin",
                        format!(
                            "{}: a pin is an absolute path under /sys/fs/bpf",
                            pp.display()
                        ),
                    );
                }
            }
            let spec = BpfProgSpec {
                node: p.node.clone(),
                iface: p.iface.clone(),
                object,
                program: y.program.value.trim().to_string(),
                hook,
                pin,
                line,
            };
            if out
                .iter()
                .any(|o: &BpfProgSpec| o.iface == spec.iface && o.hook == spec.hook)
            {
                return err(
                    line,
                    "bpf",
                    format!(
                        "{}:{} has two programs at {hook}: one per hook",
                        p.node, p.iface
                    ),
                );
            }
            out.push(spec);
        }
    }
    Ok(out)
}

/// `map_update` (`expect: false`) or `map_expect`, checked.
pub(in crate::scenario) fn map_step(
    names: &Names,
    x: &MapStepYaml,
    line: usize,
    expect: bool,
) -> Result<MapStep, Problem> {
    let node = names.node(&x.node, "node")?;
    let kw = if expect { "map_expect" } else { "map_update" };
    let fields: Vec<(String, MapValue)> = x
        .fields
        .0
        .iter()
        .map(|(k, v)| (k.value.trim().to_string(), v.0.clone()))
        .collect();
    let given =
        usize::from(x.value.is_some()) + usize::from(!fields.is_empty()) + usize::from(x.absent);
    if !expect && (x.value.is_none() || !fields.is_empty() || x.absent) {
        return err(
            line,
            kw,
            "give key and value (fields and absent are map_expect's)",
        );
    }
    if expect && given != 1 {
        return err(
            line,
            kw,
            "give one of value (the whole value), fields (members of a struct) or absent: true",
        );
    }
    Ok(MapStep {
        node,
        map: x.map.value.trim().to_string(),
        key: x.key.value.0.clone(),
        value: x.value.as_ref().map(|v| v.value.0.clone()),
        fields,
        absent: x.absent,
    })
}

/// `prog_run`, checked.
pub(in crate::scenario) fn prog_run(
    names: &Names,
    ctx: &mut TestCtx,
    x: &ProgRunYaml,
    line: usize,
) -> Result<ProgRunStep, Problem> {
    let node = names.node(&x.node, "node")?;
    let frame = crate::scenario::check_steps::frame(names, ctx, &x.frame, "frame")?;
    let verdict = match &x.verdict {
        Some(v) => {
            let name = v.value.trim().to_string();
            let code = bpf::verdict_code(&name).ok_or_else(|| {
                (
                    at(v),
                    "verdict".to_string(),
                    format!("'{name}' is not a verdict (XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, TC_ACT_OK, TC_ACT_SHOT... or a number)"),
                )
            })?;
            Some((name, code))
        }
        None => None,
    };
    let want = if x.expect.is_some() || !x.fields.0.is_empty() || x.filter.is_some() {
        // No strict or save of its own: the test's strict, nothing saved.
        let keys = want_keys!(x, expect);
        let w = want_with_saves(names, ctx, line, &keys, None, &Entries::default())?;
        Some(w)
    } else if let Some(i) = x.ignore.first() {
        return err(at(i), "ignore", "ignore applies to expect (the frame out)");
    } else {
        None
    };
    if verdict.is_none() && want.is_none() && !x.dual {
        return err(
            line,
            "prog_run",
            "give verdict, expect (the frame out), fields, filter, or dual: true",
        );
    }
    let repeat = match &x.repeat {
        Some(r) if r.value == 0 || r.value > 100_000_000 => {
            return err(at(r), "repeat", "repeat is 1 to 100000000")
        }
        Some(r) => r.value,
        None => 1,
    };
    Ok(ProgRunStep {
        node,
        program: x.program.value.trim().to_string(),
        frame,
        verdict,
        want,
        repeat,
        dual: x.dual,
        live: match &x.live {
            Some(l) if !x.dual => {
                return err(
                    at(l),
                    "live",
                    "live names the program dual compares against: give dual: true",
                )
            }
            Some(l) => Some(l.value.trim().to_string()),
            None => None,
        },
    })
}

/// The steps' references to programs and maps against the topology's `bpf:` (which nodes
/// have programs; `dual` needs the program attached once, where the live link can see it).
pub(in crate::scenario) fn check_refs(
    topo: &TopologySpec,
    tests: &[TestSpec],
) -> Result<(), Problem> {
    for t in tests {
        for s in &t.steps {
            let node = match &s.kind {
                StepKind::MapUpdate(m) | StepKind::MapExpect(m) => &m.node,
                StepKind::ProgRun(p) => &p.node,
                _ => continue,
            };
            let progs: Vec<&BpfProgSpec> = topo.bpf.iter().filter(|b| &b.node == node).collect();
            if progs.is_empty() {
                return err(
                    s.line,
                    s.kind.keyword(),
                    format!("node '{node}' has no bpf: programs (nodes: {{{node}: {{bpf: {{IFACE: [{{object: ..., program: ..., attach: ...}}]}}}}}})"),
                );
            }
            let StepKind::ProgRun(p) = &s.kind else {
                continue;
            };
            if !p.dual {
                continue;
            }
            let live = p.live.as_deref().unwrap_or(&p.program);
            let attached: Vec<&&BpfProgSpec> = progs.iter().filter(|b| b.program == live).collect();
            let [a] = attached[..] else {
                return err(
                    s.line,
                    "dual",
                    format!(
                        "dual needs '{live}' attached on exactly one interface of {node} (it is on {})",
                        attached.len()
                    ),
                );
            };
            if peer(topo, &PortRef::new(&a.node, &a.iface)).is_none() {
                return err(
                    s.line,
                    "dual",
                    format!(
                        "dual: {}:{} is not a veth end (a bridge): attach to a veth end",
                        a.node, a.iface
                    ),
                );
            }
        }
    }
    Ok(())
}

/// The other end of the link `port` is on.
pub(super) fn peer(topo: &TopologySpec, port: &PortRef) -> Option<PortRef> {
    topo.links.iter().find_map(|l| {
        if l.ends[0] == *port {
            Some(l.ends[1].clone())
        } else if l.ends[1] == *port {
            Some(l.ends[0].clone())
        } else {
            None
        }
    })
}
