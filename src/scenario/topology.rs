//! Building a [`TopologySpec`]: nodes, veth links, bridges, sysctls, addresses, routes, then
//! the setup commands.
//!
//! - [`Topology::build`]: nodes are private namespaces held by this process only
//!   ([`PrivateNetns`]): the kernel removes them, their links and bridges when the topology
//!   drops or the process dies, SIGKILL included.
//! - A node with `netns:` (a name, `/proc/PID/ns/net`, `pid:PID`) is that existing namespace
//!   instead: never removed; the links and bridges the topology declares in it are, when the
//!   topology drops (and by [`down`]), and building refuses to start if one of those names is
//!   already taken there. Sysctls set in it, and what setup commands did, stay.
//! - [`Topology::up`]: named namespaces (`PREFIX` + node name, seen by `ip netns`), left in
//!   place; [`down`] removes exactly those.
//!
//! Everything goes over netlink (links, bridges, addresses, routes, link state) except the
//! VLANs of a filtering bridge, set by `bridge vlan` (iproute2) inside the node: the
//! netlink crate's AF_BRIDGE VLAN messages are untested here, and a wrong family on a
//! delete removes the port itself.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::link::{
    InfoBridge, InfoData, InfoKind, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::model::{BridgeSpec, PortRef, TopologySpec};
use super::{proc, ScenarioError};
use crate::frame::MacAddr;
use crate::link::nl::Netlink;
use crate::link::{iface, netns, veth, Netns, PrivateNetns, VethEnd, VethPairSpec};
use crate::Capability;

/// How long one setup command may run.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

enum Held {
    Private(PrivateNetns),
    Named(Netns),
    /// An existing namespace (`netns:` of the node): never removed.
    Attached(Netns),
}

/// A node: its name and namespace.
pub struct Node {
    pub name: String,
    held: Held,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({})", self.name)
    }
}

impl Node {
    pub fn netns(&self) -> &Netns {
        match &self.held {
            Held::Private(p) => p.netns(),
            Held::Named(n) | Held::Attached(n) => n,
        }
    }

    /// True for a node in an existing namespace (`netns:`).
    pub fn is_attached(&self) -> bool {
        matches!(self.held, Held::Attached(_))
    }
}

/// A built topology. Dropping a private one removes it.
#[derive(Debug)]
pub struct Topology {
    pub spec: TopologySpec,
    nodes: Vec<Node>,
    macs: HashMap<PortRef, MacAddr>,
    /// The addresses the kernel has on the attached nodes' own interfaces used as ports, read
    /// when the topology is up (after the setup commands), in the kernel's order.
    existing_addrs: HashMap<PortRef, Vec<IpAddr>>,
    /// Remove what was made in attached nodes on drop (not after `up`).
    cleanup: bool,
    /// eBPF programs, maps and links (and pins, removed on drop).
    bpf: super::bpf::Held,
    /// The relays of impaired links.
    relays: super::impair::Held,
}

impl Drop for Topology {
    fn drop(&mut self) {
        if self.cleanup {
            // Private namespaces go with their handles; in attached ones, remove the links
            // and bridges this topology made (their names were free when it started).
            for n in self.nodes.iter().filter(|n| n.is_attached()) {
                remove_ifaces(n.netns(), &self.spec.ifaces_of(&n.name));
            }
        }
    }
}

/// Delete the interfaces `names` of `ns` that exist (a veth takes its peer with it).
fn remove_ifaces(ns: &Netns, names: &[&str]) {
    let _ = ns.run(|| {
        let mut nl = Netlink::open()?;
        for name in names {
            if let Ok(info) = iface::info_with(&mut nl, name) {
                let _ = nl.delete_link(info.ifindex);
            }
        }
        Ok(())
    });
}

/// An attached node: its namespace, checked to hold none of the interfaces the topology
/// will make in it (so that what is removed afterwards is only what was made).
fn attach(
    spec: &TopologySpec,
    n: &super::model::NodeSpec,
    r: &netns::NetnsRef,
) -> Result<Netns, ScenarioError> {
    let what = || format!("node {} (netns {r})", n.name);
    let ns = Netns::open_ref(r).map_err(|e| ScenarioError::link(what(), e))?;
    let names = spec.ifaces_of(&n.name);
    let taken = ns
        .run(|| {
            let mut nl = Netlink::open()?;
            Ok(names
                .iter()
                .filter(|i| iface::info_with(&mut nl, i).is_ok())
                .map(|i| i.to_string())
                .collect::<Vec<_>>())
        })
        .map_err(|e| ScenarioError::link(what(), e))?;
    if !taken.is_empty() {
        return Err(ScenarioError::Unsupported(format!(
            "{}: interface {} already exists there; the topology makes it and would remove it",
            what(),
            taken.join(", ")
        )));
    }
    Ok(ns)
}

