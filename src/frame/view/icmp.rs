//! ICMP, ICMPv6 and IGMP: type, code, checksum and the next four bytes; what follows is data.

use std::ops::Range;

use etherparse::{Icmpv4Slice, Icmpv6Slice};

use super::{be16, hex, Emit, Layout, L4};

/// The ICMP header in `frame[seg]`.
pub(super) fn walk_v4<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let o = seg.start;
    lay.l4 = Some((L4::Icmpv4, o));
    let Ok(i) = Icmpv4Slice::from_slice(&frame[seg]) else {
        return;
    };
    emit("icmp.type", o..o + 1, &|| i.type_u8().to_string());
    emit("icmp.code", o + 1..o + 2, &|| i.code_u8().to_string());
    emit("icmp.chksum", o + 2..o + 4, &|| {
        format!("0x{:04x}", i.checksum())
    });
    emit("icmp.rest", o + 4..o + 8, &|| hex(&i.bytes5to8()));
    lay.l4_csum_off = Some(o + 2);
    lay.icmp_type = Some(i.type_u8());
    lay.payload_off = o + 8;
}

/// The ICMPv6 header in `frame[seg]`.
pub(super) fn walk_v6<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let o = seg.start;
    lay.l4 = Some((L4::Icmpv6, o));
    let Ok(i) = Icmpv6Slice::from_slice(&frame[seg]) else {
        return;
    };
    emit("icmpv6.type", o..o + 1, &|| i.type_u8().to_string());
    emit("icmpv6.code", o + 1..o + 2, &|| i.code_u8().to_string());
    emit("icmpv6.chksum", o + 2..o + 4, &|| {
        format!("0x{:04x}", i.checksum())
    });
    emit("icmpv6.rest", o + 4..o + 8, &|| hex(&i.bytes5to8()));
    lay.l4_csum_off = Some(o + 2);
    lay.icmp_type = Some(i.type_u8());
    lay.payload_off = o + 8;
}

/// The IGMP type and checksum in `frame[seg]` (etherparse has no IGMP header).
pub(super) fn walk_igmp<E: Emit>(
    frame: &[u8],
    seg: Range<usize>,
    lay: &mut Layout,
    emit: &mut E,
) {
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
