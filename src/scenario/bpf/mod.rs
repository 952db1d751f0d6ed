//! eBPF programs in scenarios: a node's `bpf:` (programs attached to its interfaces, loaded
//! with aya), the `map_update`/`map_expect` steps, the `prog_run` step (BPF_PROG_RUN, and with
//! `dual: true` the same frame on the live link too), and the maps' contents in a failed
//! test's report.
//!
//! - [`BpfYaml`], [`MapStepYaml`], [`ProgRunYaml`]: the file as written; [`check_prog`],
//!   [`map_step`], [`prog_run`] and [`check_refs`]: to the checked [`BpfProgSpec`],
//!   [`MapStep`], [`ProgRunStep`].
//! - [`Held`]: what a built topology holds: each node's objects (one per object file, so the
//!   programs of one file share its maps) and their attachments.
//! - [`run_map_update`], [`run_map_expect`], [`run_prog_run`]: the steps on a [`Bench`].
//!
//! What stays true: programs, maps and links are held by file descriptors of the runner, so
//! they vanish with it, SIGKILL included; a `pin:` is made only when the file asks, refused if
//! the path exists, and removed when the topology drops (a failed run, the end of a run after
//! SIGTERM or Ctrl-C); `vethbench up` refuses a file with `bpf:` (no process would hold them).

pub mod value;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::bench::Bench;
use super::check::{at, err, Names, Problem};
use super::check_steps::TestCtx;
use super::model::{FrameSrc, PortRef, StepKind, TestSpec, TopologySpec, Want};
use super::steps::{Fail, Verdict};
use super::yaml::{Entries, S};
use super::ScenarioError;
use crate::bpf::btf::Btf;
use crate::bpf::{self, Attachment, Hook, Kind, Object};
use crate::harness::Matcher;
use crate::link::netns::Netns;
use value::{MapValue, TypeRef};

