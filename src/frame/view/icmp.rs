//! ICMP, ICMPv6 and IGMP: type, code, checksum and the next four bytes; what follows is data.

use std::ops::Range;

use etherparse::{Icmpv4Slice, Icmpv6Slice};

use super::{be16, hex, Emit, Layout, L4};

/// The ICMP header in `frame[seg]`.
pub(super) fn walk_v4<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let h = Icmpv4Slice::from_slice(&frame[seg.clone()])
        .ok()
        .map(|i| (i.type_u8(), i.code_u8(), i.checksum(), i.bytes5to8()));
    let names = ["icmp.type", "icmp.code", "icmp.chksum", "icmp.rest"];
    walk(seg.start, L4::Icmpv4, names, h, lay, emit);
}

/// The ICMPv6 header in `frame[seg]`.
pub(super) fn walk_v6<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let h = Icmpv6Slice::from_slice(&frame[seg.clone()])
        .ok()
        .map(|i| (i.type_u8(), i.code_u8(), i.checksum(), i.bytes5to8()));
    let names = ["icmpv6.type", "icmpv6.code", "icmpv6.chksum", "icmpv6.rest"];
    walk(seg.start, L4::Icmpv6, names, h, lay, emit);
}

/// ICMP and ICMPv6 share a shape: type, code, checksum, four more bytes, then data. `h` is the
/// header (type, code, checksum, bytes 5 to 8) at `o` when it is whole.
fn walk<E: Emit>(
    o: usize,
    l4: L4,
    [ty, code, chksum, rest]: [&'static str; 4],
    h: Option<(u8, u8, u16, [u8; 4])>,
    lay: &mut Layout,
    emit: &mut E,
) {
    lay.l4 = Some((l4, o));
    let Some((t, c, sum, more)) = h else {
        return;
    };
    emit(ty, o..o + 1, &|| t.to_string());
    emit(code, o + 1..o + 2, &|| c.to_string());
    emit(chksum, o + 2..o + 4, &|| format!("0x{sum:04x}"));
    emit(rest, o + 4..o + 8, &|| hex(&more));
    lay.l4_csum_off = Some(o + 2);
    lay.icmp_type = Some(t);
    lay.payload_off = o + 8;
}

/// The IGMP type and checksum in `frame[seg]` (etherparse has no IGMP header).
pub(super) fn walk_igmp<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let o = seg.start;
    lay.l4 = Some((L4::Igmp, o));
    let seg = &frame[seg];
    if seg.len() >= 4 {
        emit("igmp.type", o..o + 1, &|| format!("0x{:02x}", seg[0]));
        emit("igmp.chksum", o + 2..o + 4, &|| {
            format!("0x{:04x}", be16(seg, 2))
        });
    }
}
