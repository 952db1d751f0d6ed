//! IPv6: the fixed header, then its extension headers (raw bytes, as one `ipv6.exthdrs`
//! field); a fragment header ends the walk.

use etherparse::{IpNumber, Ipv6ExtensionsSlice, Ipv6HeaderSlice};

use super::{hex, Emit, Layout};

/// The IPv6 header at `o`: (transport protocol, transport offset, IP end), or None when there
/// is no whole header, an extension header is malformed, or the payload is a fragment.
pub(super) fn walk<E: Emit>(
    frame: &[u8],
    o: usize,
    lay: &mut Layout,
    emit: &mut E,
) -> Option<(IpNumber, usize, usize)> {
    let ip = Ipv6HeaderSlice::from_slice(&frame[o..]).ok()?;
    lay.l3_off = Some(o);
    lay.ipv6 = true;
    emit("ipv6.version", o..o + 1, &|| ip.version().to_string());
    emit("ipv6.tclass", o..o + 2, &|| {
        format!("0x{:02x}", ip.traffic_class())
    });
    emit("ipv6.flow", o + 1..o + 4, &|| {
        format!("0x{:05x}", ip.flow_label().value())
    });
    emit("ipv6.plen", o + 4..o + 6, &|| {
        ip.payload_length().to_string()
    });
    emit("ipv6.nxt", o + 6..o + 7, &|| ip.next_header().0.to_string());
    emit("ipv6.hlim", o + 7..o + 8, &|| ip.hop_limit().to_string());
    emit("ipv6.src", o + 8..o + 24, &|| ip.source_addr().to_string());
    emit("ipv6.dst", o + 24..o + 40, &|| {
        ip.destination_addr().to_string()
    });
    let end = (o + 40 + ip.payload_length() as usize).clamp(o + 40, frame.len());
    lay.ip_hdr_len = 40;
    lay.ip_proto = ip.next_header().0;
    lay.ip_end = end;
    lay.payload_off = o + 40;
    let (exts, nxt, _) =
        Ipv6ExtensionsSlice::from_slice(ip.next_header(), &frame[o + 40..end]).ok()?;
    let el = exts.slice().len();
    if el > 0 {
        emit("ipv6.exthdrs", o + 40..o + 40 + el, &|| hex(exts.slice()));
    }
    if exts.is_fragmenting_payload() {
        lay.payload_off = o + 40 + el;
        return None;
    }
    Some((nxt, o + 40 + el, end))
}
