//! The delivery checker: each received frame, verified by its sequence number against the
//! template it was built from, without storing frames.
//!
//! Per frame, in this order:
//! - no stamp (too short, other magic, other stream) → **unexpected**;
//! - any byte outside the stamp's seq/tx_ns differs from the template, the length differs, or
//!   the transport checksum is not the one the template + stamp give → **corrupted** (its seq
//!   is not trusted, so it is not marked as seen);
//! - a sequence number the sender has not stamped yet → **unexpected**;
//! - seq seen before → **duplicated**;
//! - otherwise **intact** (counted once per seq), and also **reordered** when a higher seq was
//!   seen before it.
//!
//! Seen sequence numbers live in a ring bitmap of `window` bits (default 2^18 = 32 KiB): a
//! frame older than `window` behind the highest seq seen cannot be told from a duplicate and is
//! counted as reordered. What always holds: `received = intact + duplicated + corrupted +
//! unexpected`, and with `sent` frames, `lost = sent - intact - corrupted` (saturating).
//! Nothing is allocated per frame.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::stamp::{self, Stamp, StampedTemplate, STAMP_LEN};

/// What a received frame was found to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// First copy of its seq, byte-exact, in order.
    Intact,
    /// First copy of its seq, byte-exact, after a higher seq.
    Reordered,
    /// Byte-exact copy of a seq already seen.
    Duplicated,
    /// Ours (magic and stream), but the bytes differ from template + stamp.
    Corrupted,
    /// Not ours, or a seq never sent.
    Unexpected,
}

impl Class {
    /// True for the first intact copy of a seq (the frames whose latency counts).
    pub fn is_first_intact(self) -> bool {
        matches!(self, Class::Intact | Class::Reordered)
    }
}

/// Running counts. See the module doc for the identities that hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub received: u64,
    pub intact: u64,
    pub reordered: u64,
    pub duplicated: u64,
    pub corrupted: u64,
    pub unexpected: u64,
}

impl Counts {
    /// Frames sent but never received intact, and not accounted for as corrupted.
    pub fn lost(&self, sent: u64) -> u64 {
        sent.saturating_sub(self.intact + self.corrupted)
    }
}

/// Seen sequence numbers in a sliding ring bitmap.
#[derive(Debug, Clone)]
pub(crate) struct SeqWindow {
    bits: Vec<u64>,
    mask: u64,
    /// Highest seq seen + 1; 0 when nothing was seen.
    next: u64,
}

pub(crate) enum Seen {
    New { reordered: bool },
    Again,
}

impl SeqWindow {
    pub(crate) fn new(window_bits: u64) -> Self {
        let w = window_bits.next_power_of_two().max(64);
        SeqWindow {
            bits: vec![0; (w / 64) as usize],
            mask: w - 1,
            next: 0,
        }
    }

    #[inline]
    pub(crate) fn mark(&mut self, s: u64) -> Seen {
        mark_bits(&mut self.bits, self.mask, &mut self.next, s)
    }
}

/// Mark seq `s` seen in the ring bitmap `bits` of `mask + 1` bits (a power of two, at least 64,
/// `bits.len() * 64` of them) whose highest seq seen + 1 is `next` (0: none yet). The one
/// window of [`SeqWindow`], or one flow's slice of many kept side by side.
#[inline]
pub(crate) fn mark_bits(bits: &mut [u64], mask: u64, next: &mut u64, s: u64) -> Seen {
    let slot = |s: u64| {
        let p = s & mask;
        ((p / 64) as usize, 1u64 << (p % 64))
    };
    let w = mask + 1;
    if s >= *next {
        // Positions entering the window held seqs that fell out of it: clear them.
        if s - *next >= w {
            bits.iter_mut().for_each(|b| *b = 0);
        } else {
            for q in *next..s {
                let (i, b) = slot(q);
                bits[i] &= !b;
            }
        }
        let (i, b) = slot(s);
        bits[i] |= b;
        *next = s + 1;
        return Seen::New { reordered: false };
    }
    if *next - s > w {
        // Too old to remember: counted as late, not as a duplicate.
        return Seen::New { reordered: true };
    }
    let (i, b) = slot(s);
    if bits[i] & b != 0 {
        Seen::Again
    } else {
        bits[i] |= b;
        Seen::New { reordered: true }
    }
}

/// Where the sender says how far it has stamped: frames beyond are unexpected.
#[derive(Debug, Clone)]
enum Limit {
    Fixed(u64),
    /// Shared with a running sender, which stores the next seq before each send syscall.
    Shared(Arc<AtomicU64>),
}

/// Verifies frames of one stream against its template.
#[derive(Debug, Clone)]
pub struct Checker {
    template: StampedTemplate,
    /// Byte ranges compared with the template: everything but seq/tx_ns and the checksum.
    segs: [(usize, usize); 3],
    seen: SeqWindow,
    limit: Limit,
    cached_limit: u64,
    counts: Counts,
}

