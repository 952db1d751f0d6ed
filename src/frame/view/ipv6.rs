//! IPv6: the fixed header, then its extension headers (hop-by-hop, routing, fragment,
//! destination options, AH), walked so that what follows them is found; a fragment that is
//! not the first is not decoded further. Read through [`wire::ipv6`](crate::frame::wire::ipv6).

use super::{hex, v, Emit, LayerKind, Walker};
use crate::frame::reassembly::State;
use crate::frame::wire::{at, ipv6, Value};

/// The IPv6 header at `o`, its extension headers, then its payload, up to `end`.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    let Ok(h) = ipv6::Header::new_checked(w.bytes(o, end)) else {
        return w.data(o..end);
    };
    if h.version() != 6 {
        return w.data(o..end);
    }
    use ipv6::field as F;
    let plen = h.payload_len();
    let defrag = w.frag.filter(|d| !w.nested && d.ipv6 && d.l3_off == o);
    let reassembled = defrag.is_some_and(|d| d.state == State::Reassembled);
    let base = o + ipv6::HEADER_LEN;
    // A jumbogram (RFC 2675): payload length 0 and the hop-by-hop jumbo option's length.
    let jumbo = (plen == 0 && h.next_header() == crate::frame::wire::ip::protocol::HOPOPT)
        .then(|| ipv6::jumbo_option(w.bytes(base, end)))
        .flatten();
    // A completed datagram: after its fragment header, the whole reassembled payload.
    let ip_end = match jumbo {
        _ if reassembled => end,
        Some((_, j)) => (base + j as usize).min(end),
        None => o + h.packet_end(),
    };
    w.push(LayerKind::Ipv6, o, ip_end);
    let byte0 = o..o + 1;
    // tshark's IP dissector reads the version nibble before handing over to IPv6.
    w.field("ip.version", byte0.clone(), v!("6"));
    w.field("ipv6.version", byte0, v!("6"));
    w.field("ipv6.tclass", o..o + 2, v!("0x{:08x}", h.traffic_class()));
    w.field("ipv6.flow", at(o, F::FLOW), v!("0x{:06x}", h.flow_label()));
    w.field("ipv6.plen", at(o, F::LENGTH), v!("{plen}"));
    w.field("ipv6.nxt", at(o, F::NXT_HDR), v!("{}", h.next_header()));
    w.field("ipv6.hlim", at(o, F::HOP_LIMIT), v!("{}", h.hop_limit()));
    w.field("ipv6.src", at(o, F::SRC_ADDR), v!("{}", h.src()));
    w.field("ipv6.dst", at(o, F::DST_ADDR), v!("{}", h.dst()));
    let top = !w.nested;
    if top {
        let lay = &mut w.lay;
        lay.l3_off = Some(o);
        lay.ipv6 = true;
        lay.ip_hdr_len = ipv6::HEADER_LEN;
        lay.ip_proto = h.next_header();
        lay.ip_end = ip_end;
        lay.payload_off = base;
        lay.payload_end = ip_end;
    }
    let (mut nh, mut off) = (h.next_header(), base);
    let mut later_fragment = false;
    let mut held = None;
    while ipv6::is_ext_header(nh) && off + ipv6::EXT_HEADER_MIN_LEN <= ip_end {
        let ext = &f[off..ip_end];
        let len = ipv6::ext_header_len(nh, ext);
        if nh == crate::frame::wire::ip::protocol::IPV6_FRAG {
            later_fragment = ipv6::is_later_fragment(ext);
            let more = u16::get(&ext[ipv6::field::FRAG_OFF_M]) & 1 == 1;
            // A first fragment (not reassembled): its transport header is not whole.
            w.first_fragment = top && more && !later_fragment && !reassembled;
            frag_header(w, off);
            if let Some(d) = defrag.filter(|d| d.payload_off == off + len) {
                if d.state == State::Pending {
                    held = Some(d);
                    later_fragment = true;
                } else {
                    later_fragment = false;
                    super::defrag::fields(w, d, off + len..ip_end);
                }
            }
        }
        if off + len > ip_end {
            break;
        }
        if nh == crate::frame::wire::ip::protocol::HOPOPT {
            let (n, l) = (
                ext[ipv6::field::EXT_NXT_HDR.start],
                ext[ipv6::field::EXT_LEN.start],
            );
            w.field(
                "ipv6.hopopts.nxt",
                at(off, ipv6::field::EXT_NXT_HDR),
                v!("{n}"),
            );
            let lr = at(off, ipv6::field::EXT_LEN);
            w.field("ipv6.hopopts.len", lr.clone(), v!("{l}"));
            w.field("ipv6.hopopts.len_oct", lr, v!("{len}"));
            if let (true, Some((at_, j))) = (off == base, jumbo) {
                w.field("ipv6.opt.jumbo", base + at_..base + at_ + 4, v!("{j}"));
            }
        }
        nh = ext[ipv6::field::EXT_NXT_HDR.start];
        off += len;
        if later_fragment {
            break;
        }
    }
    if let Some(d) = held {
        super::defrag::fields(w, d, off..ip_end);
    }
    if off > base {
        w.field("ipv6.exthdrs", base..off, v!("{}", hex(&f[base..off])));
    }
    if top {
        w.lay.payload_off = off;
    }
    if later_fragment {
        w.push(LayerKind::Fragment, off, ip_end);
        return w.data(off..ip_end);
    }
    if ipv6::is_ext_header(nh) {
        // An extension header cut short.
        return w.data(off..ip_end);
    }
    w.ip_payload(nh, off..ip_end);
}

/// The fragment header at `o` (whole: the walk checked 8 bytes), by tshark's names.
fn frag_header<E: Emit>(w: &mut Walker<'_, E>, o: usize) {
    use ipv6::field as F;
    let f = w.f;
    let fo = u16::get(&f[at(o, F::FRAG_OFF_M)]);
    let nxt = f[o + F::EXT_NXT_HDR.start];
    let ident = u32::get(&f[at(o, F::FRAG_IDENT)]);
    w.field("ipv6.fraghdr.nxt", at(o, F::EXT_NXT_HDR), v!("{nxt}"));
    w.field(
        "ipv6.fraghdr.offset",
        at(o, F::FRAG_OFF_M),
        v!("{}", fo >> 3),
    );
    w.field("ipv6.fraghdr.more", at(o, F::FRAG_OFF_M), v!("{}", fo & 1));
    w.field(
        "ipv6.fraghdr.ident",
        at(o, F::FRAG_IDENT),
        v!("0x{ident:08x}"),
    );
}
