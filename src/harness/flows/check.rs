//! The per-flow delivery checker of a multi-flow stream: each frame verified against its
//! flow's template for its seq, with a seen-window per flow (reordering is counted within a
//! flow: two flows interleaving is not reordering), per-flow counts and a compact per-flow
//! latency histogram. The classes and identities are the one-flow [`Checker`]'s
//! (super::super::checker), totals included. Nothing is allocated per frame.
//!
//! [`Checker`]: crate::harness::Checker

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{split_seq, FlowSet, Layout};
use crate::harness::checker::{mark_bits, Class, Counts, Seen};
use crate::harness::stamp::{self, Stamp, StampedTemplate, STAMP_LEN};

/// Counts of one flow (its lost frames: sent − intact − corrupted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowCounts {
    pub intact: u64,
    pub reordered: u64,
    pub duplicated: u64,
    /// Frames whose stamp names this flow but whose bytes differ.
    pub corrupted: u64,
}

/// A compact latency histogram (one per flow): 8 buckets per power of two (12.5 % wide), up to 2^36 ns (68 s; above lands in the top bucket).
#[derive(Debug, Clone)]
pub struct FlowLat {
    buckets: Box<[u32]>,
    samples: u64,
}

const LAT_BUCKETS: usize = 16 + (36 - 4) * 8 + 8;

impl Default for FlowLat {
    fn default() -> Self {
        FlowLat {
            buckets: vec![0; LAT_BUCKETS].into_boxed_slice(),
            samples: 0,
        }
    }
}

impl FlowLat {
    #[inline]
    fn index(d: u64) -> usize {
        if d < 16 {
            return d as usize;
        }
        let e = (63 - d.leading_zeros()).min(36) as usize;
        let sub = if e >= 36 {
            7
        } else {
            ((d >> (e - 3)) & 7) as usize
        };
        16 + (e - 4) * 8 + sub
    }

    /// The largest value of bucket `i` (ns).
    fn upper(i: usize) -> u64 {
        if i < 16 {
            return i as u64;
        }
        let e = (i - 16) / 8 + 4;
        let sub = ((i - 16) % 8) as u64;
        ((8 + sub + 1) << (e - 3)) - 1
    }