/// Default seen-window: 2^18 sequence numbers.
pub const DEFAULT_WINDOW: u64 = 1 << 18;

impl Checker {
    /// A checker for frames built from `template`, accepting seqs below `seq_limit`.
    pub fn new(template: StampedTemplate, seq_limit: u64) -> Self {
        Self::build(template, Limit::Fixed(seq_limit), DEFAULT_WINDOW)
    }

    /// A checker whose seq limit follows a running sender (see [`Checker`]'s module doc).
    pub fn with_shared_limit(
        template: StampedTemplate,
        limit: Arc<AtomicU64>,
        window: u64,
    ) -> Self {
        Self::build(template, Limit::Shared(limit), window)
    }

    fn build(template: StampedTemplate, limit: Limit, window: u64) -> Self {
        let so = template.stamp_off();
        let len = template.len();
        // Skip [so+8, so+24) (seq, tx_ns) and the checksum; the checksum sits before the stamp.
        let segs = match template.csum_off() {
            Some(c) if c + 2 <= so => [(0, c), (c + 2, so + 8), (so + STAMP_LEN, len)],
            _ => [(0, so + 8), (so + STAMP_LEN, len), (len, len)],
        };
        let cached_limit = match &limit {
            Limit::Fixed(n) => *n,
            Limit::Shared(a) => a.load(Ordering::Acquire),
        };
        Checker {
            template,
            segs,
            seen: SeqWindow::new(window),
            limit,
            cached_limit,
            counts: Counts::default(),
        }
    }

