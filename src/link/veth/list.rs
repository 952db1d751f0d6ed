//! Listing veth ends and finding each one's peer, in whatever namespace holds it.
//!
//! A peer is named by IFLA_LINK (its ifindex *in its own namespace*) plus IFLA_LINK_NETNSID
//! (that namespace, as an id local to the end's namespace). An ifindex alone is ambiguous:
//! both ends of a pair across two fresh namespaces are often ifindex 2, and every container's
//! `eth0` is. The id is mapped back to a namespace by asking RTM_GETNSID, from a socket in the
//! end's namespace, about candidate namespaces: every one on the host ([`netns::scan`]: named,
//! bind-mounted by a runtime, held only by processes), so a container's `eth0` is found and
//! reported with the process and container that hold it.
//!
//! Cost: [`list_all`] dumps each namespace's links once (on one thread that moves from one
//! namespace to the next), then checks each cross-namespace peer against the namespaces that
//! have a veth with the right ifindex pointing back, usually one RTM_GETNSID per peer.

use serde::Serialize;

use super::super::iface::{self, LinkDetails};
use super::super::netns::{self, Netns, NetnsEntry, NetnsGuard};
use super::super::nl::Netlink;
use super::super::{addr, check_ifname, format_mac, Cidr, LinkError};
use crate::{Capability, NoSuchInterface};

/// One veth end, as `vethbench veth list --json` prints it (the schema is documented in the
/// README; fields are only ever added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VethRow {
    pub name: String,
    pub ifindex: u32,
    /// The end's namespace under `/run/netns`; null when it has no name (e.g. the host's).
    pub netns: Option<String>,
    /// IFLA_OPERSTATE: "UP", "DOWN", "LOWERLAYERDOWN"...
    pub state: String,
    /// IFF_UP.
    pub admin_up: bool,
    pub mac: String,
    pub mtu: u32,
    /// Null when the peer's namespace was not found (held only by a file descriptor).
    pub peer_name: Option<String>,
    /// IFLA_LINK: the peer's ifindex in the peer's namespace.
    pub peer_ifindex: Option<u32>,
    /// The peer's namespace name; null when it has no name (or is unknown).
    pub peer_netns: Option<String>,
    /// IFLA_LINK_NETNSID: null when the peer is in the same namespace as this end.
    pub peer_netnsid: Option<i32>,
    /// The end's namespace: its nsfs inode (`lsns -t net`).
    pub netns_inode: Option<u64>,
    /// The end's namespace as a person names it: its name, `pid 1234 (comm)`, a bind-mount
    /// path, or `inode N`.
    pub netns_label: Option<String>,
    /// The lowest PID in the end's namespace, and its command name.
    pub netns_pid: Option<u32>,
    pub netns_comm: Option<String>,
    /// The container holding the end's namespace (64 hex digits), and its runtime.
    pub container_id: Option<String>,
    pub container_runtime: Option<String>,
    /// The same, for the peer's namespace.
    pub peer_netns_inode: Option<u64>,
    pub peer_netns_label: Option<String>,
    pub peer_pid: Option<u32>,
    pub peer_comm: Option<String>,
    pub peer_container_id: Option<String>,
    pub peer_container_runtime: Option<String>,
    /// The end's addresses with their prefix lengths (`198.18.0.1/24`).
    pub addresses: Vec<String>,
}

impl VethRow {
    fn new(l: &LinkDetails) -> Self {
        VethRow {
            name: l.info.name.clone(),
            ifindex: l.info.ifindex,
            netns: None,
            state: l.operstate.clone(),
            admin_up: l.info.admin_up,
            mac: format_mac(&l.info.mac),
            mtu: l.info.mtu,
            peer_name: None,
            peer_ifindex: l.link,
            peer_netns: None,
            peer_netnsid: l.link_netnsid,
            netns_inode: None,
            netns_label: None,
            netns_pid: None,
            netns_comm: None,
            container_id: None,
            container_runtime: None,
            peer_netns_inode: None,
            peer_netns_label: None,
            peer_pid: None,
            peer_comm: None,
            peer_container_id: None,
            peer_container_runtime: None,
            addresses: Vec::new(),
        }
    }

    /// Fill the end's namespace fields from `e` (or from the handle alone when the scan did
    /// not see it: a namespace held only by a file descriptor).
    fn set_own(&mut self, ns: &Netns, e: Option<&NetnsEntry>) {
        self.netns = ns.name().map(str::to_string);
        self.netns_inode = Some(ns.inode());
        self.netns_label = Some(e.map_or_else(|| ns.label(), NetnsEntry::label));
        if let Some(e) = e {
            self.netns_pid = e.pid;
            self.netns_comm = e.comm.clone();
            self.container_id = e.container.as_ref().map(|c| c.id.clone());
            self.container_runtime = e
                .container
                .as_ref()
                .and_then(|c| c.runtime.map(str::to_string));
        }
    }

