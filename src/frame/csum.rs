//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624): the one checksum
//! module. The expression engine (every frame vethbench builds: IPv4 header, TCP/UDP/ICMP/
//! ICMPv6/GRE checksums over their pseudo-headers), frame templates (`--count --vary`), the
//! harness's stamps and replay's rewriting all compute with it, so a fix reaches all of them.

/// One's complement sum of `b` as big-endian 16-bit words (an odd last byte is the high byte),
/// not folded.
#[inline]
pub fn sum16(b: &[u8]) -> u32 {
    let mut s = 0u32;
    let mut it = b.chunks_exact(2);
    for w in &mut it {
        s += u16::from_be_bytes([w[0], w[1]]) as u32;
    }
    if let [x] = it.remainder() {
        s += (*x as u32) << 8;
    }
    s
}

/// Scapy's `checksum(p)` of the concatenation of `parts`: the one's complement of the one's
/// complement sum (a part after an odd-length part contributes its bytes swapped).
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut s = 0u64;
    let mut odd = false;
    for p in parts {
        let v: u64 = p.chunks(0x8000).map(|c| sum16(c) as u64).sum();
        s += if odd { fold(v).swap_bytes() as u64 } else { v };
        odd ^= p.len() % 2 == 1;
    }
    !fold(s)
}

/// Fold a wide one's complement sum to 16 bits (end-around carry).
#[inline]
pub fn fold(mut s: u64) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// RFC 1624 eqn. 3: the checksum `hc` after the covered bytes `old` became `new` (same length),
/// where `odd` says the bytes start at an odd offset from the start of the checksummed data.
pub fn csum_update(hc: u16, old: &[u8], new: &[u8], odd: bool) -> u16 {
    let mut o = fold(sum16(old) as u64);
    let mut n = fold(sum16(new) as u64);
    if odd {
        // A field at an odd offset contributes its bytes swapped.
        o = o.swap_bytes();
        n = n.swap_bytes();
    }
    // HC' = ~(~HC + ~m + m')
    !fold(!hc as u64 + !o as u64 + n as u64)
}

/// True when the TCP or UDP segment `segment` (header, checksum field included, and payload)
/// carries a valid checksum over its IP pseudo-header: `addrs` is the source address then the
/// destination (8 bytes for IPv4, 32 for IPv6), `proto` 6 or 17. A checksum is valid when the
/// sum over everything it covers, itself included, is 0xffff. Allocates nothing.
#[inline]
pub fn transport_valid(addrs: &[u8], proto: u8, segment: &[u8]) -> bool {
    let s = sum16(addrs) as u64 + proto as u64 + segment.len() as u64 + sum16(segment) as u64;
    fold(s) == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_parts_matches_one_buffer() {
        // RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        let all = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&[&all]), !0xddf2);
        assert_eq!(checksum(&[&all[..3], &all[3..]]), !0xddf2);
        assert_eq!(checksum(&[&[]]), 0xffff);
        let hc = checksum(&[&all]);
        let mut new = all;
        new[2..4].copy_from_slice(&[0x12, 0x34]);
        assert_eq!(
            csum_update(hc, &all[2..4], &new[2..4], false),
            checksum(&[&new])
        );
    }

    #[test]
    fn a_transport_checksum_is_valid_or_not() {
        // UDP 198.18.0.1:7 -> 198.18.0.2:9, payload "hi", its checksum as Scapy computes it.
        let addrs = [198, 18, 0, 1, 198, 18, 0, 2];
        let mut seg = vec![0, 7, 0, 9, 0, 10, 0, 0, b'h', b'i'];
        let pseudo = [&addrs[..], &[0, 17, 0, 10]].concat();
        let c = checksum(&[&pseudo, &seg]);
        seg[6..8].copy_from_slice(&c.to_be_bytes());
        assert!(transport_valid(&addrs, 17, &seg));
        seg[9] ^= 1;
        assert!(!transport_valid(&addrs, 17, &seg));
        seg[9] ^= 1;
        assert!(!transport_valid(&[198, 18, 0, 3, 198, 18, 0, 2], 17, &seg));
    }
}
