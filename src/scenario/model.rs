//! The checked model of a scenario: a topology (nodes, links, bridges, addresses, routes,
//! setup commands) and tests made of steps. Built by [`super::load()`] from a file (every
//! reference already resolved, every value checked) or by hand through [`TopologySpec`]'s
//! builder methods; nothing here touches the kernel.
//!
//! What stays true: a [`PortRef`] names an interface of a node that the topology declares (a
//! veth end or a bridge), or one of an attached node's own ([`TopologySpec::existing`]);
//! `line` fields are 1-based lines of the scenario file (0: built in Rust).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::frame::MacAddr;
use crate::link::Cidr;

/// `NODE:IFACE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRef {
    pub node: String,
    pub iface: String,
}

impl PortRef {
    pub fn new(node: &str, iface: &str) -> Self {
        PortRef {
            node: node.to_string(),
            iface: iface.to_string(),
        }
    }

    /// `"h1:eth0"`; None without exactly one `:` or with an empty side.
    pub fn parse(s: &str) -> Option<Self> {
        let (node, iface) = s.split_once(':')?;
        if node.is_empty() || iface.is_empty() || iface.contains(':') {
            return None;
        }
        Some(PortRef::new(node.trim(), iface.trim()))
    }
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.iface)
    }
}

/// A node: a network namespace with `lo` up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeSpec {
    pub name: String,
    /// IPv6 left on (off by default: no RS/MLD/DAD frames in tests).
    pub ipv6: bool,
    /// `net.*` sysctls, written inside the node, in order (e.g. `net.ipv4.ip_forward = 1`).
    pub sysctl: Vec<(String, String)>,
    /// An existing namespace used as the node (a container's, `ip netns`'s): never removed,
    /// only the links and bridges the topology declares in it are. None: a private one.
    pub netns: Option<crate::link::netns::NetnsRef>,
    /// In an attached node, its own interfaces may be ports even when their frames can reach
    /// a physical network (a NIC, a bridge with one); off: only virtual links and bridges of
    /// virtual links.
    pub allow_physical: bool,
}

/// A veth pair between two nodes (or two interfaces of one node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    pub ends: [PortRef; 2],
    pub mtu: Option<u32>,
    pub macs: [Option<MacAddr>; 2],
    /// Seeded impairments on the way (a relay between the two ends).
    pub impair: Option<super::impair::LinkImpair>,
}

/// A port of a bridge, with its VLANs when the bridge filters them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgePortSpec {
    /// An interface of the bridge's node.
    pub iface: String,
    /// The port's PVID: untagged frames in go to this VLAN, and it leaves untagged.
    pub pvid: Option<u16>,
    /// Tagged VLANs the port carries.
    pub vids: Vec<u16>,
}

/// A Linux bridge in a node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgeSpec {
    pub node: String,
    pub name: String,
    pub ports: Vec<BridgePortSpec>,
    pub vlan_filtering: bool,
    /// The bridge's default PVID (the kernel's is 1).
    pub pvid: Option<u16>,
    /// VLANs of the bridge device itself (towards the node's own stack), tagged.
    pub vids: Vec<u16>,
}

/// A route in a node: `default via 198.18.1.1`, `198.18.9.0/24 via 198.18.1.1 dev eth0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// None: default.
    pub dst: Option<Cidr>,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// As written.
    pub text: String,
}

/// A command line run by `sh -c` inside a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub node: String,
    pub run: String,
    pub line: usize,
}

/// Where everything lives, as asked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopologySpec {
    pub nodes: Vec<NodeSpec>,
    pub links: Vec<LinkSpec>,
    pub bridges: Vec<BridgeSpec>,
    pub addresses: Vec<(PortRef, Vec<Cidr>)>,
    pub routes: Vec<(String, Vec<RouteSpec>)>,
    pub setup: Vec<CommandSpec>,
    /// Setup, exec and daemon commands run in this directory (the scenario file's).
    pub dir: Option<PathBuf>,
    /// Interfaces of attached nodes that steps use as ports and the topology does not make
    /// (a container's `eth0`, a bridge): checked when the run starts, never removed or
    /// reconfigured.
    pub existing: Vec<PortRef>,
    /// eBPF programs attached to the nodes' interfaces (`bpf:` of a node).
    pub bpf: Vec<super::bpf::BpfProgSpec>,
}

impl TopologySpec {
    /// An empty topology; add to it with the builder methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// A node with IPv6 off and no sysctl.
    pub fn node(mut self, name: &str) -> Self {
        self.nodes.push(NodeSpec {
            name: name.to_string(),
            ..NodeSpec::default()
        });
        self
    }

    /// A sysctl of the last node added (e.g. `("net.ipv4.ip_forward", "1")`).
    pub fn sysctl(mut self, key: &str, value: &str) -> Self {
        if let Some(n) = self.nodes.last_mut() {
            n.sysctl.push((key.to_string(), value.to_string()));
        }
        self
    }

