//! ICMP, ICMPv6 and IGMP. Echo requests and replies carry `data`; errors quote the packet that
//! caused them, walked like any other (after a [`Proto::Quoted`] marker); ICMPv6 neighbour
//! discovery has its target address and link-layer address options.

use std::ops::Range;

use super::{be16, hex, ip6, mac, v, Emit, Proto, Walker, L4};

/// The ICMP message in `seg`.
pub(super) fn walk_v4<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let f = w.f;
    let (o, end) = (seg.start, seg.end);
    if !common(w, o, end, L4::Icmpv4, Proto::Icmp) {
        return;
    }
    let (t, c) = (f[o], f[o + 1]);
    w.field("icmp.type", o..o + 1, v!("{t}"));
    w.field("icmp.code", o + 1..o + 2, v!("{c}"));
    w.field("icmp.chksum", o + 2..o + 4, v!("0x{:04x}", be16(f, o + 2)));
    w.field("icmp.rest", o + 4..o + 8, v!("{}", hex(&f[o + 4..o + 8])));
    match t {
        0 | 8 => {
            w.field("icmp.ident", o + 4..o + 6, v!("{}", be16(f, o + 4)));
            w.field("icmp.seq", o + 6..o + 8, v!("{}", be16(f, o + 6)));
            w.data(o + 8..end);
        }
        3 | 4 | 5 | 11 | 12 => {
            if t == 3 && c == 4 {
                w.field("icmp.mtu", o + 6..o + 8, v!("{}", be16(f, o + 6)));
            }
            quote(w, 0x0800, o + 8, end);
        }
        _ => {}
    }
}

/// The ICMPv6 message in `seg`.
pub(super) fn walk_v6<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let f = w.f;
    let (o, end) = (seg.start, seg.end);
    if !common(w, o, end, L4::Icmpv6, Proto::Icmpv6) {
        return;
    }
    let t = f[o];
    w.field("icmpv6.type", o..o + 1, v!("{t}"));
    w.field("icmpv6.code", o + 1..o + 2, v!("{}", f[o + 1]));
    w.field(
        "icmpv6.chksum",
        o + 2..o + 4,
        v!("0x{:04x}", be16(f, o + 2)),
    );
    w.field("icmpv6.rest", o + 4..o + 8, v!("{}", hex(&f[o + 4..o + 8])));
    match t {
        128 | 129 => {
            w.field(
                "icmpv6.echo.identifier",
                o + 4..o + 6,
                v!("0x{:04x}", be16(f, o + 4)),
            );
            w.field(
                "icmpv6.echo.sequence_number",
                o + 6..o + 8,
                v!("{}", be16(f, o + 6)),
            );
            w.data(o + 8..end);
        }
        1..=4 => {
            if t == 2 {
                w.field("icmpv6.mtu", o + 4..o + 8, v!("{}", super::be32(f, o + 4)));
            }
            quote(w, 0x86dd, o + 8, end);
        }
        133 => nd_options(w, o + 8, end),
        134 => nd_options(w, o + 16, end),
        135 | 136 if end >= o + 24 => {
            let name = if t == 135 {
                "icmpv6.nd.ns.target_address"
            } else {
                "icmpv6.nd.na.target_address"
            };
            w.field(name, o + 8..o + 24, v!("{}", ip6(f, o + 8)));
            nd_options(w, o + 24, end);
        }
        _ => {}
    }
}

/// Type, code, checksum and four more bytes are there: push the layer, fill the layout.
fn common<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize, l4: L4, p: Proto) -> bool {
    if !w.nested {
        w.lay.l4 = Some((l4, o));
    }
    if end < o + 8 {
        w.data(o..end);
        return false;
    }
    w.push(p, o, end);
    if !w.nested {
        w.lay.l4_csum_off = Some(o + 2);
        w.lay.icmp_type = Some(w.f[o]);
        w.lay.payload_off = o + 8;
    }
    true
}

/// The packet an error quotes, at `o`.
fn quote<E: Emit>(w: &mut Walker<'_, E>, et: u16, o: usize, end: usize) {
    if o >= end || !w.enter() {
        return;
    }
    w.push(Proto::Quoted, o, end);
    let was = w.quoted;
    w.quoted = true;
    w.ether_payload(et, o, end);
    w.quoted = was;
}

/// Neighbour discovery options from `o`: the link-layer address ones by value.
fn nd_options<E: Emit>(w: &mut Walker<'_, E>, mut o: usize, end: usize) {
    let f = w.f;
    while o + 2 <= end {
        let len = f[o + 1] as usize * 8;
        if len == 0 || o + len > end {
            return;
        }
        if matches!(f[o], 1 | 2) && len == 8 {
            w.field("icmpv6.opt.linkaddr", o + 2..o + 8, v!("{}", mac(f, o + 2)));
        }
        o += len;
    }
}

/// The IGMP type and checksum in `seg`.
pub(super) fn walk_igmp<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let f = w.f;
    let o = seg.start;
    if !w.nested {
        w.lay.l4 = Some((L4::Igmp, o));
    }
    if seg.end >= o + 4 {
        w.push(Proto::Igmp, o, seg.end);
        w.field("igmp.type", o..o + 1, v!("0x{:02x}", f[o]));
        w.field("igmp.chksum", o + 2..o + 4, v!("0x{:04x}", be16(f, o + 2)));
    }
}
