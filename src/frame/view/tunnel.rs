//! GRE (RFC 2784/2890): the header with its optional checksum, key and sequence number words,
//! then what its protocol type announces (IPv4, IPv6, Ethernet for 0x6558, MPLS, NSH 0x894f,
//! ERSPAN 0x88be/0x22eb). Read through [`wire::gre`](crate::frame::wire::gre).

use std::ops::Range;

use super::{v, Emit, LayerKind, Walker};
use crate::frame::wire::{at, gre};

/// The GRE header in `seg` (the caller has entered the tunnel).
pub(super) fn walk_gre<E: Emit>(w: &mut Walker<'_, E>, seg: Range<usize>) {
    let (o, end) = (seg.start, seg.end);
    let Ok(h) = gre::Header::new_checked(w.bytes(o, end)) else {
        return w.data(seg);
    };
    let (hl, proto, fv) = (h.header_len(), h.protocol(), h.flags_ver());
    w.push(LayerKind::Gre, o, end);
    use gre::field as F;
    use gre::flags as B;
    let fr = at(o, F::FLAGS_VER);
    w.field("gre.flags_and_version", fr.clone(), v!("0x{fv:04x}"));
    let bit = |b: u16| u8::from(fv & b != 0);
    w.field("gre.flags.checksum", fr.clone(), v!("{}", bit(B::CHECKSUM)));
    w.field("gre.flags.routing", fr.clone(), v!("{}", bit(B::ROUTING)));
    w.field("gre.flags.key", fr.clone(), v!("{}", bit(B::KEY)));
    w.field(
        "gre.flags.sequence_number",
        fr.clone(),
        v!("{}", bit(B::SEQ)),
    );
    w.field(
        "gre.flags.strict_source_route",
        fr.clone(),
        v!("{}", bit(B::STRICT_ROUTE)),
    );
    w.field(
        "gre.flags.recursion_control",
        fr.clone(),
        v!("{}", h.recursion_control()),
    );
    w.field(
        "gre.flags.reserved",
        fr.clone(),
        v!("{}", h.reserved_flags()),
    );
    w.field("gre.flags.version", fr, v!("{}", h.version()));
    w.field("gre.proto", at(o, F::PROTOCOL), v!("0x{proto:04x}"));
    if let (Some(r), Some(c)) = (h.checksum_field(), h.checksum()) {
        let r = at(o, r);
        w.field("gre.checksum", r.start..r.start + 2, v!("0x{c:04x}"));
        w.field(
            "gre.offset",
            r.start + 2..r.end,
            v!("{}", h.offset().unwrap_or(0)),
        );
    }
    if let (Some(r), Some(k)) = (h.key_field(), h.key()) {
        w.field("gre.key", at(o, r), v!("0x{k:08x}"));
    }
    if let (Some(r), Some(s)) = (h.seq_field(), h.sequence_number()) {
        w.field("gre.sequence_number", at(o, r), v!("{s}"));
    }
    if o + hl > end {
        return;
    }
    super::erspan::gre_payload(w, proto, fv & B::SEQ != 0, o + hl, end);
}
