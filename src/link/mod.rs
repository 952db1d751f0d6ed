//! Topology over netlink: veth pairs, addresses, link state, network namespaces.
//!
//! - [`nl`]: one synchronous rtnetlink socket (netlink-packet-route + netlink-sys, no tokio):
//!   request/ack with sequence numbers, dumps, errno mapping.
//! - [`iface`]: what the kernel knows about one interface (RTM_GETLINK).
//! - [`netns`]: named namespaces compatible with `ip netns` (bind mounts under `/run/netns`),
//!   a [`netns::Netns`] handle to run code inside any namespace, [`netns::NetnsRef`] (a name,
//!   a path to a namespace file, or `pid:PID`), a scan of every namespace on the host with the
//!   process and container holding it, and [`netns::PrivateNetns`], anonymous namespaces held
//!   only by an fd, which the kernel removes even on SIGKILL.
//! - [`veth`]: create, delete, list veth pairs and resolve a peer in whatever namespace holds
//!   it (IFLA_LINK + IFLA_LINK_NETNSID + RTM_GETNSID); [`veth::PrivatePair`] for tests.
//! - [`addr`]: CIDR parsing and RTM_NEWADDR.
//! - [`ping`]: ICMP echo through the kernel's stack.
//! - [`offload`]: GRO/TSO (`ethtool -K`) and threaded NAPI, which decide on which CPU a veth's
//!   peer receives.
//! - [`policy`]: the interface policy (virtual links only unless allowed, up, carrier, MTU),
//!   one function for `send`, `test` and the harness.
//!
//! What stays true: `setns`/`unshare` only ever move a thread this module spawned (or the
//! caller's, when asked by [`netns::enter`]); nothing here shells out to `ip`. No `unsafe`:
//! nix's wrappers cover setns, unshare, mount and the ICMP socket; the ethtool and nsfs
//! ioctls are in the OS-glue room, `crate::sys`.

pub mod addr;
pub mod iface;
pub mod netns;
pub mod nl;
pub mod offload;
pub mod ping;
pub mod policy;
pub mod veth;

pub use addr::Cidr;
pub use iface::IfaceInfo;
pub use netns::{Netns, PrivateNetns};
pub use veth::{PrivatePair, VethEnd, VethPairSpec};

use crate::{Capability, NoSuchInterface};

/// IFNAMSIZ minus the terminating NUL.
pub const IFNAME_MAX: usize = 15;

/// An error from netlink or namespace operations.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    NoSuchInterface(NoSuchInterface),
    #[error("network namespace '{name}' does not exist")]
    NoSuchNetns { name: String },
    /// `link set IFACE mtu N` beyond what the device takes (IFLA_MIN_MTU..IFLA_MAX_MTU).
    #[error("MTU {mtu} is out of range for '{iface}': it takes {min}..={max}")]
    MtuOutOfRange {
        iface: String,
        mtu: u32,
        min: u32,
        max: u32,
    },
    /// A namespace another process removed while we were removing it (a concurrent `netns
    /// del` or `down`): the loser's answer.
    #[error("network namespace '{name}' is gone already (another process removed it meanwhile)")]
    NetnsGone { name: String },
    /// A path given as a namespace that is something else (a plain file, a symlink in
    /// `/run/netns`, another type of namespace).
    #[error("'{path}' is not a network namespace ({what})")]
    NotNetns { path: String, what: String },
    /// `pid:PID` of a process that does not exist, or has exited.
    #[error("process {pid} does not exist (or has exited): no network namespace to open")]
    NoSuchProcess { pid: u32 },
    /// A namespace file or process we may not open: the open of `path` failed with EACCES or
    /// EPERM. As root that is a sandbox's doing (seccomp, a security module, a container), not
    /// a missing privilege.
    #[error(
        "cannot open the network namespace of {what}: opening {path}: permission denied ({})",
        if *.as_root {
            "refused to root: a sandbox or security module forbids it"
        } else {
            "run as root"
        }
    )]
    NetnsAccess {
        what: String,
        path: String,
        as_root: bool,
    },
    #[error("{op}: permission denied: needs {cap} ({hint})", hint = cap.hint())]
    Permission { op: String, cap: Capability },
    /// A system call or netlink request failed; the errno is the `source()`.
    #[error("{op}")]
    Io {
        op: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} '{name}' already exists{}", in_netns(netns))]
    AlreadyExists {
        what: &'static str,
        name: String,
        netns: Option<String>,
    },
    #[error("invalid {what} '{name}': {reason}")]
    InvalidName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },
    #[error("invalid CIDR '{input}': {reason} (expected e.g. 198.18.0.10/16)")]
    InvalidCidr { input: String, reason: String },
    #[error("invalid MAC address '{input}' (expected e.g. 02:00:00:00:00:01)")]
    InvalidMac { input: String },
    #[error("invalid MAC address '{mac}': not a unicast address (the first byte must be even, e.g. 02:00:00:00:00:01)")]
    NotUnicastMac { mac: String },
    #[error("interface '{iface}' is not a veth (kind: {kind})")]
    NotVeth { iface: String, kind: String },
    #[error("{op}: unexpected netlink reply: {detail}")]
    Protocol { op: String, detail: String },
}

