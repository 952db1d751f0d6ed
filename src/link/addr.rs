//! Addresses: CIDR parsing (`198.18.0.10/16`) and RTM_NEWADDR.
//!
//! The address keeps its host bits (it is the interface's address, not a network), and the
//! prefix must fit the family.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::LinkError;

/// An interface address with its prefix length, as `ip addr add` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// Parse `ADDR/PREFIX`; a bare address gets /32 (IPv4) or /128 (IPv6), as `ip` does.
    pub fn parse(input: &str) -> Result<Self, LinkError> {
        let bad = |reason: &str| LinkError::InvalidCidr {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (a, p) = match input.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (input, None),
        };
        let addr = IpAddr::from_str(a).map_err(|_| bad("not an IPv4 or IPv6 address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => {
                let n: u8 = p
                    .parse()
                    .map_err(|_| bad("the prefix length is not a number"))?;
                if n > max {
                    return Err(bad(if max == 32 {
                        "the prefix length is over 32"
                    } else {
                        "the prefix length is over 128"
                    }));
                }
                n
            }
        };
        if addr.is_unspecified() || addr.is_multicast() {
            return Err(bad("not a unicast address"));
        }
        Ok(Cidr { addr, prefix })
    }
}

impl FromStr for Cidr {
    type Err = LinkError;
    fn from_str(s: &str) -> Result<Self, LinkError> {
        Cidr::parse(s)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The addresses of interface `ifindex` in the calling thread's namespace (RTM_GETADDR dump),
/// in the kernel's order: what `send` uses for an expression's default source address.
pub fn of_iface(ifindex: u32) -> Result<Vec<IpAddr>, LinkError> {
    let mut nl = super::nl::Netlink::open()?;
    Ok(dump_with(&mut nl)?
        .into_iter()
        .filter(|(i, _)| *i == ifindex)
        .map(|(_, c)| c.addr)
        .collect())
}

/// Every address of the socket's namespace, with the ifindex it is on, in the kernel's order
/// (one RTM_GETADDR dump): what `link show` and `veth list` print.
pub fn dump_with(nl: &mut super::nl::Netlink) -> Result<Vec<(u32, Cidr)>, LinkError> {
    use netlink_packet_route::address::{AddressAttribute, AddressMessage};
    use netlink_packet_route::RouteNetlinkMessage;
    let msgs = nl
        .dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))
        .map_err(|e| LinkError::from_errno("list addresses", e, crate::Capability::NetAdmin))?;
    let mut out = Vec::new();
    for m in msgs {
        let RouteNetlinkMessage::NewAddress(a) = m else {
            continue;
        };
        // IFA_LOCAL is the interface's own address on point-to-point links; else IFA_ADDRESS.
        let local = a.attributes.iter().find_map(|x| match x {
            AddressAttribute::Local(ip) => Some(*ip),
            _ => None,
        });
        let addr = local.or_else(|| {
            a.attributes.iter().find_map(|x| match x {
                AddressAttribute::Address(ip) => Some(*ip),
                _ => None,
            })
        });
        if let Some(addr) = addr {
            let prefix = a.header.prefix_len;
            out.push((a.header.index, Cidr { addr, prefix }));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v4_and_v6() {
        let c = Cidr::parse("198.18.0.10/16").unwrap();
        assert_eq!(c.addr, "198.18.0.10".parse::<IpAddr>().unwrap());
        assert_eq!(c.prefix, 16);
        assert_eq!(c.to_string(), "198.18.0.10/16");
        assert_eq!(Cidr::parse("198.18.0.1").unwrap().prefix, 32);
        assert_eq!(Cidr::parse("fd00::1/64").unwrap().prefix, 64);
    }

    #[test]
    fn rejects_junk() {
        for bad in [
            "198.18.0.10/33",
            "198.18.0/16",
            "198.18.0.10/",
            "198.18.0.10/x",
            "fd00::1/129",
            "0.0.0.0/0",
            "224.0.0.1/4",
            "hello",
        ] {
            let e = Cidr::parse(bad).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
