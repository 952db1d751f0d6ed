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
        let mut controller = None;
        for attr in &m.attributes {
            match attr {
                LinkAttribute::IfName(n) => info.name = n.clone(),
                LinkAttribute::Address(a) if a.len() == 6 => info.mac.copy_from_slice(a),
                LinkAttribute::Mtu(v) => info.mtu = *v,
                LinkAttribute::Link(v) => link = Some(*v),
                LinkAttribute::LinkNetNsId(v) => link_netnsid = Some(*v),
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
            controller,
        }
    }
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
