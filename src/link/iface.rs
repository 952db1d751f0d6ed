//! What the kernel knows about one interface, read over netlink (RTM_GETLINK).
//!
//! Everything is answered for the calling thread's network namespace: enter another one first
//! ([`super::netns::enter`]) or run inside it ([`super::netns::Netns::run`]).

use netlink_packet_route::link::{
    InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};

use super::nl::Netlink;
use super::LinkError;
use crate::{Capability, NoSuchInterface};

/// One interface as seen from the calling thread's network namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceInfo {
    pub name: String,
    pub ifindex: u32,
    pub mac: [u8; 6],
    pub mtu: u32,
    /// IFF_UP: administratively up.
    pub admin_up: bool,
    /// IFF_RUNNING / operstate up: carrier present (a veth whose peer is down is not).
    pub oper_up: bool,
    /// IFLA_INFO_KIND: "veth", "bridge", "dummy"... None for a physical NIC.
    pub kind: Option<String>,
}

impl IfaceInfo {
    /// True for links whose frames cannot leave the machine (veth, dummy, loopback, tun...).
    pub fn is_virtual(&self) -> bool {
        self.name == "lo"
            || matches!(
                self.kind.as_deref(),
                Some("veth" | "dummy" | "netkit" | "tun" | "vcan" | "vxcan")
            )
    }
}

/// Look up `name` in the calling thread's network namespace.
pub fn info(name: &str) -> Result<IfaceInfo, LinkError> {
    let mut nl = Netlink::open()?;
    info_with(&mut nl, name)
}

/// Look up `name` on an open socket (in that socket's namespace).
pub fn info_with(nl: &mut Netlink, name: &str) -> Result<IfaceInfo, LinkError> {
    if name.len() > super::IFNAME_MAX {
        super::check_ifname(name)?;
    }
    match nl.link_by_name(name) {
        Ok(m) => Ok(LinkDetails::from_message(&m).info),
        Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {
            Err(LinkError::NoSuchInterface(NoSuchInterface::new(name)))
        }
        Err(e) => Err(LinkError::from_errno(
            format!("look up interface '{name}'"),
            e,
            Capability::NetAdmin,
        )),
    }
}

/// Every interface of the calling thread's namespace.
pub fn list() -> Result<Vec<LinkDetails>, LinkError> {
    let mut nl = Netlink::open()?;
    list_with(&mut nl)
}

/// Every interface on an open socket's namespace.
pub fn list_with(nl: &mut Netlink) -> Result<Vec<LinkDetails>, LinkError> {
    let msgs = nl
        .links()
        .map_err(|e| LinkError::from_errno("list interfaces", e, Capability::NetAdmin))?;
    Ok(msgs.iter().map(LinkDetails::from_message).collect())
}

/// [`IfaceInfo`] plus what a veth listing needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDetails {
    pub info: IfaceInfo,
    /// IFLA_OPERSTATE as `ip` prints it: "UP", "DOWN", "LOWERLAYERDOWN", "UNKNOWN"...
    pub operstate: String,
    /// IFLA_LINK: for a veth, the peer's ifindex (in the peer's namespace).
    pub link: Option<u32>,
    /// IFLA_LINK_NETNSID: the peer's namespace as an id of this namespace; None when the peer
    /// is in the same namespace.
    pub link_netnsid: Option<i32>,
    /// IFLA_MIN_MTU / IFLA_MAX_MTU: the MTUs the device takes (kernel 4.19+).
    pub min_mtu: Option<u32>,
    pub max_mtu: Option<u32>,
    /// IFLA_MASTER: the bridge (or bond...) this link is a port of.
    pub controller: Option<u32>,
}

impl LinkDetails {
    pub(crate) fn from_message(m: &LinkMessage) -> Self {
        let mut info = IfaceInfo {
            name: String::new(),
            ifindex: m.header.index,
            mac: [0; 6],
            mtu: 0,
            admin_up: m.header.flags.contains(LinkFlags::Up),
            oper_up: m.header.flags.contains(LinkFlags::Running),
            kind: None,
        };
        let mut operstate = String::from("UNKNOWN");
        let mut link = None;
        let mut link_netnsid = None;
        let (mut min_mtu, mut max_mtu) = (None, None);
        let mut controller = None;
        for attr in &m.attributes {
            match attr {
                LinkAttribute::IfName(n) => info.name = n.clone(),
                LinkAttribute::Address(a) if a.len() == 6 => info.mac.copy_from_slice(a),
                LinkAttribute::Mtu(v) => info.mtu = *v,
                LinkAttribute::Link(v) => link = Some(*v),
                LinkAttribute::LinkNetNsId(v) => link_netnsid = Some(*v),
                LinkAttribute::MinMtu(v) => min_mtu = Some(*v),
                LinkAttribute::MaxMtu(v) => max_mtu = Some(*v),
                LinkAttribute::Controller(v) => controller = Some(*v),
                LinkAttribute::OperState(s) => operstate = operstate_name(s),
                LinkAttribute::LinkInfo(infos) => {
                    for i in infos {
                        if let LinkInfo::Kind(k) = i {
                            info.kind = Some(kind_name(k));
                        }
                    }
                }
                _ => {}
            }
        }
        LinkDetails {
            info,
            operstate,
            link,
            link_netnsid,
            min_mtu,
            max_mtu,
            controller,
        }
    }
}

