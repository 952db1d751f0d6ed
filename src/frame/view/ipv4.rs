//! IPv4: the header, its options (each type, and all as raw bytes); a later fragment is not
//! decoded further; a total length of 0 (TSO, BIG TCP) means "up to the captured end", as
//! tshark reads it.

use super::{be16, hex, ip4, v, Emit, Proto, Walker};

/// The IPv4 header at `o`, then its payload, up to `end`.
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let f = w.f;
    if end < o + 20 || f[o] >> 4 != 4 {
        return w.data(o..end);
    }
    let hl = (f[o] & 0x0f) as usize * 4;
    if hl < 20 {
        // tshark: "Bogus IP header length": the version and length; the rest stays data (which
        // show() prints as Scapy's IP, and the summary calls malformed).
        w.field("ip.version", o..o + 1, v!("4"));
        w.field("ip.hdr_len", o..o + 1, v!("{hl}"));
        return w.data(o..end);
    }
    if end < o + hl {
        return w.data(o..end);
    }
    let total = be16(f, o + 2) as usize;
    // The total length bounds the packet (Ethernet pads short frames); 0 is TSO's.
    let ip_end = if total == 0 {
        end
    } else {
        (o + total).clamp(o + hl, end)
    };
    let (b6, frag) = (f[o + 6], be16(f, o + 6) & 0x1fff);
    let proto = f[o + 9];
    w.push(Proto::Ipv4, o, ip_end);
    w.field("ip.version", o..o + 1, v!("4"));
    w.field("ip.hdr_len", o..o + 1, v!("{hl}"));
    w.field("ip.dsfield", o + 1..o + 2, v!("0x{:02x}", f[o + 1]));
    // tshark shows the length it took for a 0 (TSO, BIG TCP): the captured one.
    w.field(
        "ip.len",
        o + 2..o + 4,
        v!("{}", if total == 0 { ip_end - o } else { total }),
    );
    w.field("ip.id", o + 4..o + 6, v!("0x{:04x}", be16(f, o + 4)));
    w.field("ip.flags", o + 6..o + 7, v!("0x{:02x}", b6 >> 5));
    w.field("ip.flags.rb", o + 6..o + 7, v!("{}", b6 >> 7));
    w.field("ip.flags.df", o + 6..o + 7, v!("{}", (b6 >> 6) & 1));
    w.field("ip.flags.mf", o + 6..o + 7, v!("{}", (b6 >> 5) & 1));
    w.field("ip.frag_offset", o + 6..o + 8, v!("{frag}"));
    w.field("ip.ttl", o + 8..o + 9, v!("{}", f[o + 8]));
    w.field("ip.proto", o + 9..o + 10, v!("{proto}"));
    w.field("ip.chksum", o + 10..o + 12, v!("0x{:04x}", be16(f, o + 10)));
    w.field("ip.src", o + 12..o + 16, v!("{}", ip4(f, o + 12)));
    w.field("ip.dst", o + 16..o + 20, v!("{}", ip4(f, o + 16)));
    if hl > 20 {
        w.field(
            "ip.options",
            o + 20..o + hl,
            v!("{}", hex(&f[o + 20..o + hl])),
        );
        options(w, o + 20, o + hl);
    }
    if !w.nested {
        let lay = &mut w.lay;
        lay.l3_off = Some(o);
        lay.ipv6 = false;
        lay.ip_hdr_len = hl;
        lay.ip_proto = proto;
        lay.ip_end = ip_end;
        lay.payload_off = o + hl;
        lay.payload_end = ip_end;
    }
    if frag != 0 {
        if !w.nested {
            w.lay.ip_later_fragment = true;
        }
        w.push(Proto::Fragment, o + hl, ip_end);
        return w.data(o + hl..ip_end);
    }
    w.ip_payload(proto, o + hl..ip_end);
}

/// Each option's type (`ip.opt.type`), up to End of Options List.
fn options<E: Emit>(w: &mut Walker<'_, E>, mut o: usize, end: usize) {
    let f = w.f;
    while o < end {
        let t = f[o];
        w.field("ip.opt.type", o..o + 1, v!("{t}"));
        let len = match t {
            0 => return,
            1 => 1,
            _ => match f.get(o + 1) {
                Some(&l) if l >= 2 && o + l as usize <= end => l as usize,
                _ => return,
            },
        };
        o += len;
    }
}
