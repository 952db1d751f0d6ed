//! TCP: the header and its options (MSS, window scale, timestamps by value; all as raw bytes).

use std::ops::Range;

use super::{be16, be32, hex, v, Emit, Proto, Walker, L4};

/// The TCP header in `seg`, then its payload (`data`).
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let f = w.f;
    let (o, end) = (seg.start, seg.end);
    if !w.nested {
        w.lay.l4 = Some((L4::Tcp, o));
    }
    if end < o + 20 {
        return w.data(seg);
    }
    let hl = (f[o + 12] >> 4) as usize * 4;
    if hl < 20 || o + hl > end {
        return w.data(seg);
    }
    w.push(Proto::Tcp, o, end);
    w.field("tcp.srcport", o..o + 2, v!("{}", be16(f, o)));
    w.field("tcp.dstport", o + 2..o + 4, v!("{}", be16(f, o + 2)));
    w.field("tcp.seq", o + 4..o + 8, v!("{}", be32(f, o + 4)));
    w.field("tcp.ack", o + 8..o + 12, v!("{}", be32(f, o + 8)));
    w.field("tcp.hdr_len", o + 12..o + 13, v!("{hl}"));
    w.field(
        "tcp.flags",
        o + 12..o + 14,
        v!("0x{:04x}", be16(f, o + 12) & 0x0fff),
    );
    w.field(
        "tcp.flags.res",
        o + 12..o + 13,
        v!("{}", u8::from(f[o + 12] & 0x0e != 0)),
    );
    w.field("tcp.window", o + 14..o + 16, v!("{}", be16(f, o + 14)));
    w.field(
        "tcp.chksum",
        o + 16..o + 18,
        v!("0x{:04x}", be16(f, o + 16)),
    );
    w.field("tcp.urgptr", o + 18..o + 20, v!("{}", be16(f, o + 18)));
    if !w.quoted {
        w.field("tcp.len", o + 12..o + 13, v!("{}", end - o - hl));
    }
    if hl > 20 {
        w.field(
            "tcp.options",
            o + 20..o + hl,
            v!("{}", hex(&f[o + 20..o + hl])),
        );
        options(w, o + 20, o + hl);
    }
    if !w.nested {
        w.lay.l4_csum_off = Some(o + 16);
        w.lay.payload_off = o + hl;
    }
    w.data(o + hl..end);
}

/// The options tshark gives a field of their own, by value.
fn options<E: Emit>(w: &mut Walker<'_, E>, mut o: usize, end: usize) {
    let f = w.f;
    while o < end {
        let kind = f[o];
        let len = match kind {
            0 => return,
            1 => 1,
            _ => match f.get(o + 1) {
                Some(&l) if l >= 2 && o + l as usize <= end => l as usize,
                _ => return,
            },
        };
        match (kind, len) {
            (2, 4) => w.field(
                "tcp.options.mss_val",
                o + 2..o + 4,
                v!("{}", be16(f, o + 2)),
            ),
            (3, 3) => w.field("tcp.options.wscale.shift", o + 2..o + 3, v!("{}", f[o + 2])),
            (8, 10) => {
                w.field(
                    "tcp.options.timestamp.tsval",
                    o + 2..o + 6,
                    v!("{}", be32(f, o + 2)),
                );
                w.field(
                    "tcp.options.timestamp.tsecr",
                    o + 6..o + 10,
                    v!("{}", be32(f, o + 6)),
                );
            }
            _ => {}
        }
        o += len;
    }
}
