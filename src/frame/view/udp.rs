//! UDP: the header (its length bounds the payload), then VXLAN on port 4789, VXLAN-GPE on
//! 4790 (IPv4, IPv6, Ethernet, NSH or MPLS after it), Geneve on 6081, MPLS on 6635 (RFC 7510)
//! with what they carry. Read through
//! [`wire::udp`](crate::frame::wire::udp), [`wire::vxlan`](crate::frame::wire::vxlan) and
//! [`wire::geneve`](crate::frame::wire::geneve).

use std::ops::Range;

use super::{hex, v, Emit, LayerKind, Walker, L4};
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
            vxlan_fields(w, p..udp_end, vxlan::Header::new_unchecked(inner));
            super::eth::walk(w, p + vxlan::HEADER_LEN, udp_end);
        }
        udp::port::VXLAN_GPE if inner.len() >= vxlan::HEADER_LEN && w.enter() => {
            let next = gpe_fields(w, p..udp_end, vxlan::Header::new_unchecked(inner));
            let q = p + vxlan::HEADER_LEN;
            use super::super::wire::ethernet::ethertype as T;
            match next {
                1 => w.ether_payload(T::IPV4, q, udp_end),
                2 => w.ether_payload(T::IPV6, q, udp_end),
                3 => super::eth::walk(w, q, udp_end),
                4 => super::nsh::walk(w, q, udp_end),
                5 => w.ether_payload(T::MPLS_UNICAST, q, udp_end),
                _ => w.data(q..udp_end),
            }
        }
        udp::port::GENEVE if inner.len() >= geneve::HEADER_LEN && w.enter() => {
            let g = geneve::Header::new_unchecked(inner);
            let (hl, proto) = (g.header_len(), g.protocol());
            w.push(LayerKind::Geneve, p, udp_end);
            use geneve::field as G;
            let r0 = at(p, G::VER_OPTLEN);
            w.field("geneve.version", r0.clone(), v!("{}", g.version()));
            w.field("geneve.option.length", r0, v!("{}", g.options_len()));
            let (rf, fl) = (at(p, G::FLAGS), g.flags());
            w.field("geneve.flags", rf.clone(), v!("0x{fl:02x}"));
            w.field("geneve.flags.oam", rf.clone(), v!("{}", fl >> 7));
            w.field("geneve.flags.critical", rf.clone(), v!("{}", (fl >> 6) & 1));
            w.field(
                "geneve.flags.reserved",
                rf,
                v!("{}", u8::from(fl & 0x3f != 0)),
            );
            w.field("geneve.proto_type", at(p, G::PROTOCOL), v!("0x{proto:04x}"));
            w.field("geneve.vni", at(p, G::VNI), v!("0x{:06x}", g.vni()));
            w.field(
                "geneve.reserved",
                at(p, G::RESERVED),
                v!("0x{:02x}", g.reserved()),
            );
            if p + hl <= udp_end {
                geneve_options(w, p + geneve::HEADER_LEN, p + hl);
                w.ether_payload(proto, p + hl, udp_end);
            }
        }
        udp::port::MPLS if w.enter() => super::mpls::walk(w, p, udp_end),
        _ => w.data(p..udp_end),
    }
}

/// VXLAN's header (RFC 7348, with the group policy extension) at `p`, as tshark names it: the
/// flags as a 16-bit word.
fn vxlan_fields<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>, x: vxlan::Header<&[u8]>) {
    let p = seg.start;
    use vxlan::field as X;
    w.push(LayerKind::Vxlan, p, seg.end);
    let fl = x.flags16();
    let r = at(p, X::FLAGS16);
    w.field("vxlan.flags", r.clone(), v!("0x{fl:04x}"));
    w.field(
        "vxlan.flags_reserved",
        r.clone(),
        v!("0x{:04x}", fl & vxlan::FLAGS16_RESERVED),
    );
    for (name, bit) in [
        ("vxlan.flag_g", 0x8000),
        ("vxlan.flag_i", 0x0800),
        ("vxlan.flag_d", 0x0040),
        ("vxlan.flag_a", 0x0008),
    ] {
        w.field(name, r.clone(), v!("{}", u8::from(fl & bit != 0)));
    }
    w.field("vxlan.gbp", at(p, X::GBP_ID), v!("{}", x.gbp_id()));
    w.field("vxlan.vni", at(p, X::VNI), v!("{}", x.vni()));
    w.field(
        "vxlan.reserved8",
        at(p, X::RESERVED2),
        v!("{}", x.reserved2()),
    );
}