    pub fn template(&self) -> &StampedTemplate {
        &self.template
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    #[inline]
    fn seq_in_range(&mut self, seq: u64) -> bool {
        if seq < self.cached_limit {
            return true;
        }
        if let Limit::Shared(a) = &self.limit {
            // The sender may have stamped more since we last looked.
            self.cached_limit = a.load(Ordering::Acquire);
        }
        seq < self.cached_limit
    }

    /// Classify one received frame; the stamp is returned when the frame is ours.
    #[inline]
    pub fn check(&mut self, frame: &[u8]) -> (Class, Option<Stamp>) {
        self.counts.received += 1;
        let t = &self.template;
        let st = match stamp::parse(frame, t.stamp_off()) {
            Some(s) if s.stream_id == t.stream_id() => s,
            _ => {
                self.counts.unexpected += 1;
                return (Class::Unexpected, None);
            }
        };
        let t = &self.template;
        let tb = t.bytes();
        let mut ok = frame.len() == tb.len();
        if ok {
            for &(a, b) in &self.segs {
                ok &= frame[a..b] == tb[a..b];
            }
            if let (Some(c), Some(v)) = (t.csum_off(), t.expected_csum(st.seq, st.tx_ns)) {
                ok &= frame[c..c + 2] == v.to_be_bytes();
            }
        }
        if !ok {
            self.counts.corrupted += 1;
            return (Class::Corrupted, Some(st));
        }
        // Intact bytes, so the seq can be trusted: one never stamped is not from this run.
        if !self.seq_in_range(st.seq) {
            self.counts.unexpected += 1;
            return (Class::Unexpected, Some(st));
        }
        let class = match self.seen.mark(st.seq) {
            Seen::Again => {
                self.counts.duplicated += 1;
                Class::Duplicated
            }
            Seen::New { reordered } => {
                self.counts.intact += 1;
                if reordered {
                    self.counts.reordered += 1;
                    Class::Reordered
                } else {
                    Class::Intact
                }
            }
        };
        (class, Some(st))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::stamp::tests::udp4;

    fn template() -> StampedTemplate {
        StampedTemplate::new(udp4(64), 42).unwrap()
    }

    /// Frame `seq` of the stream, as the sender would build it.
    fn frame(t: &StampedTemplate, seq: u64) -> Vec<u8> {
        let mut b = t.bytes().to_vec();
        t.stamp(&mut b, seq, 1_000 + seq);
        b
    }

    fn run(t: &StampedTemplate, limit: u64, frames: &[Vec<u8>]) -> (Vec<Class>, Counts) {
        let mut c = Checker::new(t.clone(), limit);
        let classes = frames.iter().map(|f| c.check(f).0).collect();
        (classes, c.counts())
    }

    fn adds_up(c: &Counts) {
        assert_eq!(
            c.received,
            c.intact + c.duplicated + c.corrupted + c.unexpected
        );
    }

    #[test]
    fn clean_stream() {
        let t = template();
        let frames: Vec<_> = (0..1000).map(|s| frame(&t, s)).collect();
        let (cl, c) = run(&t, 1000, &frames);
        assert!(cl.iter().all(|&x| x == Class::Intact));
        assert_eq!(c.intact, 1000);
        assert_eq!(c.lost(1000), 0);
        adds_up(&c);
    }

    #[test]
    fn lost_frames() {
        let t = template();
        let frames: Vec<_> = (0..100)
            .filter(|s| s % 10 != 3)
            .map(|s| frame(&t, s))
            .collect();
        let (_, c) = run(&t, 100, &frames);
        assert_eq!(c.intact, 90);
        assert_eq!(c.lost(100), 10);
        assert_eq!(c.reordered + c.duplicated + c.corrupted + c.unexpected, 0);
        adds_up(&c);
    }

    #[test]
    fn corrupted_frames() {
        let t = template();
        let mut frames: Vec<_> = (0..50).map(|s| frame(&t, s)).collect();
        frames[3][20] ^= 1; // IPv4 header: flags/fragment
        frames[7][60] ^= 0x80; // payload after the stamp
        let n = frames[9].len();
        frames[9][n - 1] ^= 0xff; // last byte
        frames[11][t.stamp_off() + 12] ^= 1; // inside seq: checksum no longer matches
        frames[13][t.csum_off().unwrap()] ^= 1; // the checksum itself
        frames[15].push(0); // one byte longer
        let (cl, c) = run(&t, 50, &frames);
        for i in [3, 7, 9, 11, 13, 15] {
            assert_eq!(cl[i], Class::Corrupted, "frame {i}");
        }
        assert_eq!(c.corrupted, 6);
        assert_eq!(c.intact, 44);
        assert_eq!(c.lost(50), 0);
        adds_up(&c);
    }

    #[test]
    fn duplicated_frames() {
        let t = template();
        let mut frames: Vec<_> = (0..20).map(|s| frame(&t, s)).collect();
        frames.insert(5, frame(&t, 4));
        frames.push(frame(&t, 0));
        let (cl, c) = run(&t, 20, &frames);
        assert_eq!(cl[5], Class::Duplicated);
        assert_eq!(*cl.last().unwrap(), Class::Duplicated);
        assert_eq!(c.duplicated, 2);
        assert_eq!(c.intact, 20);
        assert_eq!(c.reordered, 0);
        adds_up(&c);
    }

    #[test]
    fn reordered_frames() {
        let t = template();
        let order = [0u64, 1, 3, 2, 4, 7, 5, 6, 8, 9];
        let frames: Vec<_> = order.iter().map(|&s| frame(&t, s)).collect();
        let (cl, c) = run(&t, 10, &frames);
        assert_eq!(cl[3], Class::Reordered);
        assert_eq!(cl[6], Class::Reordered);
        assert_eq!(cl[7], Class::Reordered);
        assert_eq!(c.reordered, 3);
        assert_eq!(c.intact, 10);
        assert_eq!(c.lost(10), 0);
        adds_up(&c);
    }

    #[test]
    fn unexpected_frames() {
        let t = template();
        let other_stream = StampedTemplate::new(udp4(64), 43).unwrap();
        let frames = vec![
            frame(&t, 0),
            frame(&other_stream, 1),
            udp4(64),      // no stamp at all
            vec![0u8; 20], // runt
            frame(&t, 10), // a seq never sent
            frame(&t, 1),
        ];
        let (cl, c) = run(&t, 2, &frames);
        assert_eq!(
            cl,
            vec![
                Class::Intact,
                Class::Unexpected,
                Class::Unexpected,
                Class::Unexpected,
                Class::Unexpected,
                Class::Intact
            ]
        );
        assert_eq!(c.unexpected, 4);
        adds_up(&c);
    }

    #[test]
    fn shared_limit_is_reloaded() {
        let t = template();
        let lim = Arc::new(AtomicU64::new(1));
        let mut c = Checker::with_shared_limit(t.clone(), lim.clone(), 1024);
        assert_eq!(c.check(&frame(&t, 0)).0, Class::Intact);
        lim.store(5, Ordering::Release);
        assert_eq!(c.check(&frame(&t, 4)).0, Class::Intact);
        assert_eq!(c.check(&frame(&t, 5)).0, Class::Unexpected);
    }

    #[test]
    fn window_slides_and_old_frames_are_late() {
        let t = template();
        let mut c = Checker::with_shared_limit(t.clone(), Arc::new(AtomicU64::new(u64::MAX)), 64);
        for s in 0..1000 {
            assert_eq!(c.check(&frame(&t, s)).0, Class::Intact);
        }
        // Within the window: a duplicate is recognised.
        assert_eq!(c.check(&frame(&t, 990)).0, Class::Duplicated);
        // Beyond it: cannot be told apart, counted as late.
        assert_eq!(c.check(&frame(&t, 10)).0, Class::Reordered);
        // A jump larger than the window clears it.
        assert_eq!(c.check(&frame(&t, 5000)).0, Class::Intact);
        assert_eq!(c.check(&frame(&t, 4990)).0, Class::Reordered);
        assert_eq!(c.check(&frame(&t, 4990)).0, Class::Duplicated);
    }
}
