//! `vethbench diff`: two captures compared frame by frame, by field rather than by byte, so a
//! golden capture survives new timestamps, IP ids and checksums (`--ignore`).
//!
//! The pieces: [`Capture`] holds a file's frames in one arena (one allocation per file, not
//! per frame); [`DiffOptions`] says what to ignore and how frames are paired; [`diff`] pairs
//! them ([`Match::Order`]: an edit script over the frames' keys, Myers' algorithm from the
//! `similar` crate, so a frame missing in the middle is one missing frame, not every frame after
//! it changed; [`Match::Flow`]: frames matched by content whatever their order, reordering
//! reported as such) and lists the field-level differences of the pairs that differ
//! (`compare.rs`). A frame's key is a hash of its bytes with the ignored fields' bytes zeroed,
//! so equal frames cost one walk of the packet view and no formatting; only frames that differ
//! are dissected.
//!
//! What stays true: the report accounts for every frame of both files (equal + changed +
//! reordered + missing = frames of A; equal + changed + reordered + extra = frames of B).

mod compare;
mod report;

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::ops::Range;

pub use compare::FieldDiff;
pub use report::{write_json, write_text};

use crate::frame::view;
use crate::frame::wire::{self, ipv4, ipv6, udp};
use crate::pcapng::{CaptureReader, PcapngError};

/// Frame bytes a [`Capture`] holds at most (the file is read into memory).
pub const MAX_CAPTURE_BYTES: usize = 4 << 30;

/// An error of [`Capture::read`] or [`DiffOptions::new`].
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Read(#[from] PcapngError),
    #[error("{path}: more than {max} bytes of frames: too large to compare in memory")]
    TooLarge { path: String, max: usize },
    #[error("cannot ignore '{name}': not a field vethbench decodes{hint}")]
    UnknownField { name: String, hint: String },
}

/// One frame of a [`Capture`].
#[derive(Debug, Clone, Copy)]
struct Rec {
    off: usize,
    len: usize,
    orig_len: u32,
    ts_ns: u64,
    iface: u32,
    linktype: u16,
}

/// The frames of one capture file, in file order.
#[derive(Debug, Default)]
pub struct Capture {
    bytes: Vec<u8>,
    recs: Vec<Rec>,
}

/// A frame of a [`Capture`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub data: &'a [u8],
    pub orig_len: u32,
    pub ts_ns: u64,
    pub iface: u32,
    pub linktype: u16,
}

impl Capture {
    /// Every frame of `reader` (an error names the file and the byte offset of a bad block).
    pub fn read<R: std::io::Read>(
        reader: CaptureReader<R>,
        path: &str,
    ) -> Result<Capture, DiffError> {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        Capture::read_sized(reader, path, size)
    }

    /// [`Capture::read`] with the file's size known (`0`: unknown), so the arena is allocated
    /// once rather than grown and copied.
    pub fn read_sized<R: std::io::Read>(
        mut reader: CaptureReader<R>,
        path: &str,
        size: u64,
    ) -> Result<Capture, DiffError> {
        let size = usize::try_from(size).unwrap_or(0).min(MAX_CAPTURE_BYTES);
        let mut c = Capture {
            bytes: Vec::with_capacity(size),
            // A 64-byte frame's record in a pcap is 80 bytes: a guess that is rarely low.
            recs: Vec::with_capacity(size / 80),
        };
        crate::sys::mem::advise_huge_pages(&mut c.bytes);
        while let Some(f) = reader.next() {
            let f = f?;
            if c.bytes.len() + f.data.len() > MAX_CAPTURE_BYTES {
                return Err(DiffError::TooLarge {
                    path: path.to_string(),
                    max: MAX_CAPTURE_BYTES,
                });
            }
            c.recs.push(Rec {
                off: c.bytes.len(),
                len: f.data.len(),
                orig_len: f.orig_len,
                ts_ns: u64::try_from(f.ts_ns).unwrap_or(u64::MAX),
                iface: f.iface,
                linktype: f.linktype,
            });
            c.bytes.extend_from_slice(f.data);
        }
        Ok(c)
    }

    /// A capture of the given frames (Ethernet, timestamps 1 µs apart): for tests and for
    /// frames that never were in a file.
    pub fn from_frames<T: AsRef<[u8]>>(frames: &[T]) -> Capture {
        let mut c = Capture::default();
        for (i, f) in frames.iter().enumerate() {
            let f = f.as_ref();
            c.recs.push(Rec {
                off: c.bytes.len(),
                len: f.len(),
                orig_len: f.len() as u32,
                ts_ns: i as u64 * 1000,
                iface: 0,
                linktype: 1,
            });
            c.bytes.extend_from_slice(f);
        }
        c
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Frame `i` (0-based).
    pub fn frame(&self, i: usize) -> Frame<'_> {
        let r = self.recs[i];
        Frame {
            data: &self.bytes[r.off..r.off + r.len],
            orig_len: r.orig_len,
            ts_ns: r.ts_ns,
            iface: r.iface,
            linktype: r.linktype,
        }
    }
}