    /// Fill the end's namespace fields from the scan alone.
    fn set_own_entry(&mut self, e: &NetnsEntry) {
        self.netns = e.name.clone();
        self.netns_inode = Some(e.inode);
        self.netns_label = Some(e.label());
        self.netns_pid = e.pid;
        self.netns_comm = e.comm.clone();
        self.container_id = e.container.as_ref().map(|c| c.id.clone());
        self.container_runtime = e
            .container
            .as_ref()
            .and_then(|c| c.runtime.map(str::to_string));
    }

    /// The peer is in the end's own namespace.
    fn peer_here(&mut self) {
        self.peer_netns = self.netns.clone();
        self.peer_netns_inode = self.netns_inode;
        self.peer_netns_label = self.netns_label.clone();
        self.peer_pid = self.netns_pid;
        self.peer_comm = self.netns_comm.clone();
        self.peer_container_id = self.container_id.clone();
        self.peer_container_runtime = self.container_runtime.clone();
    }

    /// The peer is in the namespace `e`.
    fn peer_in(&mut self, e: &NetnsEntry) {
        self.peer_netns = e.name.clone();
        self.peer_netns_inode = Some(e.inode);
        self.peer_netns_label = Some(e.label());
        self.peer_pid = e.pid;
        self.peer_comm = e.comm.clone();
        self.peer_container_id = e.container.as_ref().map(|c| c.id.clone());
        self.peer_container_runtime = e
            .container
            .as_ref()
            .and_then(|c| c.runtime.map(str::to_string));
    }
}

