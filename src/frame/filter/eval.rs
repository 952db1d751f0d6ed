//! Evaluation: one walk of the frame; each field the program names is tested as the walk
//! emits it, the outcome kept in bit masks (an atom per bit); protocols and `frame.*` fields
//! are tested after the walk; then the tree is folded. Allocates nothing: a field printed as
//! text (integers, from the view's own formatting) goes into a per-thread reused buffer.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::ops::Range;

use super::compile::{Atom, Const, FrameField, Kind, Node, Program, Source, Test};
use super::parse::{CmpOp, Slice};
use super::FrameMeta;
use crate::frame::view;

thread_local! {
    static TEXT: RefCell<String> = RefCell::new(String::with_capacity(64));
}

/// One value of a field.
#[derive(Clone, Copy)]
enum Val<'a> {
    U(u64),
    B(&'a [u8]),
}

/// Per-frame outcome: which atoms saw a value, which passed once, which failed once.
#[derive(Default)]
struct Marks {
    seen: u128,
    any: u128,
    fail: u128,
}

impl Marks {
    fn record(&mut self, i: usize, ok: bool) {
        let bit = 1u128 << i;
        self.seen |= bit;
        if ok {
            self.any |= bit;
        } else {
            self.fail |= bit;
        }
    }

    fn result(&self, i: usize, all: bool) -> bool {
        let bit = 1u128 << i;
        if all {
            self.seen & bit != 0 && self.fail & bit == 0
        } else {
            self.any & bit != 0
        }
    }
}

pub fn matches(p: &Program, walked: &[u8], meta: &FrameMeta<'_>) -> bool {
    // The frame's own bytes (`frame`, `frame.cap_len`); the fields come from the bytes
    // reassembly gave to walk, when it saw the frame.
    let own = meta.defrag.map_or(walked, |d| &d.frame[..]);
    let frame = walked;
    let mut m = Marks::default();
    let needs_walk = p.atoms.iter().any(|a| {
        matches!(
            a.src,
            Source::View(..) | Source::Bit(..) | Source::Proto(..)
        )
    });
    if needs_walk {
        TEXT.with(|t| {
            let mut text = t.borrow_mut();
            let lay = view::walk_defrag(
                frame,
                view::Encap::Ethernet,
                meta.defrag,
                |name: &'static str, range: Range<usize>, v: &dyn Fn(&mut String)| {
                    for (i, a) in p.atoms.iter().enumerate() {
                        let hit = match &a.src {
                            Source::View(names, n) => names[..*n].contains(&name),
                            Source::Bit(base, _) => *base == name,
                            _ => false,
                        };
                        if hit {
                            let ok = field_value(a, frame, range.clone(), v, &mut text);
                            if let Some(ok) = ok {
                                m.record(i, ok);
                            }
                        }
                    }
                },
            );
            for (i, a) in p.atoms.iter().enumerate() {
                if let Source::Proto(protos, n) = &a.src {
                    for h in lay.layers() {
                        if protos[..*n].contains(&h.proto) {
                            let b = &frame[h.start.min(frame.len())..h.end.min(frame.len())];
                            if let Some(ok) = test_val(a, Val::B(b)) {
                                m.record(i, ok);
                            }
                        }
                    }
                }
            }
        });
    }
    for (i, a) in p.atoms.iter().enumerate() {
        let v = match a.src {
            Source::Frame => Some(Val::B(own)),
            Source::Meta(f) => meta_value(f, own, meta),
            _ => continue,
        };
        if let Some(ok) = v.and_then(|v| test_val(a, v)) {
            m.record(i, ok);
        }
    }
    fold(&p.root, p, &m)
}

fn fold(n: &Node, p: &Program, m: &Marks) -> bool {
    match n {
        Node::And(a, b) => fold(a, p, m) && fold(b, p, m),
        Node::Or(a, b) => fold(a, p, m) || fold(b, p, m),
        Node::Not(a) => !fold(a, p, m),
        Node::Atom(i) => m.result(*i, p.atoms[*i].all),
    }
}

