//! The MPLS label stack, read through [`wire::mpls`](crate::frame::wire::mpls).

use super::{v, Emit, LayerKind, Walker};
use crate::frame::wire::{at, ethernet::ethertype, ip, mpls};

/// The MPLS label stack at `o`, then IPv4 or IPv6 by the first nibble after the bottom
/// entry (as tshark guesses it), else data.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, mut o: usize, end: usize) {
    let f = w.f;
    loop {
        let Ok(h) = mpls::Header::new_checked(w.bytes(o, end)) else {
            return w.data(o..end);
        };
        use mpls::field as F;
        let bottom = h.bottom();
        w.push(LayerKind::Mpls, o, end);
        w.field("mpls.label", at(o, F::LABEL), v!("{}", h.label()));
        w.field("mpls.exp", at(o, F::TC_BOTTOM), v!("{}", h.tc()));
        w.field(
            "mpls.bottom",
            at(o, F::TC_BOTTOM),
            v!("{}", u8::from(bottom)),
        );
        w.field("mpls.ttl", at(o, F::TTL), v!("{}", h.ttl()));
        o += mpls::HEADER_LEN;
        if bottom {
            break;
        }
    }
    match f.get(o).map(|&b| ip::version(b)) {
        Some(4) => w.ether_payload(ethertype::IPV4, o, end),
        Some(6) => w.ether_payload(ethertype::IPV6, o, end),
        _ => w.data(o..end),
    }
}