/// How frames of the two captures are paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Match {
    /// In file order, with frames missing or added anywhere (an edit script).
    #[default]
    Order,
    /// By content (5-tuple and payload), whatever the order: a frame found elsewhere is
    /// reordered, not missing.
    Flow,
}

/// What [`diff`] compares.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Field names (tshark's, aliases accepted) or protocols (`ip`: every `ip.*` field) left out.
    ignore: Vec<&'static str>,
    /// Prefixes of ignored protocols (`ip.`), from protocol names in the ignore list.
    ignore_protos: Vec<String>,
    /// Compare `frame.time_relative` (time since the file's first frame) within this many
    /// nanoseconds; `None`: timestamps are not compared.
    pub time_tolerance_ns: Option<u64>,
    pub matching: Match,
    /// Field differences listed per frame at most (the count of the rest is kept).
    pub max_fields: usize,
}

/// The `frame.*` fields [`diff`] knows besides the packet view's.
const FRAME_FIELDS: &[&str] = &[
    "frame.time",
    "frame.time_relative",
    "frame.len",
    "frame.cap_len",
    "frame.interface_id",
];

impl DiffOptions {
    /// Options ignoring `names` (fields, aliases, protocols or `frame.*`); an unknown name is an
    /// error with the closest known ones.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<DiffOptions, DiffError> {
        let mut o = DiffOptions {
            max_fields: 8,
            ..DiffOptions::default()
        };
        for n in names {
            let n = n.as_ref().trim();
            if let Some(f) = FRAME_FIELDS.iter().find(|f| **f == n) {
                o.ignore.push(f);
            } else if let Some(c) = view::canonical_name(n) {
                o.ignore.push(c);
            } else if view::FIELD_NAMES
                .iter()
                .any(|f| f.strip_prefix(n).is_some_and(|r| r.starts_with('.')))
            {
                o.ignore_protos.push(format!("{n}."));
                if view::FIELD_NAMES.contains(&n) {
                    o.ignore.push(view::canonical_name(n).unwrap_or("data"));
                }
            } else {
                let mut near: Vec<(f64, &str)> = view::FIELD_NAMES
                    .iter()
                    .chain(FRAME_FIELDS)
                    .map(|f| (strsim::jaro_winkler(n, f), *f))
                    .filter(|(s, _)| *s > 0.8)
                    .collect();
                near.sort_by(|a, b| b.0.total_cmp(&a.0));
                let hint = match near.first() {
                    Some((_, f)) => format!("; did you mean '{f}'?"),
                    None => String::new(),
                };
                return Err(DiffError::UnknownField {
                    name: n.to_string(),
                    hint,
                });
            }
        }
        Ok(o)
    }

    /// Whether field `name` is left out.
    pub fn ignores(&self, name: &str) -> bool {
        self.ignore.contains(&name) || self.ignore_protos.iter().any(|p| name.starts_with(p))
    }
}

/// One difference between the captures (frame numbers are 1-based, as tshark's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// Paired frames whose fields differ.
    Changed {
        a: usize,
        b: usize,
        fields: Vec<FieldDiff>,
        /// Differences beyond `max_fields`, not listed.
        more: usize,
    },
    /// A frame of A with no counterpart in B.
    Missing { a: usize },
    /// A frame of B with no counterpart in A.
    Extra { b: usize },
    /// A frame found in both, but out of order.
    Reordered { a: usize, b: usize },
}

/// What [`diff`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffReport {
    pub a_frames: usize,
    pub b_frames: usize,
    pub equal: usize,
    pub changed: usize,
    pub missing: usize,
    pub extra: usize,
    pub reordered: usize,
    /// In the order of A's frames (extra frames where they fall in B).
    pub differences: Vec<Difference>,
}

