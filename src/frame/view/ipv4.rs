//! IPv4: the header, its options (each type, and all as raw bytes); a later fragment is not
//! decoded further, nor is any fragment reassembly holds; the frame that completes a
//! datagram has its fragment list and the reassembled payload's layers; a total length of 0 (TSO, BIG TCP) means "up to the captured end", as
//! tshark reads it. Read through [`wire::ipv4`](crate::frame::wire::ipv4).

use super::{hex, v, Emit, LayerKind, Walker};
use crate::frame::reassembly::State;
use crate::frame::wire::{at, ipv4};

/// The IPv4 header at `o`, then its payload, up to `end`.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let b = w.bytes(o, end);
    if b.len() < ipv4::HEADER_LEN {
        return w.data(o..end);
    }
    let h = ipv4::Header::new_unchecked(b);
    if h.version() != 4 {
        return w.data(o..end);
    }
    use ipv4::field as F;
    let hl = h.header_len();
    if hl < ipv4::HEADER_LEN {
        // tshark: "Bogus IP header length": the version and length; the rest stays data (which
        // show() prints as Scapy's IP, and the summary calls malformed).
        w.field("ip.version", at(o, F::VER_IHL), v!("4"));
        w.field("ip.hdr_len", at(o, F::VER_IHL), v!("{hl}"));
        return w.data(o..end);
    }
    if h.check_len().is_err() {
        return w.data(o..end);
    }
    let total = h.total_len() as usize;
    // Reassembly holds this fragment, or this frame completed its datagram (then the bytes
    // after the header are the whole datagram's payload).
    let defrag = w.frag.filter(|d| !w.nested && !d.ipv6 && d.l3_off == o);
    let reassembled = defrag.is_some_and(|d| d.state == State::Reassembled);
    // The total length bounds the packet (Ethernet pads short frames); 0 is TSO's.
    let ip_end = if reassembled { end } else { o + h.packet_end() };
    let (frag, proto) = (h.frag_offset(), h.protocol());
    w.push(LayerKind::Ipv4, o, ip_end);
    let flags_byte = at(o, F::FLG_OFF.start..F::FLG_OFF.start + 1);
    w.field("ip.version", at(o, F::VER_IHL), v!("4"));
    w.field("ip.hdr_len", at(o, F::VER_IHL), v!("{hl}"));
    w.field(
        "ip.dsfield",
        at(o, F::DSCP_ECN),
        v!("0x{:02x}", h.dsfield()),
    );
    // tshark shows the length it took for a 0 (TSO, BIG TCP): the captured one.
    w.field(
        "ip.len",
        at(o, F::LENGTH),
        v!("{}", if total == 0 { ip_end - o } else { total }),
    );
    w.field("ip.id", at(o, F::IDENT), v!("0x{:04x}", h.ident()));
    w.field("ip.flags", flags_byte.clone(), v!("0x{:02x}", h.flags()));
    w.field(
        "ip.flags.rb",
        flags_byte.clone(),
        v!("{}", u8::from(h.reserved_flag())),
    );
    w.field(
        "ip.flags.df",
        flags_byte.clone(),
        v!("{}", u8::from(h.dont_frag())),
    );
    w.field(
        "ip.flags.mf",
        flags_byte,
        v!("{}", u8::from(h.more_frags())),
    );
    w.field("ip.frag_offset", at(o, F::FLG_OFF), v!("{frag}"));
    w.field("ip.ttl", at(o, F::TTL), v!("{}", h.ttl()));
    w.field("ip.proto", at(o, F::PROTOCOL), v!("{proto}"));
    w.field(
        "ip.chksum",
        at(o, F::CHECKSUM),
        v!("0x{:04x}", h.checksum()),
    );
    w.field("ip.src", at(o, F::SRC_ADDR), v!("{}", h.src()));
    w.field("ip.dst", at(o, F::DST_ADDR), v!("{}", h.dst()));
    if hl > ipv4::HEADER_LEN {
        let opts = h.options();
        w.field("ip.options", at(o, F::options(hl)), v!("{}", hex(opts)));
        let base = o + ipv4::HEADER_LEN;
        for opt in h.option_iter() {
            let p = base + opt.offset;
            w.field("ip.opt.type", p..p + 1, v!("{}", opt.kind));
        }
    }
    if let Some(d) = defrag {
        super::defrag::fields(w, d, o + hl..ip_end);
    }
    if !w.nested {
        let lay = &mut w.lay;
        lay.l3_off = Some(o);
        lay.ipv6 = false;
        lay.ip_hdr_len = hl;
        lay.ip_proto = proto;
        lay.ip_end = ip_end;
        lay.payload_off = o + hl;
        lay.payload_end = ip_end;
    }
    if (frag != 0 && !reassembled) || defrag.is_some_and(|d| d.state == State::Pending) {
        if !w.nested && frag != 0 {
            w.lay.ip_later_fragment = true;
        }
        w.push(LayerKind::Fragment, o + hl, ip_end);
        return w.data(o + hl..ip_end);
    }
    // A first fragment (not reassembled): its transport header is not whole.
    w.first_fragment = !w.nested && h.more_frags() && !reassembled;
    w.ip_payload(proto, o + hl..ip_end);
}
