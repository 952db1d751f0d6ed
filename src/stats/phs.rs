//! The protocol hierarchy (tshark's `-z io,phs`): every frame's chain of layers, as the packet
//! view finds them, counted into a tree (frames and bytes per node, children in the order first
//! seen). A quoted packet (inside an ICMP error) is not part of the chain, as in tshark.

use std::fmt::Write as _;

use crate::frame::view::{LayerKind, Layout};

#[derive(Debug, Clone)]
struct Node {
    name: &'static str,
    frames: u64,
    bytes: u64,
    children: Vec<usize>,
}

/// The protocol hierarchy tree.
#[derive(Debug, Default)]
pub struct Hierarchy {
    nodes: Vec<Node>,
    roots: Vec<usize>,
}

/// tshark's name of a layer (its protocol filter name).
fn name(p: LayerKind) -> Option<&'static str> {
    Some(match p {
        LayerKind::Eth => "eth",
        LayerKind::Llc => "llc",
        LayerKind::Vlan => "vlan",
        LayerKind::Dot1ad => "ieee8021ad",
        LayerKind::Arp => "arp",
        LayerKind::Mpls => "mpls",
        LayerKind::Ipv4 => "ip",
        LayerKind::Ipv6 => "ipv6",
        LayerKind::Fragment | LayerKind::Data => "data",
        LayerKind::Tcp => "tcp",
        LayerKind::Udp => "udp",
        LayerKind::Icmp => "icmp",
        LayerKind::Icmpv6 => "icmpv6",
        LayerKind::Igmp => "igmp",
        LayerKind::Gre => "gre",
        LayerKind::Vxlan => "vxlan",
        LayerKind::Geneve => "geneve",
        LayerKind::Erspan => "erspan",
        LayerKind::Nsh => "nsh",
        LayerKind::Pim => "pim",
        LayerKind::Quoted => return None,
    })
}

impl Hierarchy {
    pub(super) fn add(&mut self, lay: &Layout, len: u32) {
        let mut parent: Option<usize> = None;
        let layers = lay.layers();
        for (i, h) in layers.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| layers[p].proto);
            let n = match name(h.proto) {
                // An ICMP echo's data is ICMP's own field in tshark's tree.
                Some("data") if matches!(prev, Some(LayerKind::Icmp | LayerKind::Icmpv6)) => break,
                // A later fragment is data once (its bytes, undecoded).
                Some("data") if prev == Some(LayerKind::Fragment) => break,
                Some(n) => n,
                // A quoted packet's layers are not counted, but its data is, under the ICMP.
                None if layers[i..].iter().any(|l| l.proto == LayerKind::Data) => "data",
                None => break,
            };
            let siblings = match parent {
                Some(p) => &self.nodes[p].children,
                None => &self.roots,
            };
            let node = match siblings.iter().find(|&&c| self.nodes[c].name == n) {
                Some(&c) => c,
                None => {
                    let c = self.nodes.len();
                    self.nodes.push(Node {
                        name: n,
                        frames: 0,
                        bytes: 0,
                        children: Vec::new(),
                    });
                    match parent {
                        Some(p) => self.nodes[p].children.push(c),
                        None => self.roots.push(c),
                    }
                    c
                }
            };
            self.nodes[node].frames += 1;
            self.nodes[node].bytes += u64::from(len);
            parent = Some(node);
            if h.proto == LayerKind::Quoted {
                break;
            }
        }
    }

    fn write_node(&self, out: &mut String, k: usize, depth: usize) {
        let n = &self.nodes[k];
        let label = format!("{}{}", "  ".repeat(depth), n.name);
        let _ = writeln!(out, "{label:<41}frames:{} bytes:{}", n.frames, n.bytes);
        for &c in &n.children {
            self.write_node(out, c, depth + 1);
        }
    }

    /// tshark's `-z io,phs` text.
    pub fn write_text(&self, out: &mut String) {
        let rule = "=".repeat(67);
        let _ = writeln!(out, "\n{rule}\nProtocol Hierarchy Statistics\nFilter: \n");
        for &r in &self.roots {
            self.write_node(out, r, 0);
        }
        let _ = writeln!(out, "{rule}");
    }

    fn node_json(&self, k: usize) -> serde_json::Value {
        let n = &self.nodes[k];
        serde_json::json!({
            "protocol": n.name, "frames": n.frames, "bytes": n.bytes,
            "children": n.children.iter().map(|&c| self.node_json(c)).collect::<Vec<_>>(),
        })
    }

    pub(super) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "stat": "io,phs",
            "protocols": self.roots.iter().map(|&r| self.node_json(r)).collect::<Vec<_>>(),
        })
    }
}
