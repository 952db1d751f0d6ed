//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624), shared by frame
//! templates (`--count --vary`) and the harness's stamps: one implementation, so a fix to
//! either reaches both.

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
