//! GRE (RFC 2784/2890): the header, then what its protocol type announces (IPv4, IPv6,
//! Ethernet for 0x6558, MPLS). Read through [`wire::gre`](crate::frame::wire::gre).

use std::ops::Range;

use super::{v, Emit, LayerKind, Walker};
use crate::frame::wire::{at, gre};

/// The GRE header in `seg` (the caller has entered the tunnel).
pub(super) fn walk_gre<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    let Ok(h) = gre::Header::new_checked(w.bytes(o, end)) else {
        return w.data(seg);
    };
    let (hl, proto) = (h.header_len(), h.protocol());
    w.push(LayerKind::Gre, o, end);
    w.field(
        "gre.proto",
        at(o, gre::field::PROTOCOL),
        v!("0x{proto:04x}"),
    );
    if o + hl > end {
        return;
    }
    w.ether_payload(proto, o + hl, end);
}
