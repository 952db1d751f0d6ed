//! Checksums of a rewritten frame: the incremental update after an address changed (RFC 1624,
//! valid even in a snaplen-cut frame) and the full recomputation of `--fix-checksums` (IPv4
//! header, TCP, UDP, ICMP, ICMPv6), done only where the whole IP packet is in the frame.
//!
//! What stays true: only checksum fields are written (tcpreplay's #583 overwrote the IPv4
//! flags of a tagged frame: offsets here come from [`Layout`], which counts the tags).

use super::layout::{IpVersion, Layout};
use crate::frame::csum::{csum_update, fold, sum16};
use crate::frame::wire::ip::protocol;
use crate::frame::wire::{at, icmp, icmpv6, ipv4, ipv6, tcp, udp, Field, Value};

fn get16(b: &[u8], f: Field) -> u16 {
    u16::get(&b[f])
}

fn put16(b: &mut [u8], f: Field, v: u16) {
    v.put(&mut b[f])
}

/// The transport checksum field, relative to the transport header, for the protocols whose
/// checksum is fixed; and whether it covers the IP pseudo-header.
fn l4_csum_field(proto: u8, version: IpVersion) -> Option<(Field, bool)> {
    match (proto, version) {
        (protocol::TCP, _) => Some((tcp::field::CHECKSUM, true)),
        (protocol::UDP, _) => Some((udp::field::CHECKSUM, true)),
        (protocol::ICMP, IpVersion::V4) => Some((icmp::field::CHECKSUM, false)),
        (protocol::ICMPV6, IpVersion::V6) => Some((icmpv6::field::CHECKSUM, true)),
        _ => None,
    }
}

/// The IP header's source and destination addresses (adjacent in both versions), absolute.
fn addresses(l: &Layout) -> Field {
    match l.version {
        IpVersion::V4 => at(l.l3, ipv4::field::SRC_ADDR.start..ipv4::field::DST_ADDR.end),
        IpVersion::V6 => at(l.l3, ipv6::field::SRC_ADDR.start..ipv6::field::DST_ADDR.end),
    }
}

/// After the IP address bytes at `addr..addr + old.len()` changed from `old` to what the frame
/// now holds, update the IPv4 header checksum and the transport checksum (if its field was
/// captured) incrementally.
pub fn after_address_change(b: &mut [u8], l: &Layout, addr: usize, old: &[u8]) {
    let new_end = addr + old.len();
    let mut new = [0u8; 16];
    new[..old.len()].copy_from_slice(&b[addr..new_end]);
    let new = &new[..old.len()];
    if l.version == IpVersion::V4 {
        let f = at(l.l3, ipv4::field::CHECKSUM);
        let c = csum_update(get16(b, f.clone()), old, new, false);
        put16(b, f, c);
    }
    let Some(l4) = l.l4 else { return };
    let Some((field, pseudo)) = l4_csum_field(l4.proto, l.version) else {
        return;
    };
    let f = at(l4.at, field);
    if !pseudo || b.len() < f.end {
        return;
    }
    let c = get16(b, f.clone());
    let udp = l4.proto == protocol::UDP;
    if udp && l.version == IpVersion::V4 && c == 0 {
        return; // IPv4 UDP without a checksum stays without one.
    }
    let mut n = csum_update(c, old, new, false);
    if udp && n == 0 {
        n = 0xffff;
    }
    put16(b, f, n);
}

/// Recompute the IPv4 header checksum (the header is in the frame: [`Layout`] checked it).
pub fn fix_ipv4_header(b: &mut [u8], l: &Layout) {
    if l.version != IpVersion::V4 {
        return;
    }
    let f = at(l.l3, ipv4::field::CHECKSUM);
    put16(b, f.clone(), 0);
    let c = !fold(sum16(&b[l.l3..l.l3 + l.l3_len]) as u64);
    put16(b, f, c);
}