/// The node's namespace: attached, or made by `make`.
fn node_ns(
    spec: &TopologySpec,
    n: &super::model::NodeSpec,
    nodes: &[Node],
    make: impl FnOnce() -> Result<Held, ScenarioError>,
) -> Result<Held, ScenarioError> {
    let Some(r) = &n.netns else {
        return make();
    };
    let ns = attach(spec, n, r)?;
    if let Some(o) = nodes.iter().find(|o| o.netns().same_as(&ns)) {
        return Err(ScenarioError::Unsupported(format!(
            "node {} (netns {r}) is the namespace of node {} too",
            n.name, o.name
        )));
    }
    Ok(Held::Attached(ns))
}

/// About how many files `spec` holds open once built: a namespace per node; with `ports`
/// (a [`super::Bench`] on it), two sockets per port; per impaired link its relay's, per eBPF
/// program its own and its maps'; and a margin for what opens for a moment (netlink, pipes,
/// a test's pcapng).
pub fn files_needed(spec: &TopologySpec, ports: bool) -> u64 {
    let n = |x: usize| x as u64;
    let mut need = n(spec.nodes.len()) + 32;
    if ports {
        need += 2 * n(spec.ports().len() + spec.existing.len());
    }
    need += 4 * n(spec.links.iter().filter(|l| l.impair.is_some()).count());
    need + 8 * n(spec.bpf.len())
}

/// Make room for [`files_needed`] (the soft limit raised), or refuse before making anything.
pub(crate) fn reserve_files(spec: &TopologySpec, ports: bool) -> Result<(), ScenarioError> {
    crate::error::reserve_open_files(files_needed(spec, ports)).map_err(|e| {
        let ports = if ports {
            format!(" and {} ports", spec.ports().len() + spec.existing.len())
        } else {
            String::new()
        };
        ScenarioError::Io {
            what: format!("{} nodes{ports}", spec.nodes.len()),
            source: std::io::Error::other(e),
        }
    })
}

impl Topology {
    /// Build `spec` in private namespaces and run its setup commands.
    pub fn build(spec: &TopologySpec) -> Result<Self, ScenarioError> {
        let mut nodes = Vec::with_capacity(spec.nodes.len());
        for n in &spec.nodes {
            let held = node_ns(spec, n, &nodes, || {
                PrivateNetns::with_ipv6(n.ipv6)
                    .map(Held::Private)
                    .map_err(|e| ScenarioError::link(format!("node {}", n.name), e))
            })?;
            nodes.push(Node {
                name: n.name.clone(),
                held,
            });
        }
        Self::finish(spec, nodes, true)
    }

    /// Build `spec` in named namespaces `PREFIX`+node, left in place when this drops
    /// (removed by [`down`]). On failure, what was made is removed.
    pub fn up(spec: &TopologySpec, prefix: &str) -> Result<Self, ScenarioError> {
        // Nothing would hold them once `up` exits (and a pin left behind outlives everything).
        if let Some(b) = spec.bpf.first() {
            return Err(ScenarioError::Unsupported(format!(
                "vethbench up cannot keep eBPF programs (bpf: of node {}, line {}): they are held by the process that runs the scenario and go with it; use vethbench run",
                b.node, b.line
            )));
        }
        if let Some(l) = spec.links.iter().find(|l| l.impair.is_some()) {
            return Err(ScenarioError::Unsupported(format!(
                "vethbench up cannot keep the impaired link {} - {}: its relay runs in the process that runs the scenario; use vethbench run",
                l.ends[0], l.ends[1]
            )));
        }
        reserve_files(spec, false)?;
        let mut nodes = Vec::with_capacity(spec.nodes.len());
        let made = (|| {
            for n in &spec.nodes {
                let name = format!("{prefix}{}", n.name);
                let held = node_ns(spec, n, &nodes, || {
                    netns::add(&name)
                        .map(Held::Named)
                        .map_err(|e| ScenarioError::link(format!("node {}", n.name), e))
                })?;
                let attached = matches!(held, Held::Attached(_));
                nodes.push(Node {
                    name: n.name.clone(),
                    held,
                });
                if !n.ipv6 && !attached {
                    nodes
                        .last()
                        .expect("pushed")
                        .netns()
                        .run(|| {
                            for knob in ["all", "default"] {
                                netns::set_disable_ipv6(knob, true)?;
                            }
                            Ok(())
                        })
                        .map_err(|e| ScenarioError::link(format!("node {}", n.name), e))?;
                }
            }
            Ok(())
        })();
        if let Err(e) = made {
            for n in nodes.iter().filter(|n| !n.is_attached()) {
                let _ = netns::del(&format!("{prefix}{}", n.name));
            }
            return Err(e);
        }
        let r = Self::finish(spec, nodes, false);
        if r.is_err() {
            let _ = down(spec, prefix);
        }
        r
    }