/// How long `dual` waits for the frame on the live link when it should arrive.
pub const DUAL_WITHIN: Duration = Duration::from_secs(1);
/// How long `dual` watches for a frame that should not arrive.
pub const DUAL_QUIET: Duration = Duration::from_millis(100);
/// Entries of each map a failed test's report shows at most.
pub const REPORT_ENTRIES: usize = 16;

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
        impl<'de> Visitor<'de> for V {
            type Value = ValueYaml;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer, hex:BYTES, an address, a MAC, {member: value} or a list")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ValueYaml, E> {
                Ok(ValueYaml(MapValue::Scalar(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ValueYaml, E> {
                Ok(ValueYaml(MapValue::Scalar(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ValueYaml, E> {
                Ok(ValueYaml(MapValue::Scalar(v.to_string())))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<ValueYaml, E> {
                Ok(ValueYaml(MapValue::Scalar(u8::from(v).to_string())))
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

/// `prog_run: {node, program, frame, verdict, expect, fields, ignore, repeat, dual}`.
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
    pub fields: Entries<S<String>, S<super::yaml::Scalar>>,
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
pub(super) fn check_prog(
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
pub(super) fn map_step(
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
pub(super) fn prog_run(
    names: &Names,
    ctx: &TestCtx,
    x: &ProgRunYaml,
    line: usize,
) -> Result<ProgRunStep, Problem> {
    let node = names.node(&x.node, "node")?;
    let frame = super::check_steps::frame(names, ctx, &x.frame, "frame")?;
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
    let want = if x.expect.is_some() || !x.fields.0.is_empty() {
        Some(super::check_steps::want(
            names,
            ctx,
            line,
            "expect",
            x.expect.as_ref(),
            &x.fields,
            &x.ignore,
            // No `filter:` key on prog_run yet (scenario::filter::FilterCond::holds checks one).
            None,
        )?)
    } else if let Some(i) = x.ignore.first() {
        return err(at(i), "ignore", "ignore applies to expect (the frame out)");
    } else {
        None
    };
    if verdict.is_none() && want.is_none() && !x.dual {
        return err(
            line,
            "prog_run",
            "give verdict, expect (the frame out), fields, or dual: true",
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
pub(super) fn check_refs(topo: &TopologySpec, tests: &[TestSpec]) -> Result<(), Problem> {
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
            if a.hook == Hook::TcIngress {
                return err(
                    s.line,
                    "dual",
                    "dual with tc-ingress: packet sockets see a frame before tc ingress runs, so the live verdict cannot be seen; attach at tc-egress or xdp",
                );
            }
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
fn peer(topo: &TopologySpec, port: &PortRef) -> Option<PortRef> {
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

/// One object file loaded for a node: its programs share its maps.
#[derive(Debug)]
struct Loaded {
    node: String,
    path: PathBuf,
    obj: Mutex<Object>,
    btf: Option<Btf>,
    /// Held links (detached when dropped); pinned ones are in [`Held::pins`].
    links: Vec<Attachment>,
}

/// `/sys/fs/bpf` is a bpffs (pins live there).
fn check_bpffs(pin: &Path) -> Result<(), String> {
    const BPF_FS_MAGIC: i64 = 0xcafe4a11;
    match nix::sys::statfs::statfs("/sys/fs/bpf") {
        Ok(s) if s.filesystem_type().0 == BPF_FS_MAGIC => Ok(()),
        _ => Err(format!(
            "pin {}: bpffs is not mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)",
            pin.display()
        )),
    }
}

/// The programs, maps and links a built topology holds.
#[derive(Debug, Default)]
pub struct Held {
    loaded: Vec<Loaded>,
    /// Pinned links, unpinned (so detached) on drop.
    pins: Vec<PathBuf>,
    /// Directories made for pins, removed (if empty) on drop, deepest first.
    dirs: Vec<PathBuf>,
}

impl Drop for Held {
    fn drop(&mut self) {
        for p in self.pins.drain(..) {
            if bpf::unpin(&p).is_err() {
                let _ = std::fs::remove_file(&p);
            }
        }
        for d in self.dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(&d);
        }
    }
}

fn bpf_err(what: String) -> impl FnOnce(bpf::BpfError) -> ScenarioError {
    move |source| ScenarioError::Bpf { what, source }
}

impl Held {
    /// Load and attach every program of `spec` (each node's namespace from `netns`).
    pub fn attach<'a>(
        spec: &TopologySpec,
        netns: impl Fn(&str) -> Result<&'a Netns, ScenarioError>,
    ) -> Result<Held, ScenarioError> {
        let mut held = Held::default();
        for p in &spec.bpf {
            let what = format!(
                "bpf on {}:{} (line {}): '{}' of {}",
                p.node,
                p.iface,
                p.line,
                p.program,
                p.object.display()
            );
            let i = match held
                .loaded
                .iter()
                .position(|l| l.node == p.node && l.path == p.object)
            {
                Some(i) => i,
                None => {
                    let obj = Object::open(&p.object).map_err(bpf_err(what.clone()))?;
                    let btf = std::fs::read(&p.object)
                        .ok()
                        .and_then(|b| Btf::from_elf(&b).ok().flatten());
                    held.loaded.push(Loaded {
                        node: p.node.clone(),
                        path: p.object.clone(),
                        obj: Mutex::new(obj),
                        btf,
                        links: Vec::new(),
                    });
                    held.loaded.len() - 1
                }
            };
            let ns = netns(&p.node)?;
            let l = &mut held.loaded[i];
            let obj = l.obj.get_mut().expect("object lock");
            let att = ns
                .run(|| Ok(obj.attach(&p.program, &p.iface, p.hook)))
                .map_err(|e| ScenarioError::link(what.clone(), e))?
                .map_err(bpf_err(what.clone()))?;
            match &p.pin {
                None => l.links.push(att),
                Some(path) => {
                    if path.exists() {
                        return Err(ScenarioError::Unsupported(format!(
                            "{what}: pin {} already exists (left by another run? remove it with rm)",
                            path.display()
                        )));
                    }
                    check_bpffs(path)
                        .map_err(|m| ScenarioError::Unsupported(format!("{what}: {m}")))?;
                    let mut missing = Vec::new();
                    let mut d = path.parent();
                    while let Some(x) = d.filter(|x| !x.exists()) {
                        missing.push(x.to_path_buf());
                        d = x.parent();
                    }
                    for x in missing.iter().rev() {
                        std::fs::create_dir(x).map_err(|e| ScenarioError::Io {
                            what: format!("{what}: creating {}", x.display()),
                            source: e,
                        })?;
                        held.dirs.push(x.clone());
                    }
                    att.pin(path).map_err(bpf_err(what.clone()))?;
                    held.pins.push(path.clone());
                }
            }
        }
        Ok(held)
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.loaded.is_empty()
    }

    /// The pins made (removed when this drops).
    pub fn pins(&self) -> &[PathBuf] {
        &self.pins
    }

    /// The object of `node` that has program `program`.
    fn with_program(&self, node: &str, program: &str) -> Result<&Loaded, Fail> {
        self.loaded
            .iter()
            .filter(|l| l.node == node)
            .find(|l| {
                l.obj
                    .lock()
                    .expect("object lock")
                    .programs()
                    .iter()
                    .any(|(n, _)| n == program)
            })
            .ok_or_else(|| {
                Fail::Error(format!(
                    "node {node} has no program '{program}' in its bpf: objects ({})",
                    self.objects_of(node)
                ))
            })
    }

    /// The object of `node` that has map `map`.
    fn with_map(&self, node: &str, map: &str) -> Result<&Loaded, Fail> {
        self.loaded
            .iter()
            .filter(|l| l.node == node)
            .find(|l| {
                l.obj
                    .lock()
                    .expect("object lock")
                    .maps()
                    .iter()
                    .any(|n| n == map)
            })
            .ok_or_else(|| {
                let have: Vec<String> = self
                    .loaded
                    .iter()
                    .filter(|l| l.node == node)
                    .flat_map(|l| l.obj.lock().expect("object lock").maps())
                    .filter(|m| !m.starts_with('.'))
                    .collect();
                Fail::Error(format!(
                    "node {node} has no map '{map}' (its maps: {})",
                    have.join(", ")
                ))
            })
    }

    fn objects_of(&self, node: &str) -> String {
        self.loaded
            .iter()
            .filter(|l| l.node == node)
            .map(|l| l.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

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

/// `map_update`: a per-CPU map gets the value on every CPU (or a list, one per CPU).
pub(super) fn run_map_update(bench: &mut Bench, s: &MapStep) -> Verdict {
    let held = bench.topology().bpf();
    let l = held.with_map(&s.node, &s.map)?;
    let obj = l.obj.lock().expect("object lock");
    let shape = obj.map_shape(&s.map).map_err(fail_err)?;
    let (kt, vt) = types(l.btf.as_ref(), &s.map);
    let key =
        value::encode(&s.key, shape.key_size, kt).map_err(|e| Fail::Error(format!("key: {e}")))?;
    let v = s.value.as_ref().expect("checked: map_update has a value");
    let bytes = per_cpu_value(&shape, v, vt).map_err(|e| Fail::Error(format!("value: {e}")))?;
    obj.map_set(&s.map, &key, &bytes).map_err(fail_err)?;
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

fn fail_err(e: bpf::BpfError) -> Fail {
    Fail::Error(crate::error::chain(&e))
}

/// `map_expect`: the whole value, some members, or no such key. A per-CPU map's value is
/// compared as the sum over the CPUs of its integers (a list: CPU by CPU).
pub(super) fn run_map_expect(bench: &mut Bench, s: &MapStep) -> Verdict {
    let held = bench.topology().bpf();
    let l = held.with_map(&s.node, &s.map)?;
    let obj = l.obj.lock().expect("object lock");
    let shape = obj.map_shape(&s.map).map_err(fail_err)?;
    let (kt, vt) = types(l.btf.as_ref(), &s.map);
    let key =
        value::encode(&s.key, shape.key_size, kt).map_err(|e| Fail::Error(format!("key: {e}")))?;
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
    // One value (the sum of a per-CPU map's), or a list of them per CPU.
    let per_cpu_list =
        matches!(&s.value, Some(MapValue::List(_))) && shape.cpus.is_some() && !is_array(vt);
    let (want, have) = if per_cpu_list {
        let w = per_cpu_value(&shape, s.value.as_ref().expect("a list"), vt)
            .map_err(|e| Fail::Error(format!("value: {e}")))?;
        (w, got.clone())
    } else {
        let have = match shape.cpus {
            Some(_) => value::sum_cpus(&got, shape.slot(), shape.value_size, vt),
            None => got.clone(),
        };
        if let Some(v) = &s.value {
            let w = value::encode(v, shape.value_size, vt)
                .map_err(|e| Fail::Error(format!("value: {e}")))?;
            (w, have)
        } else {
            return expect_fields(&at, &s.fields, &have, vt, &shown);
        }
    };
    if want == have {
        Ok(Vec::new())
    } else {
        Err(Fail::Failed(format!(
            "{at}: expected {}, got {shown}",
            s.value.as_ref().expect("a value")
        )))
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

/// `prog_run`: BPF_PROG_RUN of the frame, its verdict and frame out checked; with `dual`, the
/// same frame on the live link.
pub(super) fn run_prog_run(bench: &mut Bench, s: &ProgRunStep) -> Verdict {
    let spec = bench.topology().spec.clone();
    // The frame as the port `dual` sends it from would build it, so both runs see one frame.
    let live_name = s.live.as_deref().unwrap_or(&s.program);
    let live = spec
        .bpf
        .iter()
        .find(|b| b.node == s.node && b.program == live_name)
        .cloned();
    let sender = live.as_ref().and_then(|b| sender_of(&spec, b));
    let expr = super::steps::resolved(bench, &s.frame)?;
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
                w.frame.as_ref().map_or_else(
                    || crate::scenario::fields::describe(&w.fields),
                    |f| f.text.clone()
                ),
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

/// The frame out against the step's expectation: None when it holds, else the differences.
fn output_mismatch(bench: &Bench, w: &Want, out: &[u8]) -> Result<Option<String>, Fail> {
    let mut diffs = Vec::new();
    if let Some(f) = &w.frame {
        let want = bench.expected(super::steps::resolved(bench, f)?.as_ref())?;
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
    Ok((!diffs.is_empty()).then(|| diffs.join("\n")))
}

/// Where a frame goes for each verdict, as the live link shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Seen on the program's interface (XDP_PASS) or its peer (tc egress TC_ACT_OK).
    Passed,
    /// Back out of the interface it came in on (XDP_TX).
    Sent,
    Dropped,
    /// Elsewhere (a redirect).
    Redirected,
}

fn fate_of(kind: Kind, hook: Hook, ret: u32) -> Fate {
    let name = bpf::verdict_name(kind, ret);
    match (hook, name.as_str()) {
        (_, "XDP_PASS") | (_, "TC_ACT_OK") | (_, "TC_ACT_UNSPEC") | (_, "TC_ACT_PIPE") => {
            Fate::Passed
        }
        (_, "XDP_TX") => Fate::Sent,
        (_, "XDP_REDIRECT") | (_, "TC_ACT_REDIRECT") => Fate::Redirected,
        _ => Fate::Dropped,
    }
}

fn fate_text(f: Fate) -> &'static str {
    match f {
        Fate::Passed => "passed",
        Fate::Sent => "sent back out (XDP_TX)",
        Fate::Dropped => "dropped",
        Fate::Redirected => "redirected",
    }
}

/// The live half of `dual`: send `frame` from `sender`, look for PROG_RUN's frame out where
/// its verdict says, and say how the two disagree.
#[allow(clippy::too_many_arguments)]
fn dual(
    bench: &mut Bench,
    spec: &TopologySpec,
    s: &ProgRunStep,
    b: &BpfProgSpec,
    sender: &PortRef,
    kind: Kind,
    r: &bpf::RunResult,
    frame: &[u8],
) -> Result<String, Fail> {
    let port = PortRef::new(&b.node, &b.iface);
    // Where each fate shows: a passed frame on the program's side of the link.
    let passed_at = match b.hook {
        Hook::TcEgress => peer(spec, &port).expect("checked: a veth end"),
        _ => port.clone(),
    };
    let predicted = fate_of(kind, b.hook, r.ret);
    let t0 = Instant::now();
    bench.send(sender, frame)?;
    let out = r.frame.clone();
    let ports = bench.ports();
    // Wait where the verdict says it shows; otherwise watch every port for the quiet period.
    let look = |bench: &mut Bench, p: &PortRef, within: Duration| -> Result<bool, Fail> {
        match bench.expect(p, Matcher::exact(out.clone()), within) {
            Ok(_) => Ok(true),
            Err(ScenarioError::Harness(crate::harness::HarnessError::Expectation(_))) => Ok(false),
            Err(e) => Err(e.into()),
        }
    };
    let first = match predicted {
        Fate::Passed => Some(passed_at.clone()),
        Fate::Sent => Some(sender.clone()),
        _ => None,
    };
    if let Some(p) = &first {
        if look(bench, p, DUAL_WITHIN)? {
            return Ok(format!(
                "dual: the live link agrees: {} ({} arrived on {p} in {:.0} µs)",
                r.verdict,
                if out == frame {
                    "the frame"
                } else {
                    "the frame out"
                },
                t0.elapsed().as_secs_f64() * 1e6
            ));
        }
    }
    // Not where expected (or expected nowhere): where did it go?
    let wait = if first.is_some() {
        Duration::ZERO
    } else {
        DUAL_QUIET
    };
    let mut seen = None;
    let mut deadline_first = true;
    for p in &ports {
        let w = if deadline_first { wait } else { Duration::ZERO };
        deadline_first = false;
        if look(bench, p, w)? {
            seen = Some(p.clone());
            break;
        }
    }
    // The input frame unchanged somewhere, for a program that changed it in PROG_RUN.
    let live = match &seen {
        Some(p) if *p == passed_at => Fate::Passed,
        Some(p) if p == sender => Fate::Sent,
        Some(_) => Fate::Redirected,
        None => Fate::Dropped,
    };
    if live == predicted && predicted != Fate::Passed && predicted != Fate::Sent {
        return Ok(format!(
            "dual: the live link agrees: {} (the frame arrived on no port within {} ms)",
            r.verdict,
            DUAL_QUIET.as_millis()
        ));
    }
    if live == predicted {
        // Redirected to the same place: agreement.
        return Ok(format!("dual: the live link agrees: {}", r.verdict));
    }
    let where_ = match &seen {
        Some(p) => format!("the frame out arrived on {p}"),
        None => format!(
            "the frame out arrived on no port within {} ms",
            (if first.is_some() {
                DUAL_WITHIN
            } else {
                DUAL_QUIET
            })
            .as_millis()
        ),
    };
    Err(Fail::Failed(format!(
        "dual: BPF_PROG_RUN and the live link disagree: PROG_RUN of {} gave {} (the frame {}{}), but on the live link ({} at {}:{}, sent from {sender}) {where_}: {}",
        s.program,
        r.verdict,
        fate_text(predicted),
        match (predicted, &first) {
            (Fate::Passed | Fate::Sent, Some(p)) => format!(", expected on {p}"),
            _ => String::new(),
        },
        if b.program == s.program {
            b.hook.to_string()
        } else {
            format!("{} at {}", b.program, b.hook)
        },
        b.node,
        b.iface,
        fate_text(live)
    )))
}

/// The maps' contents as notes of the failing step of a test that did not pass.
pub(super) fn note_maps(bench: &Bench, steps: &mut [super::steps::StepResult]) {
    let held = bench.topology().bpf();
    if held.is_empty() {
        return;
    }
    let Some(s) = steps.iter_mut().find(|s| {
        matches!(
            s.outcome,
            super::steps::Outcome::Failed | super::steps::Outcome::Error
        )
    }) else {
        return;
    };
    s.notes.extend(held.dump());
}
