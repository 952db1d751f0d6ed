//! Ethernet II, 802.3 length frames with their LLC header, and the 802.1Q / 802.1ad tags
//! (0x8100, 0x88a8, 0x9100), any number of them.

use super::{be16, mac, v, Emit, Proto, Walker};

/// The EtherTypes that announce a VLAN tag.
pub(super) fn is_vlan(ether_type: u16) -> bool {
    matches!(ether_type, 0x8100 | 0x88a8 | 0x9100)
}

/// The Ethernet header at `o` (0, or inside a tunnel), its tags, then what they carry.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    if end < o + 14 {
        return w.data(o..end);
    }
    let top = !w.nested;
    if top {
        w.lay.eth = true;
    }
    w.push(Proto::Eth, o, end);
    w.field("eth.dst", o..o + 6, v!("{}", mac(f, o)));
    w.field("eth.src", o + 6..o + 12, v!("{}", mac(f, o + 6)));
    let mut et = be16(f, o + 12);
    if et <= 1500 {
        // 802.3: a length, then LLC (tshark: `eth.len`, no `eth.type`).
        w.field("eth.len", o + 12..o + 14, v!("{et}"));
        if top {
            w.lay.ether_type = et;
            w.lay.payload_off = 14;
        }
        let l = o + 14;
        if end >= l + 3 {
            w.push(Proto::Llc, l, end);
            w.field("llc.dsap", l..l + 1, v!("0x{:02x}", f[l]));
            w.field("llc.ssap", l + 1..l + 2, v!("0x{:02x}", f[l + 1]));
            w.field("llc.control", l + 2..l + 3, v!("0x{:04x}", f[l + 2]));
        }
        return;
    }
    w.field("eth.type", o + 12..o + 14, v!("0x{et:04x}"));
    let mut off = o + 14;
    if top {
        w.lay.ether_type = et;
        w.lay.payload_off = off;
    }
    while is_vlan(et) {
        if end < off + 4 {
            return w.data(off..end);
        }
        let tci = be16(f, off);
        let (prio, dei, id) = (tci >> 13, (tci >> 12) & 1, tci & 0x0fff);
        let next = be16(f, off + 2);
        if et == 0x88a8 {
            w.push(Proto::Dot1ad, off, end);
            w.field("ieee8021ad.priority", off..off + 1, v!("{prio}"));
            w.field("ieee8021ad.dei", off..off + 1, v!("{dei}"));
            w.field("ieee8021ad.id", off..off + 2, v!("{id}"));
        } else {
            w.push(Proto::Vlan, off, end);
            w.field("vlan.prio", off..off + 1, v!("{prio}"));
            w.field("vlan.dei", off..off + 1, v!("{dei}"));
            w.field("vlan.id", off..off + 2, v!("{id}"));
            w.field("vlan.etype", off + 2..off + 4, v!("0x{next:04x}"));
        }
        et = next;
        off += 4;
        if top {
            w.lay.vlans += 1;
            w.lay.ether_type = et;
            w.lay.payload_off = off;
        }
    }
    w.ether_payload(et, off, end);
}