/// VXLAN-GPE's header at `p`, as tshark names it; returns the next protocol.
fn gpe_fields<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>, x: vxlan::Header<&[u8]>) -> u8 {
    let p = seg.start;
    use vxlan::field as X;
    w.push(LayerKind::Vxlan, p, seg.end);
    let fl = x.flags();
    let r = at(p, X::FLAGS);
    w.field("vxlan.flags", r.clone(), v!("0x{fl:02x}"));
    w.field(
        "vxlan.flags_reserved",
        r.clone(),
        v!("{}", fl & vxlan::GPE_FLAGS_RESERVED),
    );
    w.field("vxlan.ver", r.clone(), v!("{}", (fl >> 4) & 3));
    w.field("vxlan.i_bit", r.clone(), v!("{}", (fl >> 3) & 1));
    w.field("vxlan.p_bit", r.clone(), v!("{}", (fl >> 2) & 1));
    w.field("vxlan.o_bit", r, v!("{}", fl & 1));
    w.field(
        "vxlan.reserved_16",
        at(p, X::RESERVED0),
        v!("{}", x.reserved0()),
    );
    let next = x.next_protocol();
    w.field("vxlan.next_proto", at(p, X::NEXT_PROTOCOL), v!("{next}"));
    w.field("vxlan.vni", at(p, X::VNI), v!("{}", x.vni()));
    w.field(
        "vxlan.reserved8",
        at(p, X::RESERVED2),
        v!("{}", x.reserved2()),
    );
    next
}

/// Geneve's options in `o..end` (all there), each named as tshark names an option it has no
/// dissector for (its data as `geneve.option.unknown.data`).
fn geneve_options<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    if o < end {
        w.field("geneve.options", o..end, v!("{}", hex(&f[o..end])));
    }
    let mut q = o;
    while q + geneve::OPTION_HEADER_LEN <= end {
        let b = &f[q..end];
        let len = geneve::OPTION_HEADER_LEN + geneve::option_data_len(b);
        if q + len > end {
            break;
        }
        use geneve::option as P;
        let (cls, ty, fl) = (
            u16::from_be_bytes([b[0], b[1]]),
            b[P::TYPE.start],
            b[P::FLAGS_LEN.start] & 0xe0,
        );
        w.field("geneve.option", q..q + len, v!("{}", hex(&b[..len])));
        w.field("geneve.option.class", at(q, P::CLASS), v!("0x{cls:04x}"));
        let rt = at(q, P::TYPE);
        w.field("geneve.option.type", rt.clone(), v!("0x{ty:02x}"));
        w.field("geneve.option.type.critical", rt, v!("{}", ty >> 7));
        let rf = at(q, P::FLAGS_LEN);
        w.field("geneve.option.flags", rf.clone(), v!("0x{fl:02x}"));
        w.field(
            "geneve.option.flags.reserved",
            rf.clone(),
            v!("{}", u8::from(fl != 0)),
        );
        w.field("geneve.option.length", rf, v!("{len}"));
        let d = geneve::OPTION_HEADER_LEN;
        if len > d {
            w.field(
                "geneve.option.unknown.data",
                q + d..q + len,
                v!("{}", hex(&b[d..len])),
            );
        }
        q += len;
    }
}