    /// Record a latency of `d` ns.
    #[inline]
    pub fn record(&mut self, d: u64) {
        let i = Self::index(d);
        self.buckets[i] = self.buckets[i].saturating_add(1);
        self.samples += 1;
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The middle of bucket `i` (ns).
    fn mid(i: usize) -> u64 {
        if i < 16 {
            return i as u64;
        }
        let lower = if i == 16 { 16 } else { Self::upper(i - 1) + 1 };
        (lower + Self::upper(i)) / 2
    }

    /// The `q` quantile (0..=1) in ns, as the middle of its bucket (within 6.25 %); None
    /// without samples.
    pub fn quantile_ns(&self, q: f64) -> Option<u64> {
        Self::quantile_in(&self.buckets, self.samples, q)
    }

    /// [`FlowLat::quantile_ns`] of `samples` samples counted in `buckets`.
    fn quantile_in(buckets: &[u32], samples: u64, q: f64) -> Option<u64> {
        if samples == 0 {
            return None;
        }
        let want = ((q * samples as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (i, &b) in buckets.iter().enumerate() {
            seen += b as u64;
            if seen >= want {
                return Some(Self::mid(i));
            }
        }
        Some(Self::mid(LAT_BUCKETS - 1))
    }
}

/// One flow's counters and the head of its seen-window: what every frame of the flow
/// updates, in one cache line of its own (with 1000 flows the per-flow state no longer fits
/// the first-level cache: each frame's look-ups are counted in cache lines).
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
struct FlowState {
    counts: FlowCounts,
    /// The window's highest seq seen + 1 (0: none yet).
    next: u64,
    lat_samples: u64,
}

/// The seen-windows of all flows side by side in one buffer, each `words` u64 long at a stride
/// that keeps a window inside as few cache lines as it can (64-byte aligned from `base`).
#[derive(Debug)]
struct Windows {
    bits: Vec<u64>,
    base: usize,
    stride: usize,
    words: usize,
    mask: u64,
}

impl Windows {
    /// `flows` windows of `bits` bits each (a power of two, at least 64).
    fn new(flows: usize, bits: u64) -> Self {
        let words = (bits / 64) as usize;
        // Windows under a line share lines (1, 2 or 4 words: none straddles); larger ones
        // start on a line of their own.
        let stride = if words >= 8 {
            words.div_ceil(8) * 8
        } else {
            words
        };
        let buf = vec![0u64; flows * stride + 8];
        // Words to skip so that window 0 starts on a 64-byte boundary.
        let base = ((64 - (buf.as_ptr() as usize & 63)) & 63) / 8;
        Windows {
            bits: buf,
            base,
            stride,
            words,
            mask: bits - 1,
        }
    }

    #[inline]
    fn mark(&mut self, flow: usize, next: &mut u64, s: u64) -> Seen {
        let at = self.base + flow * self.stride;
        mark_bits(&mut self.bits[at..at + self.words], self.mask, next, s)
    }
}

/// Verifies the frames of a [`FlowSet`] sent by [`Layout`]'s threads.
#[derive(Debug)]
pub struct FlowChecker {
    set: Arc<FlowSet>,
    layout: Layout,
    /// Per thread: how far it has stamped (its frames beyond are unexpected).
    limits: Vec<Arc<AtomicU64>>,
    cached: Vec<u64>,
    state: Vec<FlowState>,
    windows: Windows,
    /// Every flow's latency buckets ([`FlowLat`]'s), flow after flow.
    lat: Vec<u32>,
    /// Intact frames per size (indices of [`FlowSet::sizes`]).
    per_size: Vec<u64>,
    counts: Counts,
}

impl FlowChecker {
    /// `window` seen-seq bits in all, shared out between the flows (at least 64 each).
    pub fn new(
        set: Arc<FlowSet>,
        layout: Layout,
        limits: Vec<Arc<AtomicU64>>,
        window: u64,
    ) -> Self {
        let n = set.flows() as usize;
        let per_flow = (window / n as u64).max(64).next_power_of_two();
        FlowChecker {
            cached: limits.iter().map(|l| l.load(Ordering::Acquire)).collect(),
            limits,
            state: vec![FlowState::default(); n],
            windows: Windows::new(n, per_flow),
            lat: vec![0; n * LAT_BUCKETS],
            per_size: vec![0; set.sizes().len()],
            set,
            layout,
            counts: Counts::default(),
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Each flow's counts, flow 0 first.
    pub fn flow_counts(&self) -> Vec<FlowCounts> {
        self.state.iter().map(|s| s.counts).collect()
    }

    /// The `q` quantile (0..=1) of `flow`'s latency in ns, within 6.25 % (see [`FlowLat`]);
    /// None without samples.
    pub fn flow_quantile_ns(&self, flow: u32, q: f64) -> Option<u64> {
        let f = flow as usize;
        let b = self.lat.get(f * LAT_BUCKETS..(f + 1) * LAT_BUCKETS)?;
        FlowLat::quantile_in(b, self.state[f].lat_samples, q)
    }

    /// Intact frames per size.
    pub fn per_size(&self) -> &[u64] {
        &self.per_size
    }

    /// Record the latency `d` ns of a first intact frame of `flow`.
    #[inline]
    pub fn record_latency(&mut self, flow: u32, d: u64) {
        let f = flow as usize;
        if let Some(st) = self.state.get_mut(f) {
            st.lat_samples += 1;
            let b = &mut self.lat[f * LAT_BUCKETS + FlowLat::index(d)];
            *b = b.saturating_add(1);
        }
    }

    /// Classify one frame; with its stamp, the flow and its thread's frame number
    /// ([`Layout::thread_frame`]) when the frame is ours.
    #[inline]
    pub fn check(&mut self, frame: &[u8]) -> (Class, Option<(Stamp, u32, usize, u64)>) {
        self.counts.received += 1;
        let st = match stamp::parse(frame, self.set.stamp_off()) {
            Some(s) if s.stream_id == self.set.stream_id() => s,
            _ => {
                self.counts.unexpected += 1;
                return (Class::Unexpected, None);
            }
        };
        let (flow, fseq) = split_seq(st.seq);
        if flow >= self.set.flows() as u64 {
            self.counts.unexpected += 1;
            return (Class::Unexpected, None);
        }
        let flow = flow as u32;
        let (thread, g) = self.layout.thread_frame(flow, fseq);
        let si = self.set.size_index(flow, fseq);
        let t = self.set.template_at(flow, si);
        if !matches(t, frame, &st) {
            self.counts.corrupted += 1;
            self.state[flow as usize].counts.corrupted += 1;
            return (Class::Corrupted, Some((st, flow, thread, g)));
        }
        if g >= self.cached[thread] {
            self.cached[thread] = self.limits[thread].load(Ordering::Acquire);
            if g >= self.cached[thread] {
                self.counts.unexpected += 1;
                return (Class::Unexpected, None);
            }
        }
        let fs = &mut self.state[flow as usize];
        let class = match self.windows.mark(flow as usize, &mut fs.next, fseq) {
            Seen::Again => {
                self.counts.duplicated += 1;
                fs.counts.duplicated += 1;
                Class::Duplicated
            }
            Seen::New { reordered } => {
                self.counts.intact += 1;
                fs.counts.intact += 1;
                self.per_size[si] += 1;
                if reordered {
                    self.counts.reordered += 1;
                    fs.counts.reordered += 1;
                    Class::Reordered
                } else {
                    Class::Intact
                }
            }
        };
        (class, Some((st, flow, thread, g)))
    }
}

/// `frame` is `t` stamped with `st`: every byte outside seq/tx_ns and the checksum equal, and
/// the checksum the one the stamp gives.
#[inline]
fn matches(t: &StampedTemplate, frame: &[u8], st: &Stamp) -> bool {
    let tb = t.bytes();
    if frame.len() != tb.len() {
        return false;
    }
    let so = t.stamp_off();
    let len = tb.len();
    let segs = match t.csum_off() {
        Some(c) if c + 2 <= so => [(0, c), (c + 2, so + 8), (so + STAMP_LEN, len)],
        _ => [(0, so + 8), (so + STAMP_LEN, len), (len, len)],
    };
    let mut ok = true;
    for (a, b) in segs {
        ok &= frame[a..b] == tb[a..b];
    }
    if let (Some(c), Some(v)) = (t.csum_off(), t.expected_csum(st.seq, st.tx_ns)) {
        ok &= frame[c..c + 2] == v.to_be_bytes();
    }
    ok
}
