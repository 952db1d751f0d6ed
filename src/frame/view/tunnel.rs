//! GRE (RFC 2784/2890): the header, then what its protocol type announces (IPv4, IPv6,
//! Ethernet for 0x6558, MPLS).

use std::ops::Range;

use super::{be16, v, Emit, Proto, Walker};

/// The GRE header in `seg` (the caller has entered the tunnel).
pub(super) fn walk_gre<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let f = w.f;
    let (o, end) = (seg.start, seg.end);
    if end < o + 4 {
        return w.data(seg);
    }
    let flags = f[o];
    let hl = 4 + 4 * [0x80u8, 0x20, 0x10]
        .iter()
        .filter(|&&b| flags & b != 0)
        .count();
    let proto = be16(f, o + 2);
    w.push(Proto::Gre, o, end);
    w.field("gre.proto", o + 2..o + 4, v!("0x{proto:04x}"));
    if o + hl > end {
        return;
    }
    w.ether_payload(proto, o + hl, end);
}
