//! ICMP, ICMPv6 and IGMP. Echo requests and replies carry `data`; errors quote the packet that
//! caused them, walked like any other (after a [`LayerKind::Quoted`] marker); ICMPv6 neighbour
//! discovery has its target address and link-layer address options. Read through
//! [`wire::icmp`](crate::frame::wire::icmp), [`wire::icmpv6`](crate::frame::wire::icmpv6) and
//! [`wire::igmp`](crate::frame::wire::igmp).

use std::ops::Range;

use super::{hex, v, Emit, LayerKind, Walker, L4};
use crate::frame::wire::{at, ethernet::ethertype, icmp, icmpv6, igmp, Value};
use crate::frame::MacAddr;

/// The ICMP message in `seg`.
pub(super) fn walk_v4<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    if !common(w, o, end, L4::Icmpv4, LayerKind::Icmp) {
        return;
    }
    let h = icmp::Header::new_unchecked(w.bytes(o, end));
    use icmp::field as F;
    let (t, c) = (h.msg_type(), h.code());
    w.field("icmp.type", at(o, F::TYPE), v!("{t}"));
    w.field("icmp.code", at(o, F::CODE), v!("{c}"));
    w.field(
        "icmp.chksum",
        at(o, F::CHECKSUM),
        v!("0x{:04x}", h.checksum()),
    );
    w.field("icmp.rest", at(o, F::REST), v!("{}", hex(h.rest())));
    match t {
        icmp::msg::ECHO_REPLY | icmp::msg::ECHO_REQUEST => {
            w.field("icmp.ident", at(o, F::ECHO_IDENT), v!("{}", h.echo_ident()));
            w.field("icmp.seq", at(o, F::ECHO_SEQ), v!("{}", h.echo_seq()));
            w.data(o + icmp::HEADER_LEN..end);
        }
        t if icmp::msg::is_error(t) => {
            if t == icmp::msg::DEST_UNREACHABLE && c == icmp::msg::CODE_FRAG_NEEDED {
                w.field(
                    "icmp.mtu",
                    at(o, F::NEXT_HOP_MTU),
                    v!("{}", h.next_hop_mtu()),
                );
            }
            quote(w, ethertype::IPV4, o + icmp::HEADER_LEN, end);
        }
        _ => {}
    }
}

/// The ICMPv6 message in `seg`.
pub(super) fn walk_v6<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    if !common(w, o, end, L4::Icmpv6, LayerKind::Icmpv6) {
        return;
    }
    let h = icmpv6::Header::new_unchecked(w.bytes(o, end));
    use icmpv6::{field as F, msg};
    let t = h.msg_type();
    w.field("icmpv6.type", at(o, F::TYPE), v!("{t}"));
    w.field("icmpv6.code", at(o, F::CODE), v!("{}", h.code()));
    w.field(
        "icmpv6.chksum",
        at(o, F::CHECKSUM),
        v!("0x{:04x}", h.checksum()),
    );
    w.field("icmpv6.rest", at(o, F::REST), v!("{}", hex(h.rest())));
    match t {
        msg::ECHO_REQUEST | msg::ECHO_REPLY => {
            w.field(
                "icmpv6.echo.identifier",
                at(o, F::ECHO_IDENT),
                v!("0x{:04x}", h.echo_ident()),
            );
            w.field(
                "icmpv6.echo.sequence_number",
                at(o, F::ECHO_SEQ),
                v!("{}", h.echo_seq()),
            );
            w.data(o + icmpv6::HEADER_LEN..end);
        }
        t if msg::is_error(t) => {
            if t == msg::PKT_TOO_BIG {
                w.field("icmpv6.mtu", at(o, F::MTU), v!("{}", h.mtu()));
            }
            quote(w, ethertype::IPV6, o + icmpv6::HEADER_LEN, end);
        }
        msg::ROUTER_SOLICIT => nd_options(w, o + icmpv6::RS_OPTIONS, end),
        msg::ROUTER_ADVERT => nd_options(w, o + icmpv6::RA_OPTIONS, end),
        msg::NEIGHBOR_SOLICIT | msg::NEIGHBOR_ADVERT if h.has_target() => {
            let name = if t == msg::NEIGHBOR_SOLICIT {
                "icmpv6.nd.ns.target_address"
            } else {
                "icmpv6.nd.na.target_address"
            };
            w.field(name, at(o, F::TARGET), v!("{}", h.target()));
            nd_options(w, o + icmpv6::NS_NA_OPTIONS, end);
        }
        _ => {}
    }
}

/// Type, code, checksum and four more bytes are there: push the layer, fill the layout.
fn common<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize, l4: L4, p: LayerKind) -> bool {
    if !w.nested {
        w.lay.l4 = Some((l4, o));
    }
    // ICMP and ICMPv6 share the first 8 bytes' layout.
    let Ok(h) = icmp::Header::new_checked(w.bytes(o, end)) else {
        w.data(o..end);
        return false;
    };
    let t = h.msg_type();
    w.push(p, o, end);
    if !w.nested {
        w.lay.l4_csum_off = Some(o + icmp::field::CHECKSUM.start);
        w.lay.icmp_type = Some(t);
        w.lay.payload_off = o + icmp::HEADER_LEN;
    }
    true
}

/// The packet an error quotes, at `o`.
fn quote<E: Emit>(w: &mut Walker<'_, E>, et: u16, o: usize, end: usize) {
    if o >= end || !w.enter() {
        return;
    }
    w.push(LayerKind::Quoted, o, end);
    let was = w.quoted;
    w.quoted = true;
    w.ether_payload(et, o, end);
    w.quoted = was;
}

/// Neighbour discovery options from `o`: the link-layer address ones by value.
fn nd_options<E: Emit>(w: &mut Walker<'_, E>, mut o: usize, end: usize) {
    use icmpv6::{field as F, nd_option};
    while o + F::OPT_LEN.end <= end {
        let opt = w.bytes(o, end);
        let len = opt[F::OPT_LEN.start] as usize * 8;
        if len == 0 || o + len > end {
            return;
        }
        let kind = opt[F::OPT_TYPE.start];
        if matches!(
            kind,
            nd_option::SOURCE_LINKADDR | nd_option::TARGET_LINKADDR
        ) && len == icmpv6::OPT_LINKADDR_LEN
        {
            let mac = MacAddr::get(&opt[F::OPT_LINKADDR]);
            w.field("icmpv6.opt.linkaddr", at(o, F::OPT_LINKADDR), v!("{mac}"));
        }
        o += len;
    }
}

/// The IGMP type and checksum in `seg`.
pub(super) fn walk_igmp<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let o = seg.start;
    if !w.nested {
        w.lay.l4 = Some((L4::Igmp, o));
    }
    if let Ok(h) = igmp::Header::new_checked(w.bytes(o, seg.end)) {
        use igmp::field as F;
        w.push(LayerKind::Igmp, o, seg.end);
        w.field("igmp.type", at(o, F::TYPE), v!("0x{:02x}", h.msg_type()));
        w.field(
            "igmp.chksum",
            at(o, F::CHECKSUM),
            v!("0x{:04x}", h.checksum()),
        );
    }
}
