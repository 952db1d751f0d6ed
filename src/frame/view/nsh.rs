//! NSH (RFC 8300, EtherType 0x894f, GRE 0x894f, VXLAN-GPE next protocol 4): the base and
//! service path headers, the context headers (MD type 1's four words, MD type 2's TLVs), then
//! what the next protocol announces. Read through [`wire::nsh`](crate::frame::wire::nsh).

use super::{hex, v, Emit, LayerKind, Walker};
use crate::frame::wire::{at, ethernet::ethertype as T, nsh};

/// The NSH at `o`, then what it carries, up to `end`.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    let Ok(h) = nsh::Header::new_checked(w.bytes(o, end)) else {
        return w.data(o..end);
    };
    if !w.enter() {
        return w.data(o..end);
    }
    use nsh::field as F;
    let hl = h.header_len();
    w.push(LayerKind::Nsh, o, end);
    let r = at(o, F::VER_LEN);
    w.field("nsh.version", r.clone(), v!("{}", h.version()));
    w.field("nsh.Obit", r.clone(), v!("{}", h.oam()));
    w.field("nsh.CBit", r.clone(), v!("{}", h.c_bit()));
    w.field("nsh.ttl", r.clone(), v!("0x{:04x}", h.ttl()));
    w.field("nsh.length", r, v!("{}", h.len_words()));
    let md = h.md_type();
    w.field("nsh.mdtype", at(o, F::MD_TYPE), v!("{md}"));
    let next = h.next_protocol();
    w.field("nsh.nextproto", at(o, F::NEXT_PROTOCOL), v!("{next}"));
    w.field("nsh.spi", at(o, F::SPI), v!("{}", h.spi()));
    w.field("nsh.si", at(o, F::SI), v!("{}", h.si()));
    let (ctx, p) = (o + nsh::HEADER_LEN, o + hl);
    if hl < nsh::HEADER_LEN || p > end {
        return w.data(ctx..end);
    }
    match md {
        1 => {
            for q in (ctx..p).step_by(4).filter(|q| q + 4 <= p) {
                w.field("nsh.contextheader", q..q + 4, v!("{}", hex(&f[q..q + 4])));
            }
        }
        2 => {
            let mut q = ctx;
            while q + nsh::TLV_HEADER_LEN <= p {
                let (cls, ty, lb) = (
                    u16::from_be_bytes([f[q], f[q + 1]]),
                    f[q + F::TLV_TYPE.start],
                    f[q + F::TLV_LEN.start],
                );
                let len = usize::from(lb & 0x7f);
                w.field("nsh.metadataclass", at(q, F::TLV_CLASS), v!("{cls}"));
                w.field("nsh.metadatatype", at(q, F::TLV_TYPE), v!("{ty}"));
                let rl = at(q, F::TLV_LEN);
                w.field(
                    "nsh.metadataunassignedbit",
                    rl.clone(),
                    v!("0x{:02x}", lb >> 7),
                );
                w.field("nsh.metadatalen", rl, v!("0x{len:02x}"));
                let m = q + nsh::TLV_HEADER_LEN;
                let padded = len.div_ceil(4) * 4;
                if len > 0 && m + len <= p {
                    w.field("nsh.metadata", m..m + len, v!("{}", hex(&f[m..m + len])));
                }
                q = m + padded;
            }
        }
        _ => {}
    }
    match next {
        nsh::next::IPV4 => w.ether_payload(T::IPV4, p, end),
        nsh::next::IPV6 => w.ether_payload(T::IPV6, p, end),
        nsh::next::ETHERNET => super::eth::walk(w, p, end),
        nsh::next::NSH => walk(w, p, end),
        nsh::next::MPLS => w.ether_payload(T::MPLS_UNICAST, p, end),
        _ => w.data(p..end),
    }
}