/// One interface as `vethbench link show` prints it (`ip -br addr`'s columns and a few more);
/// the JSON of `link show --json` (fields are only ever added).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkRow {
    pub name: String,
    pub ifindex: u32,
    /// IFLA_INFO_KIND: `veth`, `bridge`...; null for a physical NIC and `lo`.
    pub kind: Option<String>,
    /// IFLA_OPERSTATE as `ip` prints it: `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`...
    pub state: String,
    /// IFF_UP.
    pub admin_up: bool,
    pub mtu: u32,
    pub mac: String,
    /// Its addresses with their prefix lengths (`198.18.0.1/24`), in the kernel's order.
    pub addresses: Vec<String>,
}

/// Every interface of the calling thread's namespace with its addresses (`ip -br addr`).
pub fn rows() -> Result<Vec<LinkRow>, LinkError> {
    let mut nl = Netlink::open()?;
    let links = list_with(&mut nl)?;
    let addrs = super::addr::dump_with(&mut nl)?;
    Ok(links
        .into_iter()
        .map(|l| LinkRow {
            addresses: addresses_of(&addrs, l.info.ifindex),
            name: l.info.name,
            ifindex: l.info.ifindex,
            kind: l.info.kind,
            state: l.operstate,
            admin_up: l.info.admin_up,
            mtu: l.info.mtu,
            mac: super::format_mac(&l.info.mac),
        })
        .collect())
}

/// The addresses of `ifindex` in a dump of [`super::addr::dump_with`], as text.
pub(crate) fn addresses_of(dump: &[(u32, super::Cidr)], ifindex: u32) -> Vec<String> {
    dump.iter()
        .filter(|(i, _)| *i == ifindex)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// What `vethbench link set IFACE ...` changes: any of up/down and the MTU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkSet {
    /// Some(true): up (IFF_UP), Some(false): down.
    pub up: Option<bool>,
    pub mtu: Option<u32>,
}

/// Apply `set` to interface `name` of the calling thread's namespace (`ip link set NAME up|down
/// mtu N`): the MTU first, then the state. An MTU the device does not take is refused with
/// the range it takes.
pub fn set(name: &str, set: LinkSet) -> Result<(), LinkError> {
    let mut nl = Netlink::open()?;
    if name.len() > super::IFNAME_MAX {
        super::check_ifname(name)?;
    }
    let l = match nl.link_by_name(name) {
        Ok(m) => LinkDetails::from_message(&m),
        Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {
            return Err(LinkError::NoSuchInterface(NoSuchInterface::new(name)))
        }
        Err(e) => {
            return Err(LinkError::from_errno(
                format!("look up interface '{name}'"),
                e,
                Capability::NetAdmin,
            ))
        }
    };
    let index = l.info.ifindex;
    if let Some(mtu) = set.mtu {
        let (lo, hi) = (l.min_mtu.unwrap_or(68), l.max_mtu.unwrap_or(65535));
        if mtu < lo || mtu > hi {
            return Err(LinkError::MtuOutOfRange {
                iface: name.to_string(),
                mtu,
                min: lo,
                max: hi,
            });
        }
        nl.set_mtu(index, mtu).map_err(|e| {
            LinkError::from_errno(
                format!("set the MTU of '{name}' to {mtu}"),
                e,
                Capability::NetAdmin,
            )
        })?;
    }
    if let Some(up) = set.up {
        nl.set_up(index, up).map_err(|e| {
            LinkError::from_errno(
                format!("bring '{name}' {}", if up { "up" } else { "down" }),
                e,
                Capability::NetAdmin,
            )
        })?;
    }
    Ok(())
}

fn kind_name(k: &InfoKind) -> String {
    match k {
        InfoKind::Other(s) => s.clone(),
        // InfoKind prints the kernel's kind string ("veth", "bridge"...).
        other => other.to_string(),
    }
}

fn operstate_name(s: &State) -> String {
    match s {
        State::Up => "UP",
        State::Down => "DOWN",
        State::LowerLayerDown => "LOWERLAYERDOWN",
        State::Dormant => "DORMANT",
        State::Testing => "TESTING",
        State::NotPresent => "NOTPRESENT",
        _ => "UNKNOWN",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lo_is_virtual() {
        // Read-only: looks at the caller's lo, changes nothing.
        let lo = info("lo").expect("lo exists in every namespace");
        assert_eq!(lo.ifindex, 1);
        assert!(lo.is_virtual());
        assert!(lo.mtu > 0);
    }

    #[test]
    fn missing_interface_is_typed() {
        let e = info("vbnosuchif0").unwrap_err();
        assert!(matches!(e, LinkError::NoSuchInterface(_)), "{e}");
        let e = info("a234567890123456").unwrap_err();
        assert!(matches!(e, LinkError::InvalidName { .. }), "{e}");
    }
}