impl DiffReport {
    /// No difference at all.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Keys of every frame: a hash of the bytes with ignored fields zeroed, and of the length on
/// the wire (and the link type).
fn keys(c: &Capture, o: &DiffOptions) -> Vec<u64> {
    let mut scratch = Vec::new();
    let mut masks: Vec<Range<usize>> = Vec::new();
    let ignore_len = o.ignores("frame.len");
    let masking = !o.ignore.is_empty() || !o.ignore_protos.is_empty();
    (0..c.len())
        .map(|i| {
            let f = c.frame(i);
            let mut h = std::collections::hash_map::DefaultHasher::new();
            if !(masking && f.linktype == 1) {
                f.data.hash(&mut h);
            } else {
                scratch.clear();
                scratch.extend_from_slice(f.data);
                masks.clear();
                view::walk(
                    f.data,
                    |name: &'static str, r: Range<usize>, _: &dyn Fn(&mut String)| {
                        if o.ignores(name) {
                            masks.push(r);
                        }
                    },
                );
                for r in &masks {
                    if let Some(s) = scratch.get_mut(r.clone()) {
                        s.fill(0);
                    }
                }
                scratch.hash(&mut h);
            }
            f.linktype.hash(&mut h);
            if !ignore_len {
                f.orig_len.hash(&mut h);
            }
            h.finish()
        })
        .collect()
}

/// The flow of a frame: a hash of its addresses, transport protocol and ports, and payload.
fn flow_key(f: &Frame<'_>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let lay = view::layout(f.data);
    match lay.l3_off {
        Some(o) => {
            // The source address and the destination right after it.
            let addrs = if lay.ipv6 {
                wire::at(o, ipv6::field::SRC_ADDR.start..ipv6::field::DST_ADDR.end)
            } else {
                wire::at(o, ipv4::field::SRC_ADDR.start..ipv4::field::DST_ADDR.end)
            };
            f.data.get(addrs).hash(&mut h);
            lay.ip_proto.hash(&mut h);
            if let Some((_, l4)) = lay.l4 {
                // The two ports (TCP's and UDP's sit alike), or whatever an ICMP has there.
                let ports = udp::field::SRC_PORT.start..udp::field::DST_PORT.end;
                f.data.get(wire::at(l4, ports)).hash(&mut h);
            }
            f.data.get(lay.payload_off..lay.payload_end).hash(&mut h);
        }
        None => f.data.hash(&mut h),
    }
    h.finish()
}

