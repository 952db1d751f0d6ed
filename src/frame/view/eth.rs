//! Ethernet II, 802.3 length frames with their LLC header, and the 802.1Q / 802.1ad tags
//! (0x8100, 0x88a8, 0x9100), any number of them. Fields are read through
//! [`wire::ethernet`], [`wire::llc`] and [`wire::vlan`].

use super::{v, Emit, LayerKind, Walker};
use crate::frame::wire::{at, ethernet, llc, vlan};

/// The EtherTypes that announce a VLAN tag.
pub(super) fn is_vlan(ether_type: u16) -> bool {
    ethernet::ethertype::is_vlan(ether_type)
}

/// The Ethernet header at `o` (0, or inside a tunnel), its tags, then what they carry.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let Ok(h) = ethernet::Header::new_checked(w.bytes(o, end)) else {
        return w.data(o..end);
    };
    let top = !w.nested;
    if top {
        w.lay.eth = true;
    }
    use ethernet::field as F;
    w.push(LayerKind::Eth, o, end);
    w.field("eth.dst", at(o, F::DESTINATION), v!("{}", h.dst()));
    w.field("eth.src", at(o, F::SOURCE), v!("{}", h.src()));
    let mut et = h.ethertype();
    let mut off = o + ethernet::HEADER_LEN;
    if h.is_8023() {
        // 802.3: a length, then LLC (tshark: `eth.len`, no `eth.type`).
        w.field("eth.len", at(o, F::ETHERTYPE), v!("{et}"));
        if top {
            w.lay.ether_type = et;
            w.lay.payload_off = ethernet::HEADER_LEN;
        }
        if let Ok(l) = llc::Header::new_checked(w.bytes(off, end)) {
            use llc::field as L;
            w.push(LayerKind::Llc, off, end);
            w.field("llc.dsap", at(off, L::DSAP), v!("0x{:02x}", l.dsap()));
            w.field("llc.ssap", at(off, L::SSAP), v!("0x{:02x}", l.ssap()));
            w.field(
                "llc.control",
                at(off, L::CONTROL),
                v!("0x{:04x}", l.control()),
            );
        }
        return;
    }
    w.field("eth.type", at(o, F::ETHERTYPE), v!("0x{et:04x}"));
    if top {
        w.lay.ether_type = et;
        w.lay.payload_off = off;
    }
    while is_vlan(et) {
        let Ok(t) = vlan::Header::new_checked(w.bytes(off, end)) else {
            return w.data(off..end);
        };
        let (prio, dei, id, next) = (t.pcp(), t.dei(), t.vid(), t.ethertype());
        let tci = at(off, vlan::field::TCI);
        let byte0 = off..off + 1;
        if et == ethernet::ethertype::QINQ {
            w.push(LayerKind::Dot1ad, off, end);
            w.field("ieee8021ad.priority", byte0.clone(), v!("{prio}"));
            w.field("ieee8021ad.dei", byte0, v!("{dei}"));
            w.field("ieee8021ad.id", tci, v!("{id}"));
        } else {
            w.push(LayerKind::Vlan, off, end);
            w.field("vlan.prio", byte0.clone(), v!("{prio}"));
            w.field("vlan.dei", byte0, v!("{dei}"));
            w.field("vlan.id", tci, v!("{id}"));
            w.field(
                "vlan.etype",
                at(off, vlan::field::ETHERTYPE),
                v!("0x{next:04x}"),
            );
        }
        et = next;
        off += vlan::HEADER_LEN;
        if top {
            w.lay.vlans += 1;
            w.lay.ether_type = et;
            w.lay.payload_off = off;
        }
    }
    w.ether_payload(et, off, end);
}