fn meta_value<'a>(f: FrameField, frame: &'a [u8], meta: &FrameMeta<'a>) -> Option<Val<'a>> {
    Some(match f {
        FrameField::Number => Val::U(meta.number),
        FrameField::Len => Val::U(if meta.wire_len == 0 {
            frame.len() as u64
        } else {
            u64::from(meta.wire_len)
        }),
        FrameField::CapLen => Val::U(frame.len() as u64),
        FrameField::TimeEpoch => Val::U(meta.ts_ns),
        FrameField::TimeRelative => Val::U(meta.ts_ns.saturating_sub(meta.t0_ns)),
        FrameField::InterfaceId => Val::U(u64::from(meta.interface_id?)),
        FrameField::InterfaceName => Val::B(meta.interface_name?.as_bytes()),
        FrameField::InterfaceDescription => Val::B(meta.interface_description?.as_bytes()),
    })
}

/// Tests one emitted field; `None` when its value cannot be read (then it does not count).
fn field_value(
    a: &Atom,
    frame: &[u8],
    range: Range<usize>,
    v: &dyn Fn(&mut String),
    text: &mut String,
) -> Option<bool> {
    let bytes = frame.get(range)?;
    if a.slice.is_some() || !matches!(a.kind, Kind::Uint | Kind::Bool) {
        return test_val(a, Val::B(bytes));
    }
    text.clear();
    v(text);
    let mut x = parse_printed(text)?;
    if let Source::Bit(_, bit) = a.src {
        x = u64::from(x & bit != 0);
    }
    test_val(a, Val::U(x))
}

/// The view prints integers in decimal or `0x` hex.
fn parse_printed(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn slice_of(b: &[u8], s: Slice) -> Option<&[u8]> {
    let start = if s.start < 0 {
        b.len().checked_sub(s.start.unsigned_abs() as usize)?
    } else {
        s.start as usize
    };
    let end = match s.len {
        None => b.len(),
        Some(l) => start.checked_add(l as usize)?,
    };
    b.get(start..end)
}

fn test_val(a: &Atom, v: Val<'_>) -> Option<bool> {
    let v = match (a.slice, v) {
        (Some(s), Val::B(b)) => Val::B(slice_of(b, s)?),
        (Some(_), Val::U(_)) => return None,
        (None, v) => v,
    };
    Some(match &a.test {
        Test::Exists => true,
        Test::Cmp(op, c) => compare(*op, v, c),
        Test::In(set) => set.iter().any(|(lo, hi)| {
            if lo == hi {
                compare(CmpOp::Eq, v, lo)
            } else {
                compare(CmpOp::Ge, v, lo) && compare(CmpOp::Le, v, hi)
            }
        }),
        Test::Contains(needle) => match v {
            Val::B(b) => needle.is_empty() || b.windows(needle.len()).any(|w| w == &needle[..]),
            Val::U(_) => false,
        },
        Test::Matches(re) => match v {
            Val::B(b) => re.is_match(b),
            Val::U(_) => false,
        },
    })
}

fn compare(op: CmpOp, v: Val<'_>, c: &Const) -> bool {
    let ord = match (v, c) {
        (Val::U(x), Const::U(y)) => x.cmp(y),
        (Val::B(x), Const::B(y)) => x.cmp(&y[..]),
        (Val::B(x), Const::Net(net, bits)) => {
            let eq = x.len() == net.len() && prefix_eq(x, net, *bits);
            return match op {
                CmpOp::Ne | CmpOp::AnyNe => !eq,
                CmpOp::Ge | CmpOp::Le => eq,
                _ => eq,
            };
        }
        _ => return false,
    };
    match op {
        CmpOp::Eq | CmpOp::AllEq => ord == Ordering::Equal,
        // For `!=` the frame passes when no value is equal: the value fails when equal.
        CmpOp::Ne | CmpOp::AnyNe => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
        CmpOp::Contains | CmpOp::Matches => false,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u32) -> bool {
    let full = (bits / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = bits % 8;
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    a[full] & mask == b[full] & mask
}