    /// A veth pair between `a` and `b` (`NODE:IFACE` each). Panics on a malformed reference:
    /// the builder is for code, where that is a bug.
    pub fn link(mut self, a: &str, b: &str) -> Self {
        let p = |s: &str| PortRef::parse(s).unwrap_or_else(|| panic!("not NODE:IFACE: {s}"));
        self.links.push(LinkSpec {
            ends: [p(a), p(b)],
            mtu: None,
            macs: [None, None],
            impair: None,
        });
        self
    }

    /// An address on `NODE:IFACE` (e.g. `198.18.1.2/24`). Panics when malformed.
    pub fn address(mut self, port: &str, cidr: &str) -> Self {
        let p = PortRef::parse(port).unwrap_or_else(|| panic!("not NODE:IFACE: {port}"));
        let c = Cidr::parse(cidr).unwrap_or_else(|e| panic!("{e}"));
        match self.addresses.iter_mut().find(|(q, _)| *q == p) {
            Some((_, v)) => v.push(c),
            None => self.addresses.push((p, vec![c])),
        }
        self
    }

    /// A route of `node` (`default via 198.18.1.1`). Panics when malformed.
    pub fn route(mut self, node: &str, route: &str) -> Self {
        let r = super::check::parse_route(route).unwrap_or_else(|e| panic!("{e}"));
        match self.routes.iter_mut().find(|(n, _)| n == node) {
            Some((_, v)) => v.push(r),
            None => self.routes.push((node.to_string(), vec![r])),
        }
        self
    }

    /// A command run by `sh -c` in `node` once the topology is up.
    pub fn setup(mut self, node: &str, run: &str) -> Self {
        self.setup.push(CommandSpec {
            node: node.to_string(),
            run: run.to_string(),
            line: 0,
        });
        self
    }

    /// The node named `name`.
    pub fn find_node(&self, name: &str) -> Option<&NodeSpec> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The interfaces the topology makes in `node`: its veth ends, then its bridges.
    pub fn ifaces_of(&self, node: &str) -> Vec<&str> {
        let ends = self.links.iter().flat_map(|l| &l.ends);
        ends.filter(|p| p.node == node)
            .map(|p| p.iface.as_str())
            .chain(
                self.bridges
                    .iter()
                    .filter(|b| b.node == node)
                    .map(|b| b.name.as_str()),
            )
            .collect()
    }

    /// Every veth end, in declaration order: the ports a bench opens.
    pub fn ports(&self) -> Vec<PortRef> {
        self.links.iter().flat_map(|l| l.ends.clone()).collect()
    }
}

/// A frame as written: a Scapy expression, kept as text and parsed once (or, when it uses
/// saved values, `${name}`, parsed again at run time with them in place).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSrc {
    pub text: String,
    pub expr: crate::frame::expr::Expr,
    /// The text holds `${name}`: substituted and parsed when the step runs.
    pub vars: bool,
}

/// Values saved by `save:` of an earlier step of the test, by name.
pub type Vars = std::collections::BTreeMap<String, String>;

/// What `save: {natport: udp.srcport}` keeps: a name and the view's field (canonical name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Save {
    pub name: String,
    pub field: &'static str,
}

/// What `expect` (and `sr`'s answer) waits for: a frame (with fields to ignore), field
/// conditions, or both (at least one of the two).
#[derive(Debug, Clone, PartialEq)]
pub struct Want {
    pub frame: Option<FrameSrc>,
    /// Field names (the view's canonical ones) masked out of the frame.
    pub ignore: Vec<String>,
    pub fields: Vec<super::fields::FieldCond>,
    /// Values of the matched frame kept for later steps.
    pub save: Vec<Save>,
    /// Frames passed over stay pending (true) or are consumed, as PTF does (false).
    pub strict: bool,
}

/// A threshold of a stream: a count of frames, or a share of those sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Frames(u64),
    Percent(f64),
}

impl Limit {
    /// True when `n` of `sent` is within the limit (at most it).
    pub fn allows(self, n: u64, sent: u64) -> bool {
        match self {
            Limit::Frames(m) => n <= m,
            Limit::Percent(p) => sent == 0 || (n as f64) * 100.0 <= p * sent as f64,
        }
    }

