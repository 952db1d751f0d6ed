//! What the kernel knows about one interface, read over netlink. (Contract; stub body.)

use super::LinkError;

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
    Err(LinkError::NoSuchInterface {
        iface: name.to_string(),
    })
}
