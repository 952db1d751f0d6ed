//! ARP (Ethernet/IPv4 addresses), read through [`wire::arp`](crate::frame::wire::arp).

use super::{v, Emit, LayerKind, Walker};
use crate::frame::wire::{arp, at};

/// The ARP packet at `o`.
pub(super) fn walk_arp<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let Ok(h) = arp::Header::new_checked(w.bytes(o, end)) else {
        return;
    };
    use arp::field as F;
    w.push(LayerKind::Arp, o, end);
    w.field("arp.hw.type", at(o, F::HTYPE), v!("{}", h.htype()));
    w.field("arp.proto.type", at(o, F::PTYPE), v!("0x{:04x}", h.ptype()));
    w.field("arp.hw.size", at(o, F::HLEN), v!("{}", h.hlen()));
    w.field("arp.proto.size", at(o, F::PLEN), v!("{}", h.plen()));
    w.field("arp.opcode", at(o, F::OPER), v!("{}", h.oper()));
    if !h.is_eth_ipv4() {
        return;
    }
    w.field("arp.src.hw_mac", at(o, F::SHA), v!("{}", h.sha()));
    w.field("arp.src.proto_ipv4", at(o, F::SPA), v!("{}", h.spa()));
    w.field("arp.dst.hw_mac", at(o, F::THA), v!("{}", h.tha()));
    w.field("arp.dst.proto_ipv4", at(o, F::TPA), v!("{}", h.tpa()));
}