    /// True when `n` of `sent` reaches the limit (at least it).
    pub fn reached(self, n: u64, sent: u64) -> bool {
        match self {
            Limit::Frames(m) => n >= m,
            Limit::Percent(p) => (n as f64) * 100.0 >= p * sent as f64,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Frames(n) => write!(f, "{n}"),
            Limit::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// How a daemon says it is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// A TCP socket listening on this port in the node.
    Tcp(u16),
    /// This path exists (relative: to the scenario's directory).
    File(PathBuf),
}

/// A stream between two ports, measured as `vethbench test` does.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStep {
    pub from: PortRef,
    pub to: PortRef,
    pub frame: Option<FrameSrc>,
    /// The frame as it arrives (a router rewrote its MACs, decremented its TTL): what the
    /// receiver checks instead of `frame`, in the headers outside the transport checksum.
    pub expect: Option<FrameSrc>,
    /// Fields (canonical names) not checked on arrival.
    pub ignore: Vec<String>,
    pub size: Option<usize>,
    pub rate_pps: Option<f64>,
    pub count: Option<u64>,
    pub duration: Option<Duration>,
    pub max_loss: Option<Limit>,
    /// At least this much must be lost (a device that drops: `100%`).
    pub min_loss: Option<Limit>,
    pub max_reorder: Option<Limit>,
    pub max_p99_us: Option<f64>,
    /// Fields of the frame as it arrived (a port `any` latched to, the NAT's choice), kept
    /// for later steps.
    pub save: Vec<Save>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    Send {
        port: PortRef,
        frame: FrameSrc,
        count: u64,
        rate_pps: Option<f64>,
    },
    Expect {
        port: PortRef,
        want: Want,
        within: Duration,
    },
    ExpectNone {
        ports: Vec<PortRef>,
        wait: Duration,
    },
    Sr {
        port: PortRef,
        frame: FrameSrc,
        want: Want,
        within: Duration,
    },
    Ping {
        node: String,
        to: IpAddr,
        count: u32,
    },
    Exec {
        node: String,
        run: String,
        exit: i32,
        expect_output: Option<regex::Regex>,
        timeout: Duration,
    },
    Stream(Box<StreamStep>),
    Daemon {
        node: String,
        run: String,
        ready: Option<Ready>,
        /// How long it has to become ready.
        timeout: Duration,
    },
    MapUpdate(Box<super::bpf::MapStep>),
    MapExpect(Box<super::bpf::MapStep>),
    ProgRun(Box<super::bpf::ProgRunStep>),
    Compare(Box<CompareStep>),
}

/// `compare: {port, golden, ignore, match, settle}`: what a port received during the test,
/// field by field against a golden capture (`vethbench diff`'s engine).
#[derive(Debug, Clone)]
pub struct CompareStep {
    pub port: PortRef,
    /// As written in the file (relative to the file's directory).
    pub golden: PathBuf,
    /// Fields and protocols left out, how frames are paired.
    pub options: crate::diff::DiffOptions,
    /// How long to keep reading the port before comparing (frames still on their way).
    pub settle: Duration,
}

impl StepKind {
    /// The step's key in the file (`send`, `expect`...).
    pub fn keyword(&self) -> &'static str {
        match self {
            StepKind::Send { .. } => "send",
            StepKind::Expect { .. } => "expect",
            StepKind::ExpectNone { .. } => "expect_none",
            StepKind::Sr { .. } => "sr",
            StepKind::Ping { .. } => "ping",
            StepKind::Exec { .. } => "exec",
            StepKind::Stream(_) => "stream",
            StepKind::Daemon { .. } => "daemon",
            StepKind::Compare(_) => "compare",
            StepKind::MapUpdate(_) => "map_update",
            StepKind::MapExpect(_) => "map_expect",
            StepKind::ProgRun(_) => "prog_run",
        }
    }

    /// A one-line description for reports: `expect on h2:eth0`.
    pub fn describe(&self) -> String {
        let k = self.keyword();
        match self {
            StepKind::Send { port, count, .. } if *count > 1 => format!("{k} {count} on {port}"),
            StepKind::Send { port, .. }
            | StepKind::Expect { port, .. }
            | StepKind::Sr { port, .. } => format!("{k} on {port}"),
            StepKind::ExpectNone { ports, .. } => format!(
                "{k} on {}",
                ports
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            StepKind::Ping { node, to, .. } => format!("{k} {to} from {node}"),
            StepKind::Exec { node, run, .. } | StepKind::Daemon { node, run, .. } => {
                format!("{k} on {node}: {run}")
            }
            StepKind::Stream(s) => format!("{k} {} -> {}", s.from, s.to),
            StepKind::Compare(c) => format!("{k} {} with {}", c.port, c.golden.display()),
            StepKind::MapUpdate(m) | StepKind::MapExpect(m) => {
                format!("{k} {}[{}] on {}", m.map, m.key, m.node)
            }
            StepKind::ProgRun(p) => format!(
                "{k} {} on {}{}",
                p.program,
                p.node,
                if p.dual { " (dual)" } else { "" }
            ),
        }
    }
}

/// One step and where it was written.
#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    pub kind: StepKind,
}

/// A test: steps run in order; the first failure ends it.
#[derive(Debug, Clone)]
pub struct TestSpec {
    pub name: String,
    pub line: usize,
    /// The background frames ignored in `expect`/`expect_none` (by default IPv6 ND, MLD,
    /// LLDP, IGMP, STP; not ARP).
    pub noise: crate::harness::NoiseFilter,
    pub steps: Vec<Step>,
    /// Run after the steps, whatever happened (a failure, Ctrl-C, SIGTERM), before the file's.
    pub teardown: Vec<CommandSpec>,
}

/// A whole scenario file, checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub path: PathBuf,
    pub topology: TopologySpec,
    pub tests: Vec<TestSpec>,
    /// Run after the last test, whatever happened, before the topology is removed.
    pub teardown: Vec<CommandSpec>,
}
