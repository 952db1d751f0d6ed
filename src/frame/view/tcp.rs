//! TCP: the header and its options (MSS, window scale, timestamps by value; all as raw
//! bytes). Read through [`wire::tcp`](crate::frame::wire::tcp).

use std::ops::Range;

use super::{hex, v, Emit, LayerKind, Walker, L4};
use crate::frame::wire::{at, tcp, Value};

/// The TCP header in `seg`, then its payload (`data`).
pub(super) fn walk<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    if !w.nested {
        w.lay.l4 = Some((L4::Tcp, o));
    }
    let Ok(h) = tcp::Header::new_checked(w.bytes(o, end)) else {
        return w.data(seg);
    };
    use tcp::field as F;
    let hl = h.header_len();
    let off_byte = at(o, F::DATA_OFF);
    w.push(LayerKind::Tcp, o, end);
    w.field("tcp.srcport", at(o, F::SRC_PORT), v!("{}", h.src_port()));
    w.field("tcp.dstport", at(o, F::DST_PORT), v!("{}", h.dst_port()));
    w.field("tcp.seq", at(o, F::SEQ_NUM), v!("{}", h.seq()));
    w.field("tcp.ack", at(o, F::ACK_NUM), v!("{}", h.ack()));
    w.field("tcp.hdr_len", off_byte.clone(), v!("{hl}"));
    w.field("tcp.flags", at(o, F::FLAGS), v!("0x{:04x}", h.flags()));
    w.field(
        "tcp.flags.res",
        off_byte.clone(),
        v!("{}", u8::from(h.flags() & tcp::flags::RESERVED != 0)),
    );
    w.field("tcp.window", at(o, F::WIN_SIZE), v!("{}", h.window()));
    w.field(
        "tcp.chksum",
        at(o, F::CHECKSUM),
        v!("0x{:04x}", h.checksum()),
    );
    w.field("tcp.urgptr", at(o, F::URGENT), v!("{}", h.urgent()));
    if w.first_fragment && !w.nested {
        w.lay.first_fragment_l4 = Some(o);
    } else if !w.quoted {
        w.field("tcp.len", off_byte, v!("{}", end - o - hl));
    }
    if hl > tcp::HEADER_LEN {
        w.field(
            "tcp.options",
            at(o, F::options(hl)),
            v!("{}", hex(h.options())),
        );
        options(w, o + tcp::HEADER_LEN, h.options());
    }
    if !w.nested {
        w.lay.l4_csum_off = Some(o + F::CHECKSUM.start);
        w.lay.payload_off = o + hl;
    }
    w.data(o + hl..end);
}

/// The options tshark gives a field of their own, by value (`opts` starts at `base`).
fn options<E: Emit>(w: &mut Walker<'_, E>, base: usize, opts: &[u8]) {
    use tcp::option as K;
    for opt in crate::frame::wire::TlvOptions::new(opts) {
        let (p, b) = (base + opt.offset, &opts[opt.offset..opt.offset + opt.len]);
        match (opt.kind, opt.len) {
            (K::MSS, K::MSS_LEN) => w.field(
                "tcp.options.mss_val",
                at(p, K::MSS_VALUE),
                v!("{}", u16::get(&b[K::MSS_VALUE])),
            ),
            (K::WSCALE, K::WSCALE_LEN) => w.field(
                "tcp.options.wscale.shift",
                at(p, K::WSCALE_SHIFT),
                v!("{}", u8::get(&b[K::WSCALE_SHIFT])),
            ),
            (K::TIMESTAMP, K::TIMESTAMP_LEN) => {
                w.field(
                    "tcp.options.timestamp.tsval",
                    at(p, K::TSVAL),
                    v!("{}", u32::get(&b[K::TSVAL])),
                );
                w.field(
                    "tcp.options.timestamp.tsecr",
                    at(p, K::TSECR),
                    v!("{}", u32::get(&b[K::TSECR])),
                );
            }
            _ => {}
        }
    }
}