/// Compare captures `a` and `b` as `o` says.
pub fn diff(a: &Capture, b: &Capture, o: &DiffOptions) -> DiffReport {
    // The two files' keys on two threads (the machine's other CPU).
    let (ka, kb) = std::thread::scope(|s| {
        let ka = s.spawn(|| keys(a, o));
        let kb = keys(b, o);
        (
            ka.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            kb,
        )
    });
    let mut pairs: Vec<(usize, usize)> = Vec::new(); // same key
    let mut changed: Vec<(usize, usize)> = Vec::new(); // paired, keys differ
    let mut missing: Vec<usize> = Vec::new();
    let mut extra: Vec<usize> = Vec::new();
    match o.matching {
        Match::Order => {
            use similar::{Algorithm, DiffOp};
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let ops =
                similar::capture_diff_slices_deadline(Algorithm::Myers, &ka, &kb, Some(deadline));
            for op in ops {
                match op {
                    DiffOp::Equal {
                        old_index,
                        new_index,
                        len,
                    } => pairs.extend((0..len).map(|k| (old_index + k, new_index + k))),
                    DiffOp::Delete {
                        old_index, old_len, ..
                    } => missing.extend(old_index..old_index + old_len),
                    DiffOp::Insert {
                        new_index, new_len, ..
                    } => extra.extend(new_index..new_index + new_len),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } => {
                        let n = old_len.min(new_len);
                        changed.extend((0..n).map(|k| (old_index + k, new_index + k)));
                        missing.extend(old_index + n..old_index + old_len);
                        extra.extend(new_index + n..new_index + new_len);
                    }
                }
            }
        }
        Match::Flow => {
            let mut by_key: HashMap<u64, VecDeque<usize>> = HashMap::new();
            for (j, k) in kb.iter().enumerate() {
                by_key.entry(*k).or_default().push_back(j);
            }
            for (i, k) in ka.iter().enumerate() {
                match by_key.get_mut(k).and_then(VecDeque::pop_front) {
                    Some(j) => pairs.push((i, j)),
                    None => missing.push(i),
                }
            }
            let mut used = vec![false; kb.len()];
            for &(_, j) in &pairs {
                used[j] = true;
            }
            extra.extend((0..kb.len()).filter(|j| !used[*j]));
        }
    }
    // A frame missing here and extra there with the same key moved: reordered. Otherwise, in
    // flow mode, the same flow on both sides is one frame changed.
    let mut extra_by_key: HashMap<u64, VecDeque<usize>> = HashMap::new();
    for &j in &extra {
        extra_by_key.entry(kb[j]).or_default().push_back(j);
    }
    let mut moved: Vec<(usize, usize)> = Vec::new();
    missing.retain(
        |&i| match extra_by_key.get_mut(&ka[i]).and_then(VecDeque::pop_front) {
            Some(j) => {
                moved.push((i, j));
                false
            }
            None => true,
        },
    );
    let taken: std::collections::HashSet<usize> = moved.iter().map(|m| m.1).collect();
    extra.retain(|j| !taken.contains(j));
    if o.matching == Match::Flow {
        let mut extra_by_flow: HashMap<u64, VecDeque<usize>> = HashMap::new();
        for &j in &extra {
            extra_by_flow
                .entry(flow_key(&b.frame(j)))
                .or_default()
                .push_back(j);
        }
        let mut got = std::collections::HashSet::new();
        missing.retain(|&i| {
            match extra_by_flow
                .get_mut(&flow_key(&a.frame(i)))
                .and_then(VecDeque::pop_front)
            {
                Some(j) => {
                    changed.push((i, j));
                    got.insert(j);
                    false
                }
                None => true,
            }
        });
        extra.retain(|j| !got.contains(j));
        // Pairs out of order: those not on the longest run of increasing B positions.
        let in_order = longest_increasing(&pairs);
        let mut keep = Vec::with_capacity(pairs.len());
        for (k, p) in pairs.into_iter().enumerate() {
            if in_order[k] {
                keep.push(p);
            } else {
                moved.push(p);
            }
        }
        pairs = keep;
    }

    let mut r = DiffReport {
        a_frames: a.len(),
        b_frames: b.len(),
        ..DiffReport::default()
    };
    let t0 = |c: &Capture| if c.is_empty() { 0 } else { c.frame(0).ts_ns };
    let (a0, b0) = (t0(a), t0(b));
    // (position in A's order, tie-break, difference)
    let mut out: Vec<(usize, usize, Difference)> = Vec::new();
    let add_pair = |i: usize, j: usize, r: &mut DiffReport, out: &mut Vec<_>, same: bool| {
        let (fa, fb) = (a.frame(i), b.frame(j));
        let mut fields = if same {
            Vec::new()
        } else {
            compare::fields(&fa, &fb, o)
        };
        if let Some(tol) = o.time_tolerance_ns {
            if !o.ignores("frame.time_relative") && !o.ignores("frame.time") {
                let (ta, tb) = (fa.ts_ns.saturating_sub(a0), fb.ts_ns.saturating_sub(b0));
                if ta.abs_diff(tb) > tol {
                    fields.push(FieldDiff::new(
                        "frame.time_relative",
                        Some(compare::secs(ta)),
                        Some(compare::secs(tb)),
                    ));
                }
            }
        }
        if fields.is_empty() {
            r.equal += 1;
        } else {
            r.changed += 1;
            let more = fields.len().saturating_sub(o.max_fields);
            fields.truncate(o.max_fields);
            out.push((
                i,
                0,
                Difference::Changed {
                    a: i + 1,
                    b: j + 1,
                    fields,
                    more,
                },
            ));
        }
    };
    for &(i, j) in &pairs {
        add_pair(i, j, &mut r, &mut out, true);
    }
    for &(i, j) in &changed {
        add_pair(i, j, &mut r, &mut out, false);
    }
    for &(i, j) in &moved {
        r.reordered += 1;
        out.push((i, 0, Difference::Reordered { a: i + 1, b: j + 1 }));
    }
    for &i in &missing {
        r.missing += 1;
        out.push((i, 0, Difference::Missing { a: i + 1 }));
    }
    // An extra frame sits after the A frame paired just before it in B.
    let mut before: Vec<(usize, usize)> =
        pairs.iter().chain(&changed).map(|&(i, j)| (j, i)).collect();
    before.sort_unstable();
    for &j in &extra {
        r.extra += 1;
        let at = match before.partition_point(|&(bj, _)| bj < j) {
            0 => 0,
            k => before[k - 1].1 + 1,
        };
        out.push((at, 1 + j, Difference::Extra { b: j + 1 }));
    }
    out.sort_by_key(|(i, t, _)| (*i, *t));
    r.differences = out.into_iter().map(|(_, _, d)| d).collect();
    r
}

/// For pairs in A's order, which lie on one longest increasing run of B positions.
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<bool> {
    // Patience sorting with back-pointers, O(n log n).
    let mut tails: Vec<usize> = Vec::new(); // index into pairs
    let mut prev: Vec<Option<usize>> = vec![None; pairs.len()];
    for (k, &(_, j)) in pairs.iter().enumerate() {
        let pos = tails.partition_point(|&t| pairs[t].1 < j);
        prev[k] = pos.checked_sub(1).map(|p| tails[p]);
        if pos == tails.len() {
            tails.push(k);
        } else {
            tails[pos] = k;
        }
    }
    let mut on = vec![false; pairs.len()];
    let mut cur = tails.last().copied();
    while let Some(k) = cur {
        on[k] = true;
        cur = prev[k];
    }
    on
}

#[cfg(test)]
mod tests;
