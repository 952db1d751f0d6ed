//! What GRE carries: ERSPAN I/II/III (GRE 0x88be/0x22eb) with the Ethernet frame it mirrors,
//! or the layer its protocol type (an EtherType) announces. Read through
//! [`wire::erspan`](crate::frame::wire::erspan).

use super::{v, Emit, LayerKind, Walker};
use crate::frame::wire::{at, erspan};

/// GRE's payload at `o`: `proto` its protocol type, `seq` whether GRE has a sequence number
/// (without one, 0x88be is ERSPAN type I, as tshark decides).
pub(super) fn gre_payload<E: Emit>(
    w: &mut Walker<'_, E>,
    proto: u16,
    seq: bool,
    o: usize,
    end: usize,
) {
    match proto {
        erspan::proto::TYPE_II if !seq => {
            // Type I: no header of its own.
            w.push(LayerKind::Erspan, o, end);
            super::eth::walk(w, o, end)
        }
        erspan::proto::TYPE_II | erspan::proto::TYPE_III => walk(w, o, end),
        _ => w.ether_payload(proto, o, end),
    }
}

/// An ERSPAN type II or III header at `o` (its version says which), then the mirrored frame.
fn walk<E: Emit>(w: &mut Walker<'_, E>, o: usize, end: usize) {
    let Ok(h) = erspan::Header::new_checked(w.bytes(o, end)) else {
        return w.data(o..end);
    };
    use erspan::field as F;
    w.push(LayerKind::Erspan, o, end);
    let ver = h.version();
    let r0 = at(o, F::VER_VLAN);
    w.field("erspan.version", r0.clone(), v!("{ver}"));
    if !matches!(ver, 1 | 2) {
        // tshark prints an unknown version twice and decodes no further.
        w.field("erspan.version", r0, v!("{ver}"));
        return;
    }
    let r1 = at(o, F::COS_SPAN);
    w.field("erspan.vlan", r0, v!("{}", h.vlan()));
    w.field("erspan.cos", r1.clone(), v!("{}", h.cos()));
    let encap = if ver == 1 {
        "erspan.encap"
    } else {
        "erspan.bso"
    };
    w.field(encap, r1.clone(), v!("{}", h.encap()));
    w.field(
        "erspan.truncated",
        r1.clone(),
        v!("{}", u8::from(h.truncated())),
    );
    w.field("erspan.spanid", r1, v!("{}", h.session_id()));
    let mut p = o + h.header_len();
    if ver == 1 {
        let r = at(o, F::RESERVED_INDEX);
        w.field("erspan.reserved", r.clone(), v!("{}", h.reserved()));
        w.field("erspan.index", r, v!("{}", h.index()));
    } else {
        w.field(
            "erspan.timestamp",
            at(o, F::TIMESTAMP),
            v!("{}", h.timestamp()),
        );
        w.field("erspan.sgt", at(o, F::SGT), v!("{}", h.sgt()));
        let r = at(o, F::P_O);
        let (pb, ft, hw, d, gra, ob) = erspan::split_p_o(h.p_o());
        w.field("erspan.p", r.clone(), v!("{pb}"));
        w.field("erspan.ft", r.clone(), v!("{ft}"));
        w.field("erspan.hw", r.clone(), v!("{hw}"));
        w.field("erspan.direction", r.clone(), v!("{d}"));
        w.field("erspan.gra", r.clone(), v!("{gra}"));
        w.field("erspan.o", r, v!("{ob}"));
        if h.has_platform() {
            let b = w.bytes(p, end);
            if b.len() < erspan::PLATFORM_LEN {
                return w.data(p..end);
            }
            platform(w, p, erspan::platform_words(b));
            p += erspan::PLATFORM_LEN;
        }
    }
    super::eth::walk(w, p, end)
}

/// The platform-specific sub-header at `p`, as tshark names its fields by platform id.
fn platform<E: Emit>(w: &mut Walker<'_, E>, p: usize, (w1, w2): (u32, u32)) {
    let (r1, r2) = (
        at(p, erspan::field::PLATFORM_WORD1),
        at(p, erspan::field::PLATFORM_WORD2),
    );
    let id = w1 >> 26;
    w.field("erspan.platid", r1.clone(), v!("{id}"));
    let rest = w1 & 0x3ff_ffff;
    // (name, mask, shift) of the first word's fields, then the second word's name.
    let (first, second): (&[(&'static str, u32, u32)], &'static str) = match id {
        0 | 7 => (
            &[
                ("erspan.pid7.rsvd1", 0x3f0_0000, 20),
                ("erspan.pid7.source_index", 0xf_ffff, 0),
            ],
            "erspan.pid7.timestamp",
        ),
        1 => (
            &[
                ("erspan.pid1.rsvd1", 0x3ff_f000, 12),
                ("erspan.pid1.vsmid", 0xfff, 0),
            ],
            "erspan.pid1.port_index",
        ),
        3 => (
            &[
                ("erspan.pid3.rsvd1", 0x3ff_c000, 14),
                ("erspan.pid3.port_index", 0x3fff, 0),
            ],
            "erspan.pid3.timestamp",
        ),
        4 => (
            &[
                ("erspan.pid4.rsvd1", 0x3ff_c000, 14),
                ("erspan.pid4.rsvd2", 0x3fff, 0),
            ],
            "erspan.pid4.rsvd3",
        ),
        5 | 6 => (
            &[
                ("erspan.pid5.switchid", 0x3ff_0000, 16),
                ("erspan.pid5.port_index", 0xffff, 0),
            ],
            "erspan.pid5.timestamp",
        ),
        _ => {
            // tshark reads the 8 bytes as one 64-bit field under the mask 0x3ffffff.
            w.field(
                "erspan.pid.rsvd",
                r1.start..r2.end,
                v!("{}", w2 & 0x3ff_ffff),
            );
            return;
        }
    };
    for &(name, mask, shift) in first {
        w.field(name, r1.clone(), v!("{}", (rest & mask) >> shift));
    }
    w.field(second, r2, v!("{w2}"));
}