    fn finish(spec: &TopologySpec, nodes: Vec<Node>, cleanup: bool) -> Result<Self, ScenarioError> {
        let mut t = Topology {
            spec: spec.clone(),
            nodes,
            macs: HashMap::new(),
            existing_addrs: HashMap::new(),
            cleanup,
            bpf: Default::default(),
            relays: Default::default(),
        };
        t.links()?;
        for n in &spec.nodes {
            t.configure(&n.name)?;
        }
        for b in &spec.bridges {
            t.bridge_vlans(b)?;
        }
        if !spec.bpf.is_empty() {
            t.bpf = super::bpf::Held::attach(spec, |n| t.netns(n))?;
        }
        for c in &spec.setup {
            let out = proc::run(
                t.netns(&c.node)?,
                &c.run,
                &proc::How {
                    dir: spec.dir.as_deref(),
                    ..Default::default()
                },
                SETUP_TIMEOUT,
            )
            .map_err(|e| ScenarioError::Io {
                what: format!("setup on {}: '{}'", c.node, c.run),
                source: e,
            })?;
            if out.code != Some(0) {
                return Err(ScenarioError::Setup {
                    node: c.node.clone(),
                    run: c.run.clone(),
                    line: c.line,
                    status: out.status_text(),
                    stderr: out.stderr,
                });
            }
        }
        t.existing()?;
        Ok(t)
    }

    /// The attached nodes' own interfaces that steps use as ports: each must exist, and be
    /// virtual or a bridge of virtual links only, unless the node says `allow_physical`; their
    /// MACs and addresses are read (for `mac()`, `ip()` and a frame's default sources). Only
    /// looked at: never reconfigured.
    fn existing(&mut self) -> Result<(), ScenarioError> {
        for p in &self.spec.existing {
            let node = self.spec.find_node(&p.node);
            let what = || match node.and_then(|n| n.netns.as_ref()) {
                Some(r) => format!("node {} (netns {r})", p.node),
                None => format!("node {}", p.node),
            };
            let all = self
                .netns(&p.node)?
                .run(iface::list)
                .map_err(|e| ScenarioError::link(what(), e))?;
            let Some(d) = all.iter().find(|d| d.info.name == p.iface) else {
                let names: Vec<&str> = all.iter().map(|d| d.info.name.as_str()).collect();
                return Err(ScenarioError::Unsupported(format!(
                    "{}: no interface '{}' there for port {p} (it has: {})",
                    what(),
                    p.iface,
                    names.join(", ")
                )));
            };
            let physical: Vec<&str> = if d.info.kind.as_deref() == Some("bridge") {
                all.iter()
                    .filter(|m| m.controller == Some(d.info.ifindex) && !m.info.is_virtual())
                    .map(|m| m.info.name.as_str())
                    .collect()
            } else if d.info.is_virtual() {
                Vec::new()
            } else {
                vec![d.info.name.as_str()]
            };
            if !physical.is_empty() && !node.is_some_and(|n| n.allow_physical) {
                return Err(ScenarioError::Unsupported(format!(
                    "{}: refusing port {p}: frames on {} (kind {}) can reach a physical network; \
                     only virtual links ({}) and bridges of them are ports unless the node says \
                     allow_physical: true",
                    what(),
                    physical.join(", "),
                    crate::link::policy::kind_name(
                        &all.iter()
                            .find(|m| m.info.name == physical[0])
                            .and_then(|m| m.info.kind.clone())
                    ),
                    crate::link::policy::VIRTUAL_KINDS
                )));
            }
            self.macs.insert(p.clone(), MacAddr(d.info.mac));
            let ifindex = d.info.ifindex;
            let mut addrs = self
                .netns(&p.node)?
                .run(move || crate::link::addr::of_iface(ifindex))
                .map_err(|e| ScenarioError::link(what(), e))?;
            // An IPv6 link-local address last: `ip()` names the one a test means.
            addrs.sort_by_key(|a| matches!(a, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80));
            self.existing_addrs.insert(p.clone(), addrs);
        }
        Ok(())
    }

