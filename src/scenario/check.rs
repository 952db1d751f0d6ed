//! From the file as written ([`super::yaml`]) to the checked [`super::model`]: every reference
//! to a node or interface resolved, every frame parsed, every duration, address, route, MAC
//! and field name read. The first problem is a [`LoadError`] naming the line and the key.
//!
//! Nothing here touches the kernel: a file that fails here has created nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::model::*;
use super::yaml::{self, Scalar, S};
use super::LoadError;
use crate::frame::expr::{self, Value};
use crate::frame::MacAddr;
use crate::link::Cidr;

/// `expect`/`sr` wait this long when `within` is not given.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(1);
/// `expect_none` waits this long when `for` is not given.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(100);

/// A located problem: line (0 when unknown), key, message.
pub(crate) type Problem = (usize, String, String);

fn at<T>(s: &Spanned<T>) -> usize {
    s.referenced.line() as usize
}

fn err<T>(line: usize, key: &str, msg: impl Into<String>) -> Result<T, Problem> {
    Err((line, key.to_string(), msg.into()))
}

/// What the topology declares, for resolving references.
struct Names {
    nodes: BTreeMap<String, bool>,
    /// node -> veth ends
    ends: BTreeMap<String, BTreeSet<String>>,
    /// node -> bridges
    bridges: BTreeMap<String, BTreeSet<String>>,
}

impl Names {
    fn node(&self, s: &S<String>, key: &str) -> Result<String, Problem> {
        let n = s.value.trim();
        if !self.nodes.contains_key(n) {
            return err(
                at(s),
                key,
                format!("unknown node '{n}' (nodes: {})", self.list()),
            );
        }
        Ok(n.to_string())
    }

