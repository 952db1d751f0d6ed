//! The noise filter: frames a host emits on its own, which must not fail an "and nothing else"
//! check. Each class can be switched off; all are on by default.
//!
//! | switch | frames |
//! |---|---|
//! | `lldp` | EtherType 0x88cc |
//! | `ipv6_nd` | ICMPv6 133 router solicitation, 134 advertisement, 135 neighbour solicitation, 136 advertisement, 137 redirect |
//! | `mld` | ICMPv6 130 query, 131 v1 report, 132 done, 143 v2 report (behind the Hop-by-Hop header) |
//! | `igmp` | IPv4 protocol 2 (membership queries and reports) |
//! | `stp` | frames to 01:80:c2:00:00:00 (spanning tree BPDUs of a bridge with STP on) |
//! | `arp` | EtherType 0x0806 (off in [`NoiseFilter::all`]) |
//!
//! VLAN tags and IPv6 extension headers are walked. ARP is not noise unless asked for
//! (`arp: true`, `vethbench test --ignore arp`): a test that did not ask for it should see it.

use crate::frame::view::{self, L4};
use crate::frame::wire::ethernet::{self, ethertype};
use crate::frame::wire::icmpv6::msg;

/// The names [`NoiseFilter::categories`] takes.
pub const CATEGORIES: &str = "ipv6, nd, mld, arp, lldp, stp, igmp";

/// Which background frames to ignore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseFilter {
    pub lldp: bool,
    pub ipv6_nd: bool,
    pub mld: bool,
    pub igmp: bool,
    pub stp: bool,
    pub arp: bool,
}

impl Default for NoiseFilter {
    fn default() -> Self {
        Self::all()
    }
}

impl NoiseFilter {
    /// Every class on (the default).
    pub const fn all() -> Self {
        NoiseFilter {
            lldp: true,
            ipv6_nd: true,
            mld: true,
            igmp: true,
            stp: true,
            arp: false,
        }
    }

    /// Nothing is noise: every frame counts.
    pub const fn none() -> Self {
        NoiseFilter {
            lldp: false,
            ipv6_nd: false,
            mld: false,
            igmp: false,
            stp: false,
            arp: false,
        }
    }

    /// The classes named (`ipv6` is `nd` and `mld`): `noise: [ipv6, arp]` of a scenario,
    /// `vethbench test --ignore arp,nd`. An unknown name is an error naming the known ones.
    pub fn categories(list: &[&str]) -> Result<Self, String> {
        let mut nf = NoiseFilter::none();
        for c in list {
            match c.trim() {
                "ipv6" => {
                    nf.ipv6_nd = true;
                    nf.mld = true;
                }
                "nd" => nf.ipv6_nd = true,
                "mld" => nf.mld = true,
                "arp" => nf.arp = true,
                "lldp" => nf.lldp = true,
                "stp" => nf.stp = true,
                "igmp" => nf.igmp = true,
                x => return Err(format!("unknown noise category '{x}' ({CATEGORIES})")),
            }
        }
        Ok(nf)
    }

    pub fn is_off(&self) -> bool {
        *self == Self::none()
    }

    /// True when `frame` belongs to a class switched on.
    pub fn is_noise(&self, frame: &[u8]) -> bool {
        let Ok(eth) = ethernet::Header::new_checked(frame) else {
            return false;
        };
        if self.is_off() {
            return false;
        }
        if self.stp && eth.dst() == ethernet::STP_DST {
            return true;
        }
        let lay = view::layout(frame);
        if self.lldp && lay.ether_type == ethertype::LLDP {
            return true;
        }
        if self.arp && lay.ether_type == ethertype::ARP {
            return true;
        }
        match (lay.l4, lay.icmp_type) {
            (Some((L4::Icmpv6, _)), Some(t)) => {
                (self.ipv6_nd && (msg::ROUTER_SOLICIT..=msg::REDIRECT).contains(&t))
                    || (self.mld
                        && matches!(
                            t,
                            msg::MLD_QUERY | msg::MLD_REPORT | msg::MLD_DONE | msg::MLDV2_REPORT
                        ))
            }
            (Some((L4::Igmp, _)), _) => self.igmp,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{Icmpv6Type, PacketBuilder};

    fn icmp6(t: Icmpv6Type) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 2])
            .ipv6(
                [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
                255,
            )
            .icmpv6(t);
        let mut v = Vec::new();
        b.write(&mut v, &[0; 8]).unwrap();
        v
    }

    /// An MLDv2 report as the kernel sends it: IPv6, Hop-by-Hop (router alert), ICMPv6 143.
    fn mld_report() -> Vec<u8> {
        let mut f = vec![0x33, 0x33, 0, 0, 0, 0x16, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        // IPv6: version 6, payload 36, next header 0 (Hop-by-Hop), hop limit 1.
        f.extend([0x60, 0, 0, 0, 0, 36, 0, 1]);
        f.extend([0u8; 16]);
        f.extend([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);
        // Hop-by-Hop: next 58 (ICMPv6), len 0, router alert (5, 2, 0, 0), PadN (1, 0).
        f.extend([58, 0, 5, 2, 0, 0, 1, 0]);
        // ICMPv6 143, code 0, checksum (not checked), reserved, 1 record of 20 bytes.
        f.extend([143, 0, 0, 0, 0, 0, 0, 1]);
        f.extend([4, 0, 0, 0]);
        f.extend([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb]);
        f
    }

    #[test]
    fn classes() {
        let nf = NoiseFilter::all();
        assert!(nf.is_noise(&icmp6(Icmpv6Type::Unknown {
            type_u8: 133,
            code_u8: 0,
            bytes5to8: [0; 4]
        })));
        assert!(nf.is_noise(&icmp6(Icmpv6Type::Unknown {
            type_u8: 135,
            code_u8: 0,
            bytes5to8: [0; 4]
        })));
        assert!(nf.is_noise(&mld_report()));
        // Echo request is not noise.
        assert!(!nf.is_noise(&icmp6(Icmpv6Type::EchoRequest(
            etherparse::IcmpEchoHeader { id: 1, seq: 1 }
        ))));
        let mut lldp = vec![0x01, 0x80, 0xc2, 0, 0, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc];
        lldp.extend([0; 46]);
        assert!(nf.is_noise(&lldp));
        let mut udp = crate::harness::stamp::tests::udp4(30);
        assert!(!nf.is_noise(&udp));
        udp[23] = 2; // IPv4 protocol 2: IGMP
        assert!(nf.is_noise(&udp));
    }

    #[test]
    fn arp_only_when_asked() {
        let mut arp = vec![0xff; 6];
        arp.extend([2, 0, 0, 0, 0, 1, 0x08, 0x06]);
        arp.extend([0; 28]);
        assert!(!NoiseFilter::all().is_noise(&arp));
        let nf = NoiseFilter {
            arp: true,
            ..NoiseFilter::none()
        };
        assert!(nf.is_noise(&arp) && !nf.is_off());
    }

    #[test]
    fn switches() {
        let none = NoiseFilter::none();
        assert!(!none.is_noise(&mld_report()));
        let no_mld = NoiseFilter {
            mld: false,
            ..NoiseFilter::all()
        };
        assert!(!no_mld.is_noise(&mld_report()));
        assert!(no_mld.is_noise(&icmp6(Icmpv6Type::Unknown {
            type_u8: 134,
            code_u8: 0,
            bytes5to8: [0; 4]
        })));
    }
}
