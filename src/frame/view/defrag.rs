//! The fields reassembly adds to an IP layer (`src/frame/reassembly.rs`), by tshark 4.0's names
//! and values: on the frame that completes a datagram its fragment list (`ip.fragment` per
//! fragment in offset order, `ip.fragment.error` for one whose bytes conflict or that is a
//! second tail or too long, with `ip.fragment.overlap`, `.overlap.conflict`, `.multipletails`,
//! `.toolongfragment`), `ip.fragment.count`, `ip.reassembled.length`, `ip.reassembled.data`
//! and `ip.fragments` (IPv6: the same under `ipv6.`; tshark's `ipv6.fragments` is a bare node,
//! printed `1`); on a fragment held, with two passes, `ip.reassembled_in` (IPv6:
//! `ipv6.reassembled.in`).

use std::ops::Range;

use super::{hex, v, Emit, Walker};
use crate::frame::reassembly::{Defrag, State};

/// tshark's names, IPv4 then IPv6.
struct Names {
    fragments: &'static str,
    fragment: &'static str,
    error: &'static str,
    overlap: &'static str,
    conflict: &'static str,
    tails: &'static str,
    too_long: &'static str,
    count: &'static str,
    length: &'static str,
    data: &'static str,
    reassembled_in: &'static str,
}

const V4: Names = Names {
    fragments: "ip.fragments",
    fragment: "ip.fragment",
    error: "ip.fragment.error",
    overlap: "ip.fragment.overlap",
    conflict: "ip.fragment.overlap.conflict",
    tails: "ip.fragment.multipletails",
    too_long: "ip.fragment.toolongfragment",
    count: "ip.fragment.count",
    length: "ip.reassembled.length",
    data: "ip.reassembled.data",
    reassembled_in: "ip.reassembled_in",
};

const V6: Names = Names {
    fragments: "ipv6.fragments",
    fragment: "ipv6.fragment",
    error: "ipv6.fragment.error",
    overlap: "ipv6.fragment.overlap",
    conflict: "ipv6.fragment.overlap.conflict",
    tails: "ipv6.fragment.multipletails",
    too_long: "ipv6.fragment.toolongfragment",
    count: "ipv6.fragment.count",
    length: "ipv6.reassembled.length",
    data: "ipv6.reassembled.data",
    reassembled_in: "ipv6.reassembled.in",
};

/// The reassembly fields of `d`'s IP layer; `payload`: where the reassembled payload sits in
/// the bytes walked (the fragment's own payload for a fragment held).
pub(super) fn fields<E: Emit>(w: &mut Walker<'_, E>, d: &Defrag, payload: Range<usize>) {
    let n = if d.ipv6 { &V6 } else { &V4 };
    if d.state == State::Pending {
        if let Some(r) = d.reassembled_in {
            w.field(n.reassembled_in, payload.start..payload.start, v!("{r}"));
        }
        return;
    }
    let f = w.f;
    let bytes = f.get(payload.clone()).unwrap_or(&[]);
    if d.ipv6 {
        w.field(n.fragments, payload.clone(), v!("1"));
    } else {
        w.field(n.fragments, payload.clone(), v!("{}", hex(bytes)));
    }
    // Each fragment's bytes within the reassembled payload.
    for fr in &d.fragments {
        let s = (payload.start + fr.offset as usize).min(payload.end);
        let r = s..(s + fr.len as usize).min(payload.end);
        let name = if fr.is_error() { n.error } else { n.fragment };
        w.field(name, r.clone(), v!("{}", fr.frame));
        if fr.overlap {
            w.field(n.overlap, r.clone(), v!("1"));
        }
        if fr.conflict {
            w.field(n.conflict, r.clone(), v!("1"));
        }
        if fr.multiple_tails {
            w.field(n.tails, r.clone(), v!("1"));
        }
        if fr.too_long {
            w.field(n.too_long, r, v!("1"));
        }
    }
    let count = d.fragments.len();
    w.field(n.count, payload.clone(), v!("{count}"));
    w.field(n.length, payload.clone(), v!("{}", d.len));
    w.field(n.data, payload, v!("{}", hex(bytes)));
}