    fn list(&self) -> String {
        self.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// A veth end (`NODE:IFACE`); `bridges_too` also accepts a bridge.
    fn port(&self, s: &S<String>, key: &str, bridges_too: bool) -> Result<PortRef, Problem> {
        let p = port_syntax(s, key)?;
        if !self.nodes.contains_key(&p.node) {
            return err(
                at(s),
                key,
                format!(
                    "unknown node '{}' in '{p}' (nodes: {})",
                    p.node,
                    self.list()
                ),
            );
        }
        let is_end = self.ends.get(&p.node).is_some_and(|e| e.contains(&p.iface));
        let is_bridge = self
            .bridges
            .get(&p.node)
            .is_some_and(|b| b.contains(&p.iface));
        if is_end || (bridges_too && is_bridge) {
            return Ok(p);
        }
        let mut known: Vec<String> = self
            .ends
            .get(&p.node)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if bridges_too {
            known.extend(self.bridges.get(&p.node).into_iter().flatten().cloned());
        }
        let what = if is_bridge {
            "is a bridge, not a port (send and expect on a veth end)".to_string()
        } else {
            format!(
                "unknown interface '{}' of node '{}' (it has: {})",
                p.iface,
                p.node,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        };
        err(at(s), key, format!("'{p}': {what}"))
    }
}

fn port_syntax(s: &S<String>, key: &str) -> Result<PortRef, Problem> {
    match PortRef::parse(&s.value) {
        Some(p) => Ok(p),
        None => err(
            at(s),
            key,
            format!("'{}' is not NODE:IFACE (e.g. h1:eth0)", s.value),
        ),
    }
}

/// Check the whole file.
pub(crate) fn check(
    f: yaml::FileYaml,
    dir: Option<std::path::PathBuf>,
) -> Result<(String, TopologySpec, Vec<TestSpec>), Problem> {
    let mut names = Names {
        nodes: BTreeMap::new(),
        ends: BTreeMap::new(),
        bridges: BTreeMap::new(),
    };
    let mut topo = TopologySpec {
        dir,
        ..TopologySpec::default()
    };

    // Nodes.
    for (k, v) in &f.nodes.0 {
        let name = k.value.trim();
        if name.is_empty() || name.contains(':') || name.contains('/') || name.len() > 64 {
            return err(
                at(k),
                "nodes",
                format!("bad node name '{name}' (no ':' or '/', at most 64 bytes)"),
            );
        }
        if names.nodes.contains_key(name) {
            return err(at(k), "nodes", format!("node '{name}' declared twice"));
        }
        let v = v.as_ref();
        let mut node = NodeSpec {
            name: name.to_string(),
            ipv6: v.is_some_and(|v| v.ipv6),
            sysctl: Vec::new(),
        };
        for (sk, sv) in v.map(|v| &v.sysctl.0[..]).unwrap_or(&[]) {
            let key = sk.value.trim();
            if !key.starts_with("net.") || key.contains("..") || key.contains('/') {
                return err(
                    at(sk),
                    "sysctl",
                    format!("'{key}': only net.* sysctls belong to a node's namespace"),
                );
            }
            node.sysctl.push((key.to_string(), sv.0.clone()));
        }
        names.nodes.insert(name.to_string(), node.ipv6);
        topo.nodes.push(node);
    }
    if topo.nodes.is_empty() {
        return err(1, "nodes", "no nodes: a scenario needs at least one");
    }

    // Links.
    for l in &f.links {
        let line = at(l);
        let l = &l.value;
        if l.ends.len() != 2 {
            return err(
                line,
                "links",
                format!("a link has two ends, not {}", l.ends.len()),
            );
        }
        let mut ends = Vec::new();
        for e in &l.ends {
            let p = port_syntax(e, "links")?;
            if !names.nodes.contains_key(&p.node) {
                return err(
                    at(e),
                    "links",
                    format!(
                        "unknown node '{}' in '{p}' (nodes: {})",
                        p.node,
                        names.list()
                    ),
                );
            }
            if let Err(x) = crate::link::check_ifname(&p.iface) {
                return err(at(e), "links", x.to_string());
            }
            if !names
                .ends
                .entry(p.node.clone())
                .or_default()
                .insert(p.iface.clone())
            {
                return err(at(e), "links", format!("interface '{p}' declared twice"));
            }
            ends.push(p);
        }
        if let Some(m) = l.mtu {
            if !(68..=65535).contains(&m) {
                return err(line, "mtu", format!("MTU {m} is out of range 68..=65535"));
            }
        }
        let mut macs = [None, None];
        if let Some(ms) = &l.macs {
            if ms.len() != 2 {
                return err(
                    line,
                    "macs",
                    format!("two MACs, one per end, not {}", ms.len()),
                );
            }
            for (i, m) in ms.iter().enumerate() {
                let mac = MacAddr::from_str(m.value.trim())
                    .map_err(|e| (at(m), "macs".to_string(), e.to_string()))?;
                if mac.0[0] & 1 == 1 || mac.0 == [0; 6] {
                    return err(
                        at(m),
                        "macs",
                        format!(
                            "'{}' is not a unicast MAC (e.g. 02:00:00:00:00:01)",
                            m.value
                        ),
                    );
                }
                macs[i] = Some(mac);
            }
        }
        let [a, b]: [PortRef; 2] = ends.try_into().expect("two ends");
        topo.links.push(LinkSpec {
            ends: [a, b],
            mtu: l.mtu,
            macs,
        });
    }

    // Bridges.
    let mut enslaved = BTreeSet::new();
    for (k, b) in &f.bridges.0 {
        let br = port_syntax(k, "bridges")?;
        if !names.nodes.contains_key(&br.node) {
            return err(
                at(k),
                "bridges",
                format!(
                    "unknown node '{}' in '{br}' (nodes: {})",
                    br.node,
                    names.list()
                ),
            );
        }
        if let Err(x) = crate::link::check_ifname(&br.iface) {
            return err(at(k), "bridges", x.to_string());
        }
        let taken = names
            .ends
            .get(&br.node)
            .is_some_and(|e| e.contains(&br.iface))
            || !names
                .bridges
                .entry(br.node.clone())
                .or_default()
                .insert(br.iface.clone());
        if taken {
            return err(at(k), "bridges", format!("interface '{br}' declared twice"));
        }
        let mut spec = BridgeSpec {
            node: br.node.clone(),
            name: br.iface.clone(),
            vlan_filtering: b.vlan_filtering,
            pvid: b.pvid,
            vids: b.vids.clone(),
            ports: Vec::new(),
        };
        for v in b.pvid.iter().chain(&b.vids) {
            check_vid(*v, at(k), "vids")?;
        }
        for p in &b.ports {
            let line = at(p);
            let mut ps = p.value.port.clone();
            if at(&ps) == 0 {
                ps.referenced = p.referenced;
            }
            let port = names.port(&ps, "ports", false)?;
            if port.node != br.node {
                return err(
                    line,
                    "ports",
                    format!("'{port}' is not in node '{}', the bridge's", br.node),
                );
            }
            if !enslaved.insert(port.clone()) {
                return err(line, "ports", format!("'{port}' is a port of two bridges"));
            }
            for v in p.value.pvid.iter().chain(&p.value.vids) {
                check_vid(*v, line, "vids")?;
            }
            if !b.vlan_filtering && (p.value.pvid.is_some() || !p.value.vids.is_empty()) {
                return err(
                    line,
                    "ports",
                    "pvid and vids need vlan_filtering: true on the bridge",
                );
            }
            spec.ports.push(BridgePortSpec {
                iface: port.iface,
                pvid: p.value.pvid,
                vids: p.value.vids.clone(),
            });
        }
        topo.bridges.push(spec);
    }

    // Addresses.
    for (k, list) in &f.addresses.0 {
        let port = names.port(k, "addresses", true)?;
        let ipv6 = names.nodes[&port.node];
        let mut v = Vec::new();
        for c in list {
            let cidr = Cidr::parse(c.value.trim())
                .map_err(|e| (at(c), "addresses".to_string(), e.to_string()))?;
            if cidr.addr.is_ipv6() && !ipv6 {
                return err(
                    at(c),
                    "addresses",
                    format!("{cidr}: node '{}' has IPv6 off (set ipv6: true)", port.node),
                );
            }
            v.push(cidr);
        }
        topo.addresses.push((port, v));
    }

    // Routes.
    for (k, list) in &f.routes.0 {
        let node = names.node(k, "routes")?;
        let mut v = Vec::new();
        for r in list {
            let route = parse_route(&r.value).map_err(|e| (at(r), "routes".to_string(), e))?;
            if let Some(dev) = &route.dev {
                let ok = names.ends.get(&node).is_some_and(|e| e.contains(dev))
                    || names.bridges.get(&node).is_some_and(|b| b.contains(dev));
                if !ok {
                    return err(
                        at(r),
                        "routes",
                        format!("unknown interface '{dev}' of node '{node}'"),
                    );
                }
            }
            v.push(route);
        }
        topo.routes.push((node, v));
    }

    // Setup.
    for c in &f.setup {
        topo.setup.push(CommandSpec {
            node: names.node(&c.value.node, "setup")?,
            run: c.value.run.clone(),
            line: at(c),
        });
    }

    // Tests.
    let mut tests = Vec::new();
    for t in &f.tests {
        let mut steps = Vec::new();
        for s in &t.value.steps {
            steps.push(Step {
                line: at(s),
                kind: step(&names, &s.value, at(s))?,
            });
        }
        tests.push(TestSpec {
            name: t.value.name.clone(),
            line: at(t),
            noise: t.value.noise.unwrap_or(true),
            steps,
        });
    }
    Ok((f.name.unwrap_or_default(), topo, tests))
}

fn check_vid(v: u16, line: usize, key: &str) -> Result<(), Problem> {
    if (1..=4094).contains(&v) {
        Ok(())
    } else {
        err(line, key, format!("VLAN {v} is out of range 1..=4094"))
    }
}

fn step(names: &Names, s: &yaml::StepYaml, line: usize) -> Result<StepKind, Problem> {
    use yaml::StepYaml as Y;
    Ok(match s {
        Y::Send(x) => StepKind::Send {
            port: names.port(&x.port, "port", false)?,
            frame: frame(names, &x.frame, "frame")?,
            count: match x.count {
                Some(0) => return err(line, "count", "count must be at least 1"),
                Some(n) => n,
                None => 1,
            },
            rate_pps: x.rate.as_ref().map(rate).transpose()?,
        },
        Y::Expect(x) => StepKind::Expect {
            port: names.port(&x.port, "port", false)?,
            frame: frame(names, &x.frame, "frame")?,
            ignore: ignore(&x.ignore)?,
            within: opt_duration(&x.within, "within", DEFAULT_WITHIN)?,
        },
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
            }
        }
        Y::Sr(x) => StepKind::Sr {
            port: names.port(&x.port, "port", false)?,
            frame: frame(names, &x.frame, "frame")?,
            expect: frame(names, &x.expect, "expect")?,
            ignore: ignore(&x.ignore)?,
            within: opt_duration(&x.within, "within", DEFAULT_WITHIN)?,
        },
        Y::Ping(x) => StepKind::Ping {
            node: names.node(&x.node, "node")?,
            to: IpAddr::from_str(x.to.value.trim()).map_err(|_| {
                (
                    at(&x.to),
                    "to".to_string(),
                    format!("'{}' is not an IP address", x.to.value),
                )
            })?,
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
        },
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
            StepKind::Stream(Box::new(StreamStep {
                from: names.port(&x.from, "from", false)?,
                to: names.port(&x.to, "to", false)?,
                frame: x
                    .frame
                    .as_ref()
                    .map(|f| frame(names, f, "frame"))
                    .transpose()?,
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
                max_reorder: x
                    .max_reorder
                    .as_ref()
                    .map(|l| limit(l, "max_reorder"))
                    .transpose()?,
                max_p99_us: x.max_p99_us,
            }))
        }
        Y::Daemon(x) => StepKind::Daemon {
            node: names.node(&x.node, "node")?,
            run: x.run.clone(),
            ready: x.ready.as_ref().map(ready).transpose()?,
        },
    })
}

