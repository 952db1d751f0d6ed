//! veth pairs: create (either end in any namespace), delete, list, and resolve a peer.
//!
//! Listing and peer resolution are in [`list`]: a peer is found in whatever namespace holds
//! it (named, bind-mounted by a container runtime, or held only by a process).
//!
//! What stays true: [`create`] either leaves a whole, configured pair or nothing (a failure in
//! the address or up step deletes the pair it made). [`PrivatePair`] never puts a link in the
//! caller's namespace: both ends are created directly inside anonymous namespaces.

use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};

use super::addr::Cidr;
use super::iface::{self, IfaceInfo};
use super::netns::{self, Netns, PrivateNetns};
use super::nl::Netlink;
use super::{check_ifname, LinkError};
use crate::Capability;

pub mod list;
pub use list::{list, list_all, peer, VethRow};

/// One end of a pair as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VethEnd {
    pub name: String,
    /// None: the kernel picks a random locally administered MAC.
    pub mac: Option<[u8; 6]>,
    pub addr: Option<Cidr>,
}

impl VethEnd {
    pub fn new(name: &str) -> Self {
        VethEnd {
            name: name.to_string(),
            ..Default::default()
        }
    }
}

/// A veth pair as asked for. Which namespace each end goes to is given to [`create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethPairSpec {
    pub a: VethEnd,
    pub b: VethEnd,
    /// Both ends (None: the kernel's 1500).
    pub mtu: Option<u32>,
    /// Bring both ends up.
    pub up: bool,
    /// Write `disable_ipv6=1` on both ends before they go up: no RS, MLD or DAD frames.
    pub disable_ipv6: bool,
}

impl VethPairSpec {
    /// Ends `a` and `b`, no addresses, up, IPv6 disabled (what tests and the harness want).
    pub fn new(a: &str, b: &str) -> Self {
        VethPairSpec {
            a: VethEnd::new(a),
            b: VethEnd::new(b),
            mtu: None,
            up: true,
            disable_ipv6: true,
        }
    }
}

/// Create the pair: end `a` in `ns_a`, end `b` in `ns_b`, then configure each end inside its
/// namespace (IPv6 off, address, up). The request is sent from the calling thread's namespace
/// with IFLA_NET_NS_FD for each end that goes elsewhere, as `ip link add A netns X type veth
/// peer name B netns Y` does, so a link is never seen in the caller's namespace first.
pub fn create(
    spec: &VethPairSpec,
    ns_a: &Netns,
    ns_b: &Netns,
) -> Result<(IfaceInfo, IfaceInfo), LinkError> {
    check_ifname(&spec.a.name)?;
    check_ifname(&spec.b.name)?;
    if spec.a.name == spec.b.name && ns_a.same_as(ns_b) {
        return Err(LinkError::InvalidName {
            what: "peer name",
            name: spec.b.name.clone(),
            reason: "same as the other end, in the same namespace",
        });
    }
    for mac in [spec.a.mac, spec.b.mac].into_iter().flatten() {
        // The kernel refuses these with a bare EADDRNOTAVAIL; say why instead.
        if mac[0] & 1 == 1 || mac == [0; 6] {
            return Err(LinkError::NotUnicastMac {
                mac: super::format_mac(&mac),
            });
        }
    }
    if let Some(mtu) = spec.mtu {
        if !(68..=65535).contains(&mtu) {
            return Err(LinkError::Io {
                op: format!("create veth '{}'", spec.a.name),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("MTU {mtu} is out of range 68..=65535"),
                ),
            });
        }
    }

    let fd = |ns: &Netns| (!ns.is_current()).then(|| std::os::fd::AsRawFd::as_raw_fd(ns));
    // The fds are only read by the kernel during the request below, while ns_a/ns_b live.
    let msg = newlink_message(spec, fd(ns_a), fd(ns_b));

    let op = format!("create veth pair '{}'/'{}'", spec.a.name, spec.b.name);
    let mut nl = Netlink::open()?;
    if let Err(e) = nl.create_link(msg) {
        return Err(match e.raw_os_error() {
            Some(libc::EEXIST) => which_exists(spec, ns_a, ns_b),
            _ => LinkError::from_errno(op, e, Capability::NetAdmin),
        });
    }

    let configured = configure_end(&spec.a, spec, ns_a)
        .and_then(|a| configure_end(&spec.b, spec, ns_b).map(|b| (a, b)))
        .and_then(|pair| match spec.up {
            true => Ok((
                wait_running(&spec.a.name, ns_a)?,
                wait_running(&spec.b.name, ns_b)?,
            )),
            false => Ok(pair),
        });
    match configured {
        Ok(pair) => Ok(pair),
        Err(e) => {
            // Deleting one end deletes both: leave nothing half-made behind.
            let name = spec.a.name.clone();
            let _ = ns_a.run(move || {
                let mut nl = Netlink::open()?;
                let info = iface::info_with(&mut nl, &name)?;
                let _ = nl.delete_link(info.ifindex);
                Ok(())
            });
            Err(e)
        }
    }
}

