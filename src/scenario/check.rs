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

pub use super::check_steps::parse_duration;
use super::model::*;
use super::yaml::{self, S};
use super::LoadError;
use crate::frame::MacAddr;
use crate::link::Cidr;

/// `expect`/`sr` wait this long when `within` is not given.
pub const DEFAULT_WITHIN: Duration = Duration::from_secs(1);
/// `expect_none` waits this long when `for` is not given.
pub const DEFAULT_QUIET: Duration = Duration::from_millis(100);

/// A located problem: line (0 when unknown), key, message.
pub(crate) type Problem = (usize, String, String);

pub(super) fn at<T>(s: &Spanned<T>) -> usize {
    s.referenced.line() as usize
}

pub(super) fn err<T>(line: usize, key: &str, msg: impl Into<String>) -> Result<T, Problem> {
    Err((line, key.to_string(), msg.into()))
}

/// What the topology declares, for resolving references.
pub(super) struct Names {
    nodes: BTreeMap<String, bool>,
    /// node -> veth ends
    ends: BTreeMap<String, BTreeSet<String>>,
    /// node -> bridges
    bridges: BTreeMap<String, BTreeSet<String>>,
    /// Every veth end's L2 segment: ends joined by a link or by a bridge share one.
    segment: BTreeMap<PortRef, usize>,
    /// Nodes in existing namespaces (`netns:`): any interface there may be a step's port.
    attached: BTreeSet<String>,
    /// True while steps are checked: then an attached node's own interfaces are ports.
    existing_ok: bool,
    /// The attached nodes' own interfaces steps use, in order of first use.
    existing: std::cell::RefCell<Vec<PortRef>>,
}

