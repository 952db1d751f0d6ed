//! PIM (IP protocol 103): the common header, and for a Register (type 1) its flags and the
//! multicast packet it carries (IPv4 or IPv6 by the version nibble); other messages' bodies
//! are data. Read through [`wire::pim`](crate::frame::wire::pim).

use std::ops::Range;

use super::{hex, v, Emit, LayerKind, Walker, L4};
use crate::frame::wire::{at, ethernet::ethertype as T, ip, pim};

/// The PIM message in `seg`.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    let f = w.f;
    if !w.nested {
        w.lay.l4 = Some((L4::Other(ip::protocol::PIM), o));
    }
    let Ok(h) = pim::Header::new_checked(w.bytes(o, end)) else {
        return w.data(seg);
    };
    use pim::field as F;
    w.push(LayerKind::Pim, o, end);
    let r = at(o, F::VER_TYPE);
    let ty = h.msg_type();
    w.field("pim.version", r.clone(), v!("{}", h.version()));
    w.field("pim.type", r, v!("{ty}"));
    let rr = at(o, F::RESERVED);
    let res = &f[rr.clone()];
    w.field("pim.res_bytes", rr, v!("{}", hex(res)));
    w.field(
        "pim.cksum",
        at(o, F::CHECKSUM),
        v!("0x{:04x}", h.checksum()),
    );
    if h.version() != 2 || ty != pim::TYPE_REGISTER {
        return w.data(o + pim::HEADER_LEN..end);
    }
    let Some(fl) = h.register_flags() else {
        return w.data(o + pim::HEADER_LEN..end);
    };
    let r = at(o, F::REGISTER_FLAGS);
    w.field("pim.register_flag", r.clone(), v!("0x{fl:08x}"));
    let bit = |b: u32| u8::from(fl & b != 0);
    w.field(
        "pim.register_flag.border",
        r.clone(),
        v!("{}", bit(pim::FLAG_BORDER)),
    );
    w.field(
        "pim.register_flag.null_register",
        r,
        v!("{}", bit(pim::FLAG_NULL_REGISTER)),
    );
    let p = o + pim::REGISTER_LEN;
    if !w.enter() {
        return w.data(p..end);
    }
    match f.get(p).map(|&b| ip::version(b)) {
        Some(4) => w.ether_payload(T::IPV4, p, end),
        Some(6) => w.ether_payload(T::IPV6, p, end),
        _ => w.data(p..end),
    }
}
