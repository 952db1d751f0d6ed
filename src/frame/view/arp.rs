//! ARP (Ethernet/IPv4 addresses) and the MPLS label stack.

use super::{be16, ip4, mac, v, Emit, Proto, Walker};

/// The ARP packet at `o`.
pub(super) fn walk_arp<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    if end < o + 8 {
        return;
    }
    let (hw, pro, hs, ps) = (be16(f, o), be16(f, o + 2), f[o + 4], f[o + 5]);
    w.push(Proto::Arp, o, end);
    w.field("arp.hw.type", o..o + 2, v!("{hw}"));
    w.field("arp.proto.type", o + 2..o + 4, v!("0x{pro:04x}"));
    w.field("arp.hw.size", o + 4..o + 5, v!("{hs}"));
    w.field("arp.proto.size", o + 5..o + 6, v!("{ps}"));
    w.field("arp.opcode", o + 6..o + 8, v!("{}", be16(f, o + 6)));
    if (hs, ps, pro) != (6, 4, 0x0800) || end < o + 28 {
        return;
    }
    w.field("arp.src.hw_mac", o + 8..o + 14, v!("{}", mac(f, o + 8)));
    w.field(
        "arp.src.proto_ipv4",
        o + 14..o + 18,
        v!("{}", ip4(f, o + 14)),
    );
    w.field("arp.dst.hw_mac", o + 18..o + 24, v!("{}", mac(f, o + 18)));
    w.field(
        "arp.dst.proto_ipv4",
        o + 24..o + 28,
        v!("{}", ip4(f, o + 24)),
    );
}

/// The MPLS label stack at `o`, then IPv4 or IPv6 by the first nibble after the bottom
/// entry (as tshark guesses it), else data.
pub(super) fn walk_mpls<E: Emit>(w: &mut Walker<'_, E>, mut o: usize, end: usize) {
    let f = w.f;
    loop {
        if end < o + 4 {
            return w.data(o..end);
        }
        let e = super::be32(f, o);
        let bottom = (e >> 8) & 1;
        w.push(Proto::Mpls, o, end);
        w.field("mpls.label", o..o + 3, v!("{}", e >> 12));
        w.field("mpls.exp", o + 2..o + 3, v!("{}", (e >> 9) & 7));
        w.field("mpls.bottom", o + 2..o + 3, v!("{bottom}"));
        w.field("mpls.ttl", o + 3..o + 4, v!("{}", e & 0xff));
        o += 4;
        if bottom == 1 {
            break;
        }
    }
    match f.get(o).map(|b| b >> 4) {
        Some(4) => w.ether_payload(0x0800, o, end),
        Some(6) => w.ether_payload(0x86dd, o, end),
        _ => w.data(o..end),
    }
}