impl Names {
    pub(super) fn node(&self, s: &S<String>, key: &str) -> Result<String, Problem> {
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

    /// True when frames between two veth ends stay on one L2 segment (no router between them).
    pub(super) fn same_segment(&self, a: &PortRef, b: &PortRef) -> bool {
        self.segment.contains_key(a) && self.segment.get(a) == self.segment.get(b)
    }

    fn list(&self) -> String {
        self.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// A veth end (`NODE:IFACE`); `bridges_too` also accepts a bridge.
    pub(super) fn port(
        &self,
        s: &S<String>,
        key: &str,
        bridges_too: bool,
    ) -> Result<PortRef, Problem> {
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
        if !is_end && !is_bridge && self.attached.contains(&p.node) {
            if self.existing_ok {
                // The device's own interface: checked to exist when the run starts.
                let mut e = self.existing.borrow_mut();
                if !e.contains(&p) {
                    e.push(p.clone());
                }
                return Ok(p);
            }
            return err(
                at(s),
                key,
                format!(
                    "'{p}': node '{}' is an existing namespace whose own interfaces may be ports \
                     of steps, but the runner never reconfigures what it did not create \
                     (declare a link to have an interface it can configure)",
                    p.node
                ),
            );
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
) -> Result<Checked, Problem> {
    let mut names = Names {
        nodes: BTreeMap::new(),
        ends: BTreeMap::new(),
        bridges: BTreeMap::new(),
        segment: BTreeMap::new(),
        attached: BTreeSet::new(),
        existing_ok: false,
        existing: Default::default(),
    };
    let mut topo = TopologySpec {
        dir,
        ..TopologySpec::default()
    };
    check_nodes(&f, &mut names, &mut topo)?;
    check_links(&f, &mut names, &mut topo)?;
    check_bridges(&f, &mut names, &mut topo)?;
    for (k, v) in &f.nodes.0 {
        if let Some(v) = v {
            let dir = topo.dir.clone();
            topo.bpf
                .extend(super::bpf::check_prog(&names, k, &v.bpf, dir.as_deref())?);
        }
    }
    names.segment = segments(&topo);
    check_addresses(&f, &names, &mut topo)?;
    check_routes(&f, &names, &mut topo)?;
    topo.setup = commands(&names, &f.setup, "setup")?;
    let teardown = commands(&names, &f.teardown, "teardown")?;
    let mut tests = Vec::new();
    names.existing_ok = true;
    for t in &f.tests {
        tests.push(super::check_steps::test(&names, t)?);
    }
    topo.existing = names.existing.take();
    super::bpf::check_refs(&topo, &tests)?;
    Ok(Checked {
        name: f.name.unwrap_or_default(),
        topology: topo,
        tests,
        teardown,
    })
}

/// A checked file's parts.
pub(crate) struct Checked {
    pub name: String,
    pub topology: TopologySpec,
    pub tests: Vec<TestSpec>,
    pub teardown: Vec<CommandSpec>,
}

/// `setup:` or `teardown:` commands.
pub(super) fn commands(
    names: &Names,
    list: &[S<yaml::CmdYaml>],
    key: &str,
) -> Result<Vec<CommandSpec>, Problem> {
    list.iter()
        .map(|c| {
            Ok(CommandSpec {
                node: names.node(&c.value.node, key)?,
                run: c.value.run.clone(),
                line: at(c),
            })
        })
        .collect()
}

fn check_nodes(
    f: &yaml::FileYaml,
    names: &mut Names,
    topo: &mut TopologySpec,
) -> Result<(), Problem> {
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
            allow_physical: v.is_some_and(|v| v.allow_physical),
            netns: match v.and_then(|v| v.netns.as_ref()) {
                Some(r) => Some(
                    crate::link::netns::NetnsRef::parse(r.value.trim())
                        .map_err(|e| (at(r), "netns".to_string(), crate::error::chain(&e)))?,
                ),
                None => None,
            },
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
        if node.netns.is_some() {
            names.attached.insert(name.to_string());
        } else if node.allow_physical {
            return err(
                at(k),
                "allow_physical",
                format!("node '{name}' is a private namespace: only a node with netns: has interfaces of its own"),
            );
        }
        names.nodes.insert(name.to_string(), node.ipv6);
        topo.nodes.push(node);
    }
    if topo.nodes.is_empty() {
        return err(1, "nodes", "no nodes: a scenario needs at least one");
    }

    Ok(())
}

fn check_links(
    f: &yaml::FileYaml,
    names: &mut Names,
    topo: &mut TopologySpec,
) -> Result<(), Problem> {
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
        let impair = l
            .impair
            .as_ref()
            .map(|i| super::impair::check(i, &a, &b))
            .transpose()?;
        topo.links.push(LinkSpec {
            ends: [a, b],
            mtu: l.mtu,
            macs,
            impair,
        });
    }

    Ok(())
}

fn check_bridges(
    f: &yaml::FileYaml,
    names: &mut Names,
    topo: &mut TopologySpec,
) -> Result<(), Problem> {
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

    Ok(())
}

fn check_addresses(
    f: &yaml::FileYaml,
    names: &Names,
    topo: &mut TopologySpec,
) -> Result<(), Problem> {
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

    Ok(())
}

fn check_routes(f: &yaml::FileYaml, names: &Names, topo: &mut TopologySpec) -> Result<(), Problem> {
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

    Ok(())
}

/// Each veth end's L2 segment number: the ends of a link, and the ports of a bridge, share one.
fn segments(topo: &TopologySpec) -> BTreeMap<PortRef, usize> {
    let ports = topo.ports();
    let mut parent: Vec<usize> = (0..ports.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let index = |p: &PortRef| ports.iter().position(|q| q == p);
    let mut join = |a: usize, b: usize| {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra] = rb;
    };
    for (i, _) in topo.links.iter().enumerate() {
        join(2 * i, 2 * i + 1);
    }
    for b in &topo.bridges {
        let members: Vec<usize> = b
            .ports
            .iter()
            .filter_map(|p| index(&PortRef::new(&b.node, &p.iface)))
            .collect();
        for w in members.windows(2) {
            join(w[0], w[1]);
        }
    }
    (0..ports.len())
        .map(|i| (ports[i].clone(), root(&mut parent, i)))
        .collect()
}

fn check_vid(v: u16, line: usize, key: &str) -> Result<(), Problem> {
    if (1..=4094).contains(&v) {
        Ok(())
    } else {
        err(line, key, format!("VLAN {v} is out of range 1..=4094"))
    }
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
