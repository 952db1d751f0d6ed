//! UDP: the header; its length bounds the payload.

use std::ops::Range;

use etherparse::UdpHeaderSlice;

use super::{Emit, Layout, L4};

/// The UDP header in `frame[seg]`.
pub(super) fn walk<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let (o, end) = (seg.start, seg.end);
    lay.l4 = Some((L4::Udp, o));
    let Ok(u) = UdpHeaderSlice::from_slice(&frame[seg]) else {
        return;
    };
    emit("udp.srcport", o..o + 2, &|| u.source_port().to_string());
    emit("udp.dstport", o + 2..o + 4, &|| {
        u.destination_port().to_string()
    });
    emit("udp.length", o + 4..o + 6, &|| u.length().to_string());
    emit("udp.chksum", o + 6..o + 8, &|| {
        format!("0x{:04x}", u.checksum())
    });
    lay.l4_csum_off = Some(o + 6);
    lay.payload_off = o + 8;
    lay.payload_end = (o + u.length() as usize).clamp(o + 8, end);
}