/// `--fix-checksums`: recompute every checksum of the frame. False when the frame is not whole
/// (cut by the snaplen, or a fragment) and only the IPv4 header's was recomputed.
pub fn fix_all(b: &mut [u8], l: &Layout) -> bool {
    fix_ipv4_header(b, l);
    if !l.whole(b.len()) {
        return false;
    }
    let Some(l4) = l.l4 else { return true };
    let Some((field, pseudo)) = l4_csum_field(l4.proto, l.version) else {
        return true;
    };
    let end = l.ip_end;
    let f = at(l4.at, field);
    if end < f.end {
        return false; // the transport header is cut short inside the packet
    }
    let len = end - l4.at;
    put16(b, f.clone(), 0);
    let mut s = sum16(&b[l4.at..end]) as u64;
    if pseudo {
        s += sum16(&b[addresses(l)]) as u64;
        s += l4.proto as u64 + len as u64;
    }
    let mut c = !fold(s);
    if l4.proto == protocol::UDP && c == 0 {
        c = 0xffff;
    }
    put16(b, f, c);
    true
}

/// The checksum fields' values (IPv4 header, transport; 0 where there is none), to tell
/// whether a fix changed anything.
pub fn words(b: &[u8], l: &Layout) -> (u16, u16) {
    let ip = match l.version {
        IpVersion::V4 => get16(b, at(l.l3, ipv4::field::CHECKSUM)),
        IpVersion::V6 => 0,
    };
    let field = |t: super::layout::L4| match t.proto {
        protocol::TCP => tcp::field::CHECKSUM,
        protocol::UDP => udp::field::CHECKSUM,
        _ => icmp::field::CHECKSUM,
    };
    let l4 =
        l.l4.map(|t| at(t.at, field(t)))
            .filter(|f| f.end <= b.len())
            .map_or(0, |f| get16(b, f));
    (ip, l4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameSpec, L4Spec};
    use crate::replay::layout::parse;

    fn frames() -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        for vlan in [None, Some(5)] {
            for (s, d) in [("198.18.0.1", "198.18.0.2"), ("2001:2::1", "2001:2::2")] {
                for l4 in [L4Spec::Udp, L4Spec::ICMP_ECHO, L4Spec::TCP] {
                    v.push(
                        FrameSpec {
                            vlan,
                            src_ip: s.parse().unwrap(),
                            dst_ip: d.parse().unwrap(),
                            dont_fragment: s.contains('.'),
                            l4,
                            payload: b"hello!!".to_vec(),
                            ..FrameSpec::default()
                        }
                        .build()
                        .unwrap(),
                    );
                }
            }
        }
        v
    }

    #[test]
    fn full_fix_restores_the_builders_checksums_and_nothing_else() {
        for good in frames() {
            let l = parse(&good).unwrap();
            let mut f = good.clone();
            // Break both checksums, then fix.
            if l.version == IpVersion::V4 {
                f[at(l.l3, ipv4::field::CHECKSUM).start] ^= 0x55;
            }
            let l4 = l.l4.unwrap();
            let (off, _) = l4_csum_field(l4.proto, l.version).unwrap();
            f[l4.at + off.start] ^= 0x33;
            assert!(fix_all(&mut f, &l));
            assert_eq!(f, good, "{l:?}");
        }
    }

    #[test]
    fn incremental_update_equals_a_full_fix() {
        for good in frames() {
            let l = parse(&good).unwrap();
            let mut f = good.clone();
            let (at, n) = match l.version {
                IpVersion::V4 => (l.l3 + 12, 4),
                IpVersion::V6 => (l.l3 + 8, 16),
            };
            let old: Vec<u8> = f[at..at + n].to_vec();
            f[at + n - 1] ^= 0xa5;
            f[at] ^= 0x01;
            after_address_change(&mut f, &l, at, &old);
            let mut full = f.clone();
            fix_all(&mut full, &l);
            assert_eq!(f, full, "{l:?}");
        }
    }

    #[test]
    fn a_cut_frame_is_not_whole() {
        let f = &frames()[0];
        let mut cut = f[..f.len() - 3].to_vec();
        let l = parse(&cut).unwrap();
        assert!(!fix_all(&mut cut, &l));
    }
}
