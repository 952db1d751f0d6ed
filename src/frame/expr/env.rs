//! The surroundings of an interface: its MAC and addresses as the defaults Scapy would take
//! from the host's tables when sending there (`vethbench send -i IFACE 'EXPR'`).

use std::net::IpAddr;

use super::Env;
use crate::frame::MacAddr;

/// An interface's MAC (default `Ether.src`, `ARP.hwsrc`) and addresses (default `IP.src`,
/// `IPv6.src`, `ARP.psrc`: the first of the destination's family; for IPv6 a link-local one
/// only towards a link-local destination).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfaceEnv {
    pub mac: Option<MacAddr>,
    pub addrs: Vec<IpAddr>,
}

fn link_local(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)
}

impl Env for IfaceEnv {
    fn default_src_mac(&self) -> Option<MacAddr> {
        self.mac
    }
    fn default_src_ip(&self, dst: IpAddr) -> Option<IpAddr> {
        let same = |a: &&IpAddr| a.is_ipv4() == dst.is_ipv4();
        let mut cands = self.addrs.iter().filter(same);
        if dst.is_ipv6() && !link_local(&dst) {
            self.addrs
                .iter()
                .filter(same)
                .find(|a| !link_local(a))
                .or_else(|| cands.next())
                .copied()
        } else {
            cands.next().copied()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_address_of_the_family() {
        let env = IfaceEnv {
            mac: Some(MacAddr([2, 0, 0, 0, 0, 1])),
            addrs: vec![
                "fe80::1".parse().unwrap(),
                "198.18.0.1".parse().unwrap(),
                "2001:2::1".parse().unwrap(),
                "198.18.0.5".parse().unwrap(),
            ],
        };
        let src = |d: &str| {
            env.default_src_ip(d.parse().unwrap())
                .map(|a| a.to_string())
        };
        assert_eq!(src("198.18.0.2").as_deref(), Some("198.18.0.1"));
        assert_eq!(src("2001:2::2").as_deref(), Some("2001:2::1"));
        assert_eq!(src("fe80::2").as_deref(), Some("fe80::1"));
        let e = super::super::parse("Ether()/IP(dst='198.18.0.2')").unwrap();
        let f = &e.build_with(&env).unwrap()[0];
        assert_eq!(&f[6..12], &[2, 0, 0, 0, 0, 1]);
        assert_eq!(&f[26..30], &[198, 18, 0, 1]);
        assert!(IfaceEnv::default().default_src_ip(src_any()).is_none());
    }

    fn src_any() -> IpAddr {
        "198.18.0.2".parse().unwrap()
    }
}
