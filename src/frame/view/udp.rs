//! UDP: the header (its length bounds the payload), then VXLAN on port 4789 and Geneve on
//! port 6081 with the Ethernet frame they carry. Read through
//! [`wire::udp`](crate::frame::wire::udp), [`wire::vxlan`](crate::frame::wire::vxlan) and
//! [`wire::geneve`](crate::frame::wire::geneve).

use std::ops::Range;

use super::{v, Emit, LayerKind, Walker, L4};
use crate::frame::wire::{at, geneve, udp, vxlan};

/// The UDP header in `seg`, then its payload.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    if !w.nested {
        w.lay.l4 = Some((L4::Udp, o));
    }
    let Ok(h) = udp::Header::new_checked(w.bytes(o, end)) else {
        return w.data(seg);
    };
    use udp::field as F;
    let udp_end = o + h.datagram_end();
    w.push(LayerKind::Udp, o, udp_end);
    let dport = h.dst_port();
    w.field("udp.srcport", at(o, F::SRC_PORT), v!("{}", h.src_port()));
    w.field("udp.dstport", at(o, F::DST_PORT), v!("{dport}"));
    w.field("udp.length", at(o, F::LENGTH), v!("{}", h.len()));
    w.field(
        "udp.chksum",
        at(o, F::CHECKSUM),
        v!("0x{:04x}", h.checksum()),
    );
    let p = o + udp::HEADER_LEN;
    if !w.nested {
        w.lay.l4_csum_off = Some(o + F::CHECKSUM.start);
        w.lay.payload_off = p;
        w.lay.payload_end = udp_end;
    }
    let inner = w.bytes(p, udp_end);
    match dport {
        udp::port::VXLAN if inner.len() >= vxlan::HEADER_LEN && w.enter() => {
            let x = vxlan::Header::new_unchecked(inner);
            w.push(LayerKind::Vxlan, p, udp_end);
            w.field("vxlan.vni", at(p, vxlan::field::VNI), v!("{}", x.vni()));
            super::eth::walk(w, p + vxlan::HEADER_LEN, udp_end);
        }
        udp::port::GENEVE if inner.len() >= geneve::HEADER_LEN && w.enter() => {
            let g = geneve::Header::new_unchecked(inner);
            let (hl, proto) = (g.header_len(), g.protocol());
            w.push(LayerKind::Geneve, p, udp_end);
            w.field("geneve.vni", at(p, geneve::field::VNI), v!("{}", g.vni()));
            if p + hl <= udp_end {
                w.ether_payload(proto, p + hl, udp_end);
            }
        }
        _ => w.data(p..udp_end),
    }
}