/// Every veth end in `ns`, each peer found in whatever namespace holds it.
pub fn list(ns: &Netns) -> Result<Vec<VethRow>, LinkError> {
    let (links, addrs, mut nl) = ns.run(|| {
        let mut nl = Netlink::open()?;
        let links = iface::list_with(&mut nl)?;
        Ok((links, addr::dump_with(&mut nl)?, nl))
    })?;
    let entries = netns::scan()?;
    let own = entries.iter().find(|e| e.inode == ns.inode());
    // Candidate namespaces, opened and asked for their id only as far as needed.
    let mut cands: Vec<Candidate> = (0..entries.len()).map(|i| (i, None, None)).collect();
    let mut rows = Vec::new();
    for l in links.iter().filter(|l| is_veth(l)) {
        let mut row = VethRow::new(l);
        row.set_own(ns, own);
        row.addresses = iface::addresses_of(&addrs, l.info.ifindex);
        match (l.link, l.link_netnsid) {
            (Some(peer), None) => {
                row.peer_here();
                row.peer_name = find_index(&links, peer);
            }
            (Some(peer), Some(id)) => {
                if let Some(i) = find_nsid(&mut nl, &entries, &mut cands, id, ns.inode())? {
                    row.peer_in(&entries[i]);
                    let peer_ns = match cands[i].1.take() {
                        Some(n) => Some(n),
                        None => entries[i].open().ok(),
                    };
                    if let Some(peer_ns) = peer_ns {
                        row.peer_name = name_at(&peer_ns, peer);
                    }
                }
            }
            _ => {}
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A scanned namespace as a peer candidate: its index in the scan, the handle when it matched
/// (until used), and the id the end's namespace gives it once asked (inner None: no id).
type Candidate = (usize, Option<Netns>, Option<Option<i32>>);

/// The entry whose namespace `nl`'s namespace calls `id`; opens and asks candidates in turn,
/// remembering each answer.
fn find_nsid(
    nl: &mut Netlink,
    entries: &[NetnsEntry],
    cands: &mut [Candidate],
    id: i32,
    own_inode: u64,
) -> Result<Option<usize>, LinkError> {
    if let Some(c) = cands.iter().find(|c| c.2 == Some(Some(id))) {
        return Ok(Some(c.0));
    }
    for c in cands.iter_mut().filter(|c| c.2.is_none()) {
        let e = &entries[c.0];
        if e.inode == own_inode {
            c.2 = Some(None);
            continue;
        }
        let Ok(ns) = e.open() else {
            c.2 = Some(None);
            continue;
        };
        let got = nl
            .nsid_of(std::os::fd::AsRawFd::as_raw_fd(&ns))
            .map_err(|e| LinkError::from_errno("RTM_GETNSID", e, Capability::NetAdmin))?;
        c.2 = Some(got);
        if got == Some(id) {
            c.1 = Some(ns);
            return Ok(Some(c.0));
        }
        // Not kept open: a host with thousands of namespaces would run out of descriptors.
    }
    Ok(None)
}

/// Every veth end in every network namespace on the host (the caller's, named ones, those
/// bind-mounted by container runtimes, those held only by processes).
///
/// Two passes on one thread that moves from namespace to namespace, each opened and closed
/// in turn (a few descriptors at a time, however many namespaces there are): every link
/// dump first, then, for the ends whose peer is elsewhere, RTM_GETNSID from the end's
/// namespace about the few namespaces that have a veth at the peer's ifindex pointing back.
pub fn list_all() -> Result<Vec<VethRow>, LinkError> {
    let entries = netns::scan()?;
    // The caller's namespace, opened here: its path is relative to the opening thread.
    let current = Netns::current()?;
    let open = |e: &NetnsEntry| -> Option<Netns> {
        if e.current {
            Some(Netns::from_fd(
                current.fd().try_clone_to_owned().ok()?,
                None,
            ))
        } else {
            e.open().ok()
        }
    };
    let (dumps, found, addrs) = std::thread::scope(|s| {
        s.spawn(|| {
            // Pass 1: each namespace's veths.
            let mut dumps: Vec<(usize, Vec<LinkDetails>)> = Vec::new();
            let mut addrs: Vec<Vec<(u32, Cidr)>> = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                let Some(ns) = open(e) else { continue };
                let Ok(_in) = NetnsGuard::enter(&ns) else {
                    continue;
                };
                let Ok(mut nl) = Netlink::open() else {
                    continue;
                };
                if let Ok(links) = iface::list_with(&mut nl) {
                    dumps.push((i, links.into_iter().filter(is_veth).collect()));
                    addrs.push(addr::dump_with(&mut nl).unwrap_or_default());
                }
            }
            // Pass 2: (dump k, link index in it) -> the dump its peer is in.
            let mut found: Vec<((usize, usize), usize)> = Vec::new();
            for k in 0..dumps.len() {
                let wanted: Vec<(usize, i32, Vec<usize>)> = dumps[k]
                    .1
                    .iter()
                    .enumerate()
                    .filter_map(|(j, l)| {
                        let (peer, id) = (l.link?, l.link_netnsid?);
                        let cands = (0..dumps.len())
                            .filter(|&m| m != k)
                            .filter(|&m| {
                                dumps[m].1.iter().any(|p| {
                                    p.info.ifindex == peer
                                        && p.link == Some(l.info.ifindex)
                                        && p.link_netnsid.is_some()
                                })
                            })
                            .collect::<Vec<_>>();
                        (!cands.is_empty()).then_some((j, id, cands))
                    })
                    .collect();
                if wanted.is_empty() {
                    continue;
                }
                let Some(ns) = open(&entries[dumps[k].0]) else {
                    continue;
                };
                let Ok(_in) = NetnsGuard::enter(&ns) else {
                    continue;
                };
                let Ok(mut nl) = Netlink::open() else {
                    continue;
                };
                for (j, id, cands) in wanted {
                    for m in cands {
                        let Some(other) = open(&entries[dumps[m].0]) else {
                            continue;
                        };
                        let fd = std::os::fd::AsRawFd::as_raw_fd(&other);
                        if nl.nsid_of(fd).ok().flatten() == Some(id) {
                            found.push(((k, j), m));
                            break;
                        }
                    }
                }
            }
            (dumps, found, addrs)
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    let mut rows = Vec::new();
    for (k, (i, links)) in dumps.iter().enumerate() {
        let e = &entries[*i];
        for (j, l) in links.iter().enumerate() {
            let mut row = VethRow::new(l);
            row.set_own_entry(e);
            row.addresses = iface::addresses_of(&addrs[k], l.info.ifindex);
            match (l.link, l.link_netnsid) {
                (Some(peer), None) => {
                    row.peer_here();
                    row.peer_name = find_index(links, peer);
                }
                (Some(peer), Some(_)) => {
                    if let Some(&(_, m)) = found.iter().find(|(key, _)| *key == (k, j)) {
                        row.peer_in(&entries[dumps[m].0]);
                        row.peer_name = find_index(&dumps[m].1, peer);
                    }
                }
                _ => {}
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The peer of veth `name` in `ns`: the `ethtool -S NAME | grep peer_ifindex` question,
/// answered with the peer's name, ifindex and namespace (and the process and container
/// holding it).
pub fn peer(name: &str, ns: &Netns) -> Result<VethRow, LinkError> {
    check_ifname(name)?;
    let info = ns.run(|| iface::info(name))?;
    if info.kind.as_deref() != Some("veth") {
        return Err(LinkError::NotVeth {
            iface: name.to_string(),
            kind: info.kind.unwrap_or_else(|| "none".to_string()),
        });
    }
    list(ns)?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| LinkError::NoSuchInterface(NoSuchInterface::new(name)))
}

fn is_veth(l: &LinkDetails) -> bool {
    l.info.kind.as_deref() == Some("veth")
}

fn find_index(links: &[LinkDetails], index: u32) -> Option<String> {
    links
        .iter()
        .find(|l| l.info.ifindex == index)
        .map(|l| l.info.name.clone())
}

/// The name of interface `index` in `ns`.
fn name_at(ns: &Netns, index: u32) -> Option<String> {
    ns.run(|| {
        let mut nl = Netlink::open()?;
        Ok(nl
            .link_by_index(index)
            .ok()
            .map(|m| LinkDetails::from_message(&m).info.name))
    })
    .ok()
    .flatten()
}