fn frame(names: &Names, s: &S<String>, key: &str) -> Result<FrameSrc, Problem> {
    let text = s.value.trim().to_string();
    let e = match text.strip_prefix("hex:") {
        // Raw bytes, whatever they are: a frame the expression language cannot say.
        Some(h) => raw_expr(h).map_err(|m| (at(s), key.to_string(), m))?,
        None => expr::parse(&text).map_err(|e| (at(s), key.to_string(), e.to_string()))?,
    };
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
    if let Err(x) = e.build_with(&LoadEnv) {
        return err(at(s), key, x.to_string());
    }
    Ok(FrameSrc { text, expr: e })
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
                        "unknown field '{}' (tshark names, e.g. ip.chksum, ip.ttl, eth.src)",
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
    let t = s.value.0.trim();
    if let Some(p) = t.strip_suffix('%') {
        if let Ok(p) = p.trim().parse::<f64>() {
            if (0.0..=100.0).contains(&p) {
                return Ok(Limit::Percent(p));
            }
        }
    } else if let Ok(n) = t.parse::<u64>() {
        return Ok(Limit::Frames(n));
    }
    err(
        at(s),
        key,
        format!("'{t}' is neither a count of frames nor a percentage (e.g. 0, 5, 0.1%)"),
    )
}