    /// The namespace of node `name`.
    pub fn netns(&self, name: &str) -> Result<&Netns, ScenarioError> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .map(Node::netns)
            .ok_or_else(|| ScenarioError::NoSuchNode(name.to_string()))
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The eBPF programs and maps the topology holds.
    pub fn bpf(&self) -> &super::bpf::Held {
        &self.bpf
    }

    /// The relays of its impaired links.
    pub fn relays_mut(&mut self) -> &mut super::impair::Held {
        &mut self.relays
    }

    /// The MAC of a veth end or bridge.
    pub fn mac(&self, port: &PortRef) -> Option<MacAddr> {
        self.macs.get(port).copied()
    }

    /// The first address of `port` in the family of `v6` (None: any): of those the file gives
    /// it, else (an attached node's own interface) of those the kernel had on it when the
    /// topology came up.
    pub fn ip(&self, port: &PortRef, v6: Option<bool>) -> Option<IpAddr> {
        let family = |a: &IpAddr| v6.is_none_or(|v6| a.is_ipv6() == v6);
        self.spec
            .addresses
            .iter()
            .filter(|(p, _)| p == port)
            .flat_map(|(_, v)| v)
            .map(|c| c.addr)
            .find(family)
            .or_else(|| {
                self.existing_addrs
                    .get(port)
                    .and_then(|v| v.iter().copied().find(family))
            })
    }

    fn links(&mut self) -> Result<(), ScenarioError> {
        for (i, l) in self.spec.links.iter().enumerate() {
            let [a, b] = &l.ends;
            if l.impair.is_some() {
                let (ia, ib) = self.relays.link(
                    &self.spec,
                    i,
                    self.nodes
                        .iter()
                        .find(|n| n.name == a.node)
                        .expect("checked node")
                        .netns(),
                    self.nodes
                        .iter()
                        .find(|n| n.name == b.node)
                        .expect("checked node")
                        .netns(),
                )?;
                self.macs.insert(a.clone(), MacAddr(ia.mac));
                self.macs.insert(b.clone(), MacAddr(ib.mac));
                continue;
            }
            let spec = VethPairSpec {
                a: VethEnd {
                    mac: l.macs[0].map(|m| m.0),
                    ..VethEnd::new(&a.iface)
                },
                b: VethEnd {
                    mac: l.macs[1].map(|m| m.0),
                    ..VethEnd::new(&b.iface)
                },
                mtu: l.mtu,
                up: false,
                // Per node below (a node may keep IPv6), before anything goes up.
                disable_ipv6: false,
            };
            let (ia, ib) = veth::create(&spec, self.netns(&a.node)?, self.netns(&b.node)?)
                .map_err(|e| ScenarioError::link(format!("link {a} - {b}"), e))?;
            self.macs.insert(a.clone(), MacAddr(ia.mac));
            self.macs.insert(b.clone(), MacAddr(ib.mac));
        }
        Ok(())
    }