fn in_netns(netns: &Option<String>) -> String {
    match netns {
        Some(n) => format!(" in network namespace '{n}'"),
        None => String::new(),
    }
}

impl LinkError {
    /// Map an errno: EPERM names the capability (netlink answers EPERM for a missing
    /// capability; EACCES there means something else, e.g. IPv6 disabled on the link).
    pub(crate) fn from_errno(op: impl Into<String>, err: std::io::Error, cap: Capability) -> Self {
        let op = op.into();
        match err.raw_os_error() {
            Some(libc::EPERM) => LinkError::Permission { op, cap },
            _ => LinkError::Io {
                op,
                source: crate::error::TooManyOpenFiles::explain(err),
            },
        }
    }
}

/// Check an interface name the way the kernel will (`dev_valid_name`), before asking it.
pub fn check_ifname(name: &str) -> Result<(), LinkError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > IFNAME_MAX {
        Some("longer than 15 bytes (IFNAMSIZ)")
    } else if name == "." || name == ".." {
        Some("reserved")
    } else if name
        .bytes()
        .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
    {
        Some("contains '/', ':' or whitespace")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(LinkError::InvalidName {
            what: "interface name",
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Parse `02:00:00:00:00:01` (also `-` separated), with [`MacAddr`](crate::frame::MacAddr)'s
/// parser.
pub fn parse_mac(input: &str) -> Result<[u8; 6], LinkError> {
    input
        .parse::<crate::frame::MacAddr>()
        .map(|m| m.0)
        .map_err(|_| LinkError::InvalidMac {
            input: input.to_string(),
        })
}

/// `02:00:00:00:00:01`, as [`MacAddr`](crate::frame::MacAddr) prints it.
pub fn format_mac(mac: &[u8; 6]) -> String {
    crate::frame::MacAddr(*mac).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifname_limits() {
        assert!(check_ifname("veth0").is_ok());
        assert!(check_ifname("a23456789012345").is_ok()); // 15 bytes
        let e = check_ifname("a234567890123456").unwrap_err(); // 16 bytes
        assert!(e.to_string().contains("15 bytes"), "{e}");
        assert!(check_ifname("").is_err());
        assert!(check_ifname("a/b").is_err());
        assert!(check_ifname("a b").is_err());
    }

    #[test]
    fn mac_round_trip() {
        let m = parse_mac("02:00:0a:FF:00:01").unwrap();
        assert_eq!(m, [2, 0, 0x0a, 0xff, 0, 1]);
        assert_eq!(format_mac(&m), "02:00:0a:ff:00:01");
        assert!(parse_mac("02:00:0a:ff:00").is_err());
        assert!(parse_mac("02:00:0a:ff:00:01:02").is_err());
        assert!(parse_mac("02:00:0a:ff:00:zz").is_err());
    }
}