/// The RTM_NEWLINK body for a pair; `fd_a`/`fd_b` are IFLA_NET_NS_FD (None: the sender's).
fn newlink_message(
    spec: &VethPairSpec,
    fd_a: Option<std::os::fd::RawFd>,
    fd_b: Option<std::os::fd::RawFd>,
) -> LinkMessage {
    let mut peer = LinkMessage::default();
    end_attributes(&mut peer.attributes, &spec.b, spec.mtu, fd_b);
    let mut msg = LinkMessage::default();
    end_attributes(&mut msg.attributes, &spec.a, spec.mtu, fd_a);
    msg.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
    ]));
    msg
}

fn end_attributes(
    attrs: &mut Vec<LinkAttribute>,
    end: &VethEnd,
    mtu: Option<u32>,
    ns_fd: Option<std::os::fd::RawFd>,
) {
    attrs.push(LinkAttribute::IfName(end.name.clone()));
    if let Some(mac) = end.mac {
        attrs.push(LinkAttribute::Address(mac.to_vec()));
    }
    if let Some(mtu) = mtu {
        attrs.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(fd) = ns_fd {
        attrs.push(LinkAttribute::NetNsFd(fd));
    }
}

/// After EEXIST: find which of the two names is taken, to say so.
fn which_exists(spec: &VethPairSpec, ns_a: &Netns, ns_b: &Netns) -> LinkError {
    for (end, ns) in [(&spec.a, ns_a), (&spec.b, ns_b)] {
        let name = end.name.clone();
        if ns.run(move || iface::info(&name)).is_ok() {
            return LinkError::AlreadyExists {
                what: "interface",
                name: end.name.clone(),
                netns: ns.name().map(str::to_string),
            };
        }
    }
    LinkError::AlreadyExists {
        what: "interface",
        name: format!("{}' or '{}", spec.a.name, spec.b.name),
        netns: None,
    }
}

fn configure_end(end: &VethEnd, spec: &VethPairSpec, ns: &Netns) -> Result<IfaceInfo, LinkError> {
    ns.run(|| {
        let mut nl = Netlink::open()?;
        let info = iface::info_with(&mut nl, &end.name)?;
        if spec.disable_ipv6 {
            netns::set_disable_ipv6(&end.name, true)?;
        }
        if let Some(c) = end.addr {
            nl.add_address(info.ifindex, c.addr, c.prefix)
                .map_err(|e| {
                    let op = format!("add address {c} to '{}'", end.name);
                    match e.raw_os_error() {
                        Some(libc::EEXIST) => LinkError::AlreadyExists {
                            what: "address",
                            name: c.to_string(),
                            netns: ns.name().map(str::to_string),
                        },
                        // inet6_addr_add's answer when disable_ipv6 is set on the link.
                        Some(libc::EACCES) if c.addr.is_ipv6() => LinkError::Io {
                            op,
                            source: std::io::Error::other("IPv6 is disabled on this link"),
                        },
                        _ => LinkError::from_errno(op, e, Capability::NetAdmin),
                    }
                })?;
        }
        if spec.up {
            nl.set_up(info.ifindex, true).map_err(|e| {
                LinkError::from_errno(format!("bring '{}' up", end.name), e, Capability::NetAdmin)
            })?;
        }
        iface::info_with(&mut nl, &end.name)
    })
}

/// The end `name` once the kernel's linkwatch work has run for it (IFF_RUNNING): until then
/// its qdisc is `noop`, which drops what is sent, and a loaded machine can delay that work for
/// a while after `up`. So a pair made up carries its first frame. Gives up waiting (not an
/// error) after 5 s.
fn wait_running(name: &str, ns: &Netns) -> Result<IfaceInfo, LinkError> {
    ns.run(|| {
        let mut nl = Netlink::open()?;
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let info = iface::info_with(&mut nl, name)?;
            if info.oper_up || std::time::Instant::now() >= until {
                return Ok(info);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    })
}

/// Delete the veth `name` (and so its peer) in `ns`. Refuses anything that is not a veth.
pub fn delete(name: &str, ns: &Netns) -> Result<(), LinkError> {
    check_ifname(name)?;
    ns.run(|| {
        let mut nl = Netlink::open()?;
        let info = iface::info_with(&mut nl, name)?;
        if info.kind.as_deref() != Some("veth") {
            return Err(LinkError::NotVeth {
                iface: name.to_string(),
                kind: info.kind.unwrap_or_else(|| "none".to_string()),
            });
        }
        nl.delete_link(info.ifindex)
            .map_err(|e| LinkError::from_errno(format!("delete '{name}'"), e, Capability::NetAdmin))
    })
}

// ---------------------------------------------------------------------------------------------

/// A veth pair inside one anonymous namespace, or across two, for tests and the harness.
/// Dropping it drops the namespaces, and with them the links; so does the process dying.
#[derive(Debug)]
pub struct PrivatePair {
    ns_a: PrivateNetns,
    ns_b: Option<PrivateNetns>,
    /// End `a` as configured.
    pub a: IfaceInfo,
    /// End `b` as configured.
    pub b: IfaceInfo,
}

impl PrivatePair {
    /// Both ends in one fresh anonymous namespace.
    pub fn same_netns(spec: &VethPairSpec) -> Result<Self, LinkError> {
        let ns_a = PrivateNetns::new()?;
        let (a, b) = create(spec, ns_a.netns(), ns_a.netns())?;
        Ok(PrivatePair {
            ns_a,
            ns_b: None,
            a,
            b,
        })
    }

    /// Each end in its own fresh anonymous namespace.
    pub fn across(spec: &VethPairSpec) -> Result<Self, LinkError> {
        let ns_a = PrivateNetns::new()?;
        let ns_b = PrivateNetns::new()?;
        let (a, b) = create(spec, ns_a.netns(), ns_b.netns())?;
        Ok(PrivatePair {
            ns_a,
            ns_b: Some(ns_b),
            a,
            b,
        })
    }

    /// End `a`'s namespace.
    pub fn netns_a(&self) -> &Netns {
        self.ns_a.netns()
    }

    /// End `b`'s namespace (the same as `a`'s for [`PrivatePair::same_netns`]).
    pub fn netns_b(&self) -> &Netns {
        self.ns_b.as_ref().unwrap_or(&self.ns_a).netns()
    }

    /// Run `f` on a thread inside end `a`'s namespace.
    pub fn run_a<T: Send>(
        &self,
        f: impl FnOnce() -> Result<T, LinkError> + Send,
    ) -> Result<T, LinkError> {
        self.netns_a().run(f)
    }

    /// Run `f` on a thread inside end `b`'s namespace.
    pub fn run_b<T: Send>(
        &self,
        f: impl FnOnce() -> Result<T, LinkError> + Send,
    ) -> Result<T, LinkError> {
        self.netns_b().run(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::Emitable;

    #[test]
    fn newlink_golden_bytes() {
        // The RTM_NEWLINK body (after the nlmsghdr) for `a`/`b`, MTU 9000, peer into netns fd 7.
        // Compared with `strace -v ip link add name a mtu 9000 type veth peer name b mtu 9000`
        // (iproute2 6.1): same nesting, same peer ifinfomsg; iproute2 puts IFLA_MTU before
        // IFLA_IFNAME and sends the kind "veth" without its NUL (len 8); the kernel takes both.
        let mut spec = VethPairSpec::new("a", "b");
        spec.mtu = Some(9000);
        let msg = newlink_message(&spec, None, Some(7));
        let mut buf = vec![0u8; msg.buffer_len()];
        msg.emit(&mut buf);
        #[rustfmt::skip]
        let golden: &[u8] = &[
            // ifinfomsg: family AF_UNSPEC, pad, type 0, index 0, flags 0, change 0
            0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
            // IFLA_IFNAME (3), len 6: "a\0" + 2 bytes of padding
            6, 0, 3, 0,  b'a', 0, 0, 0,
            // IFLA_MTU (4), len 8: 9000
            8, 0, 4, 0,  0x28, 0x23, 0, 0,
            // IFLA_LINKINFO (18), len 64
            64, 0, 18, 0,
            //   IFLA_INFO_KIND (1), len 9: "veth\0" + 3 bytes of padding
            9, 0, 1, 0,  b'v', b'e', b't', b'h',  0, 0, 0, 0,
            //   IFLA_INFO_DATA (2), len 48
            48, 0, 2, 0,
            //     VETH_INFO_PEER (1), len 44: an ifinfomsg, then the peer's attributes
            44, 0, 1, 0,
            0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
            //       IFLA_IFNAME "b"
            6, 0, 3, 0,  b'b', 0, 0, 0,
            //       IFLA_MTU 9000
            8, 0, 4, 0,  0x28, 0x23, 0, 0,
            //       IFLA_NET_NS_FD (28), len 8: fd 7
            8, 0, 28, 0,  7, 0, 0, 0,
        ];
        assert_eq!(buf, golden, "{buf:?}");
    }
}