    /// One node, on one thread inside it: IPv6 off on its ends, bridges and their ports,
    /// sysctls, everything up, addresses, routes.
    fn configure(&mut self, node: &str) -> Result<(), ScenarioError> {
        let spec = &self.spec;
        let n = spec.find_node(node).expect("checked node");
        let ends: Vec<&str> = spec
            .links
            .iter()
            .flat_map(|l| &l.ends)
            .filter(|p| p.node == node)
            .map(|p| p.iface.as_str())
            .collect();
        let bridges: Vec<&BridgeSpec> = spec.bridges.iter().filter(|b| b.node == node).collect();
        let ns = self.netns(node)?;
        let what = |w: &str| format!("node {node}: {w}");
        let bridge_macs = ns
            .run(|| -> Result<Result<Vec<(String, MacAddr)>, ScenarioError>, crate::link::LinkError> {
                let mut nl = Netlink::open()?;
                let io = |op: String| move |e: std::io::Error| ScenarioError::link(format!("node {node}"), crate::link::LinkError::from_errno(op.clone(), e, Capability::NetAdmin));
                let mut index = HashMap::new();
                for e in &ends {
                    if !n.ipv6 {
                        netns::set_disable_ipv6(e, true)?;
                    }
                    index.insert(e.to_string(), iface::info_with(&mut nl, e)?.ifindex);
                }
                let mut macs = Vec::new();
                for b in &bridges {
                    if let Err(e) = nl.create_link(bridge_message(b)) {
                        if b.vlan_filtering && e.raw_os_error() == Some(libc::EOPNOTSUPP) {
                            return Ok(Err(ScenarioError::Unsupported(format!(
                                "node {node}: bridge '{}' with vlan_filtering: this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)",
                                b.name
                            ))));
                        }
                        return Ok(Err(io(format!("create bridge '{}'", b.name))(e)));
                    }
                    if !n.ipv6 {
                        netns::set_disable_ipv6(&b.name, true)?;
                    }
                    let info = iface::info_with(&mut nl, &b.name)?;
                    macs.push((b.name.clone(), MacAddr(info.mac)));
                    for p in &b.ports {
                        let mut m = LinkMessage::default();
                        m.header.index = index[&p.iface];
                        m.attributes.push(LinkAttribute::Controller(info.ifindex));
                        if let Err(e) = nl.ack(RouteNetlinkMessage::SetLink(m), 0) {
                            return Ok(Err(io(format!("add '{}' to bridge '{}'", p.iface, b.name))(e)));
                        }
                    }
                    index.insert(b.name.clone(), info.ifindex);
                }
                for (k, v) in &n.sysctl {
                    let path = format!("/proc/sys/{}", k.replace('.', "/"));
                    if let Err(e) = std::fs::write(&path, v) {
                        return Ok(Err(ScenarioError::Io {
                            what: what(&format!("sysctl {k}={v}")),
                            source: e,
                        }));
                    }
                }
                for (name, ix) in &index {
                    if let Err(e) = nl.set_up(*ix, true) {
                        return Ok(Err(io(format!("bring '{name}' up"))(e)));
                    }
                }
                for (p, cidrs) in spec.addresses.iter().filter(|(p, _)| p.node == node) {
                    for c in cidrs {
                        if let Err(e) = nl.add_address(index[&p.iface], c.addr, c.prefix) {
                            return Ok(Err(io(format!("add address {c} to '{}'", p.iface))(e)));
                        }
                    }
                }
                for (_, routes) in spec.routes.iter().filter(|(n, _)| n == node) {
                    for r in routes {
                        let oif = r.dev.as_ref().map(|d| index[d]);
                        if let Err(e) = nl.ack(RouteNetlinkMessage::NewRoute(route_message(r, oif)), NLM_F_CREATE | NLM_F_EXCL) {
                            return Ok(Err(io(format!("add route '{}'", r.text))(e)));
                        }
                    }
                }
                Ok(Ok(macs))
            })
            .map_err(|e| ScenarioError::link(what("configure"), e))??;
        for (b, m) in bridge_macs {
            self.macs.insert(PortRef::new(node, &b), m);
        }
        Ok(())
    }