fn ready(s: &S<String>) -> Result<Ready, Problem> {
    let t = s.value.trim();
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
    err(
        at(s),
        "ready",
        format!("'{t}': expected tcp:PORT or file:PATH"),
    )
}

/// `default via 198.18.1.1`, `198.18.9.0/24 via 198.18.1.1`, `198.18.9.0/24 dev eth0`.
pub fn parse_route(text: &str) -> Result<RouteSpec, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let bad = |m: &str| {
        format!("route '{text}': {m} (e.g. 'default via 198.18.1.1' or '198.18.9.0/24 dev eth0')")
    };
    let Some((&dst, mut rest)) = words.split_first() else {
        return Err(bad("empty"));
    };
    let dst = if dst == "default" {
        None
    } else {
        Some(Cidr::parse(dst).map_err(|e| bad(&e.to_string()))?)
    };
    let (mut via, mut dev) = (None, None);
    while let [k, v, tail @ ..] = rest {
        match *k {
            "via" => {
                via = Some(
                    IpAddr::from_str(v).map_err(|_| bad(&format!("'{v}' is not an address")))?,
                )
            }
            "dev" => dev = Some(v.to_string()),
            k => return Err(bad(&format!("unknown word '{k}'"))),
        }
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad(&format!("'{}' needs a value", rest[0])));
    }
    if via.is_none() && dev.is_none() {
        return Err(bad("needs 'via ADDR' or 'dev IFACE'"));
    }
    if let (Some(d), Some(v)) = (&dst, &via) {
        if d.addr.is_ipv4() != v.is_ipv4() {
            return Err(bad("destination and gateway are of different families"));
        }
    }
    Ok(RouteSpec {
        dst,
        via,
        dev,
        text: text.trim().to_string(),
    })
}

impl From<Problem> for LoadError {
    fn from((line, key, msg): Problem) -> Self {
        LoadError::Invalid {
            file: String::new(),
            line,
            key,
            msg,
        }
    }
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

    #[test]
    fn routes() {
        let r = parse_route("default via 198.18.1.1").unwrap();
        assert_eq!((r.dst, r.via), (None, Some("198.18.1.1".parse().unwrap())));
        let r = parse_route("198.18.9.0/24 dev eth0").unwrap();
        assert_eq!(r.dev.as_deref(), Some("eth0"));
        assert!(parse_route("default").is_err());
        assert!(parse_route("default via").is_err());
        assert!(parse_route("default gw 1.2.3.4").is_err());
    }
}
