//! TCP: the header, its options as raw bytes.

use std::ops::Range;

use etherparse::TcpHeaderSlice;

use super::{be16, hex, Emit, Layout, L4};

/// The TCP header in `frame[seg]`.
pub(super) fn walk<E: Emit>(frame: &[u8], seg: Range<usize>, lay: &mut Layout, emit: &mut E) {
    let o = seg.start;
    lay.l4 = Some((L4::Tcp, o));
    let seg = &frame[seg];
    let Ok(t) = TcpHeaderSlice::from_slice(seg) else {
        return;
    };
    emit("tcp.srcport", o..o + 2, &|| t.source_port().to_string());
    emit("tcp.dstport", o + 2..o + 4, &|| {
        t.destination_port().to_string()
    });
    emit("tcp.seq", o + 4..o + 8, &|| t.sequence_number().to_string());
    emit("tcp.ack", o + 8..o + 12, &|| {
        t.acknowledgment_number().to_string()
    });
    emit("tcp.hdr_len", o + 12..o + 13, &|| {
        (t.data_offset() as usize * 4).to_string()
    });
    emit("tcp.flags", o + 12..o + 14, &|| {
        format!("0x{:03x}", be16(seg, 12) & 0x1ff)
    });
    emit("tcp.window", o + 14..o + 16, &|| {
        t.window_size().to_string()
    });
    emit("tcp.chksum", o + 16..o + 18, &|| {
        format!("0x{:04x}", t.checksum())
    });
    emit("tcp.urgptr", o + 18..o + 20, &|| {
        t.urgent_pointer().to_string()
    });
    let hl = t.slice().len();
    if hl > 20 {
        emit("tcp.options", o + 20..o + hl, &|| hex(t.options()));
    }
    lay.l4_csum_off = Some(o + 16);
    lay.payload_off = o + hl;
}
