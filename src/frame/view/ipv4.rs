//! IPv4: the header with its options (as raw bytes); a later fragment ends the walk.

use etherparse::{IpNumber, Ipv4HeaderSlice};

use super::{hex, Emit, Layout};

/// The IPv4 header at `o`: (protocol, transport offset, IP end), or None when there is no
/// whole header or no transport header follows (a later fragment).
pub(super) fn walk<E: Emit>(
    frame: &[u8],
    o: usize,
    lay: &mut Layout,
    emit: &mut E,
) -> Option<(IpNumber, usize, usize)> {
    let ip = Ipv4HeaderSlice::from_slice(&frame[o..]).ok()?;
    lay.l3_off = Some(o);
    emit("ip.version", o..o + 1, &|| ip.version().to_string());
    emit("ip.hdr_len", o..o + 1, &|| {
        (ip.ihl() as usize * 4).to_string()
    });
    emit("ip.dsfield", o + 1..o + 2, &|| {
        format!("0x{:02x}", frame[o + 1])
    });
    emit("ip.len", o + 2..o + 4, &|| ip.total_len().to_string());
    emit("ip.id", o + 4..o + 6, &|| ip.identification().to_string());
    emit("ip.flags", o + 6..o + 7, &|| {
        format!("0x{:x}", frame[o + 6] >> 5)
    });
    emit("ip.frag_offset", o + 6..o + 8, &|| {
        ip.fragments_offset().value().to_string()
    });
    emit("ip.ttl", o + 8..o + 9, &|| ip.ttl().to_string());
    emit("ip.proto", o + 9..o + 10, &|| ip.protocol().0.to_string());
    emit("ip.chksum", o + 10..o + 12, &|| {
        format!("0x{:04x}", ip.header_checksum())
    });
    emit("ip.src", o + 12..o + 16, &|| ip.source_addr().to_string());
    emit("ip.dst", o + 16..o + 20, &|| {
        ip.destination_addr().to_string()
    });
    let hl = ip.slice().len();
    if hl > 20 {
        emit(
            "ip.options",
            o + 20..o + hl,
            &|| hex(&frame[o + 20..o + hl]),
        );
    }
    // The IP total length bounds the transport layer (Ethernet pads short frames).
    let end = (o + ip.total_len() as usize).clamp(o + hl, frame.len());
    lay.ip_hdr_len = hl;
    lay.ip_proto = ip.protocol().0;
    lay.ip_end = end;
    lay.payload_off = o + hl;
    if ip.is_fragmenting_payload() && ip.fragments_offset().value() != 0 {
        lay.ip_later_fragment = true;
        return None;
    }
    Some((ip.protocol(), o + hl, end))
}