    /// A filtering bridge's VLANs, by `bridge -batch` in the node.
    fn bridge_vlans(&self, b: &BridgeSpec) -> Result<(), ScenarioError> {
        let mut cmds = Vec::new();
        for p in &b.ports {
            if let Some(pvid) = p.pvid {
                let dflt = b.pvid.unwrap_or(1);
                if pvid != dflt {
                    cmds.push(format!("vlan del dev {} vid {dflt}", p.iface));
                }
                cmds.push(format!("vlan add dev {} vid {pvid} pvid untagged", p.iface));
            }
            for v in &p.vids {
                cmds.push(format!("vlan add dev {} vid {v}", p.iface));
            }
        }
        for v in &b.vids {
            cmds.push(format!("vlan add dev {} vid {v} self", b.name));
        }
        if cmds.is_empty() {
            return Ok(());
        }
        let line = cmds
            .iter()
            .map(|c| format!("bridge {c}"))
            .collect::<Vec<_>>()
            .join(" && ");
        let out = proc::run(
            self.netns(&b.node)?,
            &line,
            &proc::How::default(),
            SETUP_TIMEOUT,
        )
        .map_err(|e| ScenarioError::Io {
            what: format!("bridge {}:{} VLANs (bridge vlan)", b.node, b.name),
            source: e,
        })?;
        if out.code != Some(0) {
            return Err(ScenarioError::Setup {
                node: b.node.clone(),
                run: line,
                line: 0,
                status: out.status_text(),
                stderr: out.stderr,
            });
        }
        Ok(())
    }
}

fn bridge_message(b: &BridgeSpec) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.attributes.push(LinkAttribute::IfName(b.name.clone()));
    // Only when asked: a kernel without CONFIG_BRIDGE_VLAN_FILTERING refuses the attribute.
    let mut data = Vec::new();
    if b.vlan_filtering {
        data.push(InfoBridge::VlanFiltering(true));
    }
    if let Some(p) = b.pvid {
        data.push(InfoBridge::VlanDefaultPvid(p));
    }
    let mut info = vec![LinkInfo::Kind(InfoKind::Bridge)];
    if !data.is_empty() {
        info.push(LinkInfo::Data(InfoData::Bridge(data)));
    }
    m.attributes.push(LinkAttribute::LinkInfo(info));
    m
}

fn route_message(r: &super::model::RouteSpec, oif: Option<u32>) -> RouteMessage {
    let mut m = RouteMessage::default();
    let v6 = match (&r.dst, &r.via) {
        (Some(d), _) => d.addr.is_ipv6(),
        (None, Some(v)) => v.is_ipv6(),
        _ => false,
    };
    m.header.address_family = if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    m.header.table = RouteHeader::RT_TABLE_MAIN;
    m.header.protocol = RouteProtocol::Boot;
    m.header.kind = RouteType::Unicast;
    m.header.scope = if r.via.is_some() {
        RouteScope::Universe
    } else {
        RouteScope::Link
    };
    let addr = |a: IpAddr| match a {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    };
    if let Some(d) = &r.dst {
        m.header.destination_prefix_length = d.prefix;
        m.attributes
            .push(RouteAttribute::Destination(addr(network(d.addr, d.prefix))));
    }
    if let Some(v) = r.via {
        m.attributes.push(RouteAttribute::Gateway(addr(v)));
    }
    if let Some(i) = oif {
        m.attributes.push(RouteAttribute::Oif(i));
    }
    m
}

/// The network of `a/prefix` (the kernel refuses host bits in a route's destination).
fn network(a: IpAddr, prefix: u8) -> IpAddr {
    match a {
        IpAddr::V4(v) => {
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            IpAddr::V4((u32::from(v) & m).into())
        }
        IpAddr::V6(v) => {
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            IpAddr::V6((u128::from(v) & m).into())
        }
    }
}

/// Remove the named namespaces [`Topology::up`] made for `spec` with `prefix`; their links
/// and bridges go with them. Returns the names removed; a missing one is skipped.
pub fn down(spec: &TopologySpec, prefix: &str) -> Result<Vec<String>, ScenarioError> {
    let mut gone = Vec::new();
    // Attached nodes stay; the links and bridges declared in them go.
    for n in &spec.nodes {
        if let Some(r) = &n.netns {
            let ns = Netns::open_ref(r)
                .map_err(|e| ScenarioError::link(format!("node {} (netns {r})", n.name), e))?;
            remove_ifaces(&ns, &spec.ifaces_of(&n.name));
        }
    }
    for n in spec.nodes.iter().filter(|n| n.netns.is_none()) {
        let name = format!("{prefix}{}", n.name);
        match netns::del(&name) {
            Ok(()) => gone.push(name),
            // Missing, or removed by a concurrent `down` meanwhile: gone either way.
            Err(
                crate::link::LinkError::NoSuchNetns { .. }
                | crate::link::LinkError::NetnsGone { .. },
            ) => {}
            Err(e) => return Err(ScenarioError::link(format!("node {}", n.name), e)),
        }
    }
    Ok(gone)
}
