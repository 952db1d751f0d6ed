//! UDP: the header (its length bounds the payload), then VXLAN on port 4789 and Geneve on
//! port 6081 with the Ethernet frame they carry.

use std::ops::Range;

use super::{be16, be32, v, Emit, Proto, Walker, L4};

/// The UDP header in `seg`, then its payload.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let f = w.f;
    let (o, end) = (seg.start, seg.end);
    if !w.nested {
        w.lay.l4 = Some((L4::Udp, o));
    }
    if end < o + 8 {
        return w.data(seg);
    }
    let len = be16(f, o + 4) as usize;
    let udp_end = (o + len).clamp(o + 8, end);
    w.push(Proto::Udp, o, udp_end);
    let dport = be16(f, o + 2);
    w.field("udp.srcport", o..o + 2, v!("{}", be16(f, o)));
    w.field("udp.dstport", o + 2..o + 4, v!("{dport}"));
    w.field("udp.length", o + 4..o + 6, v!("{len}"));
    w.field("udp.chksum", o + 6..o + 8, v!("0x{:04x}", be16(f, o + 6)));
    if !w.nested {
        w.lay.l4_csum_off = Some(o + 6);
        w.lay.payload_off = o + 8;
        w.lay.payload_end = udp_end;
    }
    let p = o + 8;
    match dport {
        4789 if udp_end >= p + 8 && w.enter() => {
            w.push(Proto::Vxlan, p, udp_end);
            w.field("vxlan.vni", p + 4..p + 7, v!("{}", be32(f, p + 4) >> 8));
            super::eth::walk(w, p + 8, udp_end);
        }
        6081 if udp_end >= p + 8 && w.enter() => {
            let hl = 8 + (f[p] & 0x3f) as usize * 4;
            let proto = be16(f, p + 2);
            w.push(Proto::Geneve, p, udp_end);
            w.field("geneve.vni", p + 4..p + 7, v!("{}", be32(f, p + 4) >> 8));
            if p + hl <= udp_end {
                w.ether_payload(proto, p + hl, udp_end);
            }
        }
        _ => w.data(p..udp_end),
    }
}
