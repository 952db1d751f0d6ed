//! IPv6: the fixed header, then its extension headers (hop-by-hop, routing, fragment,
//! destination options, AH), walked so that what follows them is found; a fragment that is
//! not the first is not decoded further.

use super::{be16, be32, hex, ip6, v, Emit, Proto, Walker};

/// The IPv6 header at `o`, its extension headers, then its payload, up to `end`.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    if end < o + 40 || f[o] >> 4 != 6 {
        return w.data(o..end);
    }
    let first = be32(f, o);
    let plen = be16(f, o + 4) as usize;
    // A payload length of 0 is a jumbogram's (or a cut one): up to the captured end.
    let ip_end = if plen == 0 {
        end
    } else {
        (o + 40 + plen).min(end)
    };
    w.push(Proto::Ipv6, o, ip_end);
    // tshark's IP dissector reads the version nibble before handing over to IPv6.
    w.field("ip.version", o..o + 1, v!("6"));
    w.field("ipv6.version", o..o + 1, v!("6"));
    w.field(
        "ipv6.tclass",
        o..o + 2,
        v!("0x{:08x}", (first >> 20) & 0xff),
    );
    w.field("ipv6.flow", o + 1..o + 4, v!("0x{:06x}", first & 0xfffff));
    w.field("ipv6.plen", o + 4..o + 6, v!("{plen}"));
    w.field("ipv6.nxt", o + 6..o + 7, v!("{}", f[o + 6]));
    w.field("ipv6.hlim", o + 7..o + 8, v!("{}", f[o + 7]));
    w.field("ipv6.src", o + 8..o + 24, v!("{}", ip6(f, o + 8)));
    w.field("ipv6.dst", o + 24..o + 40, v!("{}", ip6(f, o + 24)));
    let top = !w.nested;
    if top {
        let lay = &mut w.lay;
        lay.l3_off = Some(o);
        lay.ipv6 = true;
        lay.ip_hdr_len = 40;
        lay.ip_proto = f[o + 6];
        lay.ip_end = ip_end;
        lay.payload_off = o + 40;
        lay.payload_end = ip_end;
    }
    let (mut nh, mut off) = (f[o + 6], o + 40);
    let mut later_fragment = false;
    while matches!(nh, 0 | 43 | 44 | 51 | 60) && off + 8 <= ip_end {
        let len = match nh {
            44 => {
                later_fragment = be16(f, off + 2) >> 3 != 0;
                8
            }
            51 => (f[off + 1] as usize + 2) * 4,
            _ => (f[off + 1] as usize + 1) * 8,
        };
        if off + len > ip_end {
            break;
        }
        nh = f[off];
        off += len;
        if later_fragment {
            break;
        }
    }
    if off > o + 40 {
        w.field("ipv6.exthdrs", o + 40..off, v!("{}", hex(&f[o + 40..off])));
    }
    if top {
        w.lay.payload_off = off;
    }
    if later_fragment {
        w.push(Proto::Fragment, off, ip_end);
        return w.data(off..ip_end);
    }
    if matches!(nh, 0 | 43 | 44 | 51 | 60) {
        // An extension header cut short.
        return w.data(off..ip_end);
    }
    w.ip_payload(nh, off..ip_end);
}
