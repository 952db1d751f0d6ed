//! Multi-flow streams: what varies from one flow to the next (source port, addresses, ports
//! over ranges, in the spirit of TRex's field engine), the frame sizes (a list, weights or
//! IMIX), and the templates built once per flow × size.
//!
//! - [`FlowsConfig`]: `flows` (N flows; None: the product of the ranges), `vary` (the fields
//!   and their ranges), `sizes` (lengths with weights). [`FlowsConfig::parse_vary`] and
//!   [`FlowsConfig::parse_sizes`] read the `--vary` and `--size` syntax.
//! - [`FlowSet`]: the templates, `flows × sizes` frames patched from the base frame of each
//!   size (checksums updated incrementally, [`crate::frame::patch_field`]) and stamped; and
//!   which frame a flow sends next. Built before the run: the hot path only copies one.
//! - [`Layout`]: which sender thread sends which flow, and the per-thread frame numbers.
//!
//! Flow `i` takes, for each varied field in the order given, `first + r % count` where `r` is
//! what the earlier fields left of `i` (mixed radix, the first field fastest): the first
//! `product` flows are all distinct; beyond, the tuples repeat (the stamp still tells the
//! flows apart). `--flows N` alone varies the UDP source port: 49152 + i (1024 + i past
//! 16384 flows).
//!
//! The stamp's 64-bit seq carries the flow: `flow << 40 | seq within the flow` (a one-flow
//! run's seqs are unchanged). Each flow's frames cycle through the size pattern (a weighted
//! round robin, e.g. IMIX's 7:4:1 in 12 frames), starting at a different place per flow.

mod check;
mod parse;

pub use check::{FlowChecker, FlowCounts, FlowLat};

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::stamp::StampedTemplate;
use super::HarnessError;
use crate::frame::view::{self, L4};
use crate::frame::wire::{self, ipv4, udp};

/// Bits of the stamp's seq that number frames within a flow; the flow id sits above.
pub const FLOW_SHIFT: u32 = 40;
/// Largest number of flows in one run (templates and per-flow state are kept for each).
pub const MAX_FLOWS: u32 = 1 << 16;
/// Largest total of template bytes (flows × sizes × length).
pub const MAX_TEMPLATE_BYTES: usize = 512 << 20;
/// TRex's IMIX, lengths without FCS and weights: 7 × 64, 4 × 570, 1 × 1514; except that the
/// 64 is raised to 66, the smallest frame with room for the 24-byte stamp after the
/// Ethernet, IPv4 and UDP headers.
pub const IMIX: [(usize, u32); 3] = [(super::plan::MIN_FRAME_LEN, 7), (570, 4), (1514, 1)];

/// A header field a flow varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    SrcIp,
    DstIp,
    Sport,
    Dport,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::SrcIp => "src-ip",
            Field::DstIp => "dst-ip",
            Field::Sport => "sport",
            Field::Dport => "dport",
        }
    }
}

/// `count` values from `first` (an IPv4 address as a u32, or a port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRange {
    pub field: Field,
    pub first: u32,
    pub count: u32,
}

/// What the flows of a run are (see the module doc). The default: one flow, one size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowsConfig {
    /// Number of flows; None: the product of the `vary` ranges (1 without any).
    pub flows: Option<u32>,
    pub vary: Vec<FieldRange>,
    /// Frame lengths (Ethernet header to end of payload, no FCS) and their weights; empty:
    /// the plan's `frame_len`.
    pub sizes: Vec<(usize, u32)>,
}

/// Why a flows configuration cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowsError {
    #[error("'{text}': {why}")]
    Syntax { text: String, why: String },
    #[error("{flows} flows: at most {MAX_FLOWS}")]
    TooManyFlows { flows: u64 },
    #[error("the flow count must be at least 1")]
    ZeroFlows,
    #[error("{threads} sender threads for {flows} flow(s): each flow is sent by one thread, so give at least as many flows as threads")]
    FewerFlowsThanThreads { threads: usize, flows: u32 },
    #[error(
        "{threads} sender threads: a latency or rtt run has one frame in flight, so one sender"
    )]
    ThreadsOneInFlight { threads: usize },
    #[error("frame sizes other than the frame's own need the default UDP frame")]
    SizesNeedDefaultFrame,
    #[error("cannot vary {field}: {why}")]
    CannotVary {
        field: &'static str,
        why: &'static str,
    },
    #[error("{bytes} bytes of templates (flows × sizes × length): at most {MAX_TEMPLATE_BYTES}")]
    TooMuchTemplate { bytes: usize },
}

impl FlowsConfig {
    /// One flow of one size (what `vethbench test` sent before flows existed).
    pub fn single() -> Self {
        Self::default()
    }

    /// `n` flows varying the UDP source port (see the module doc).
    pub fn with_flows(n: u32) -> Self {
        FlowsConfig {
            flows: Some(n),
            ..Self::default()
        }
    }

    /// The number of flows this configuration makes.
    pub fn flow_count(&self) -> Result<u32, FlowsError> {
        let n = match self.flows {
            Some(n) => n as u64,
            None => self.vary.iter().map(|r| r.count as u64).product::<u64>(),
        };
        match n {
            0 => Err(FlowsError::ZeroFlows),
            n if n > MAX_FLOWS as u64 => Err(FlowsError::TooManyFlows { flows: n }),
            n => Ok(n as u32),
        }
    }

    /// The ranges actually varied: `vary`, or for N > 1 flows without any, the source port.
    fn ranges(&self, flows: u32) -> Vec<FieldRange> {
        if !self.vary.is_empty() || flows <= 1 {
            return self.vary.clone();
        }
        let (first, count) = if flows <= 16384 {
            (49152, 16384)
        } else {
            (1024, 64512)
        };
        vec![FieldRange {
            field: Field::Sport,
            first,
            count,
        }]
    }

    /// The values flow `i` takes, one per range.
    fn values(ranges: &[FieldRange], i: u32) -> impl Iterator<Item = (Field, u32)> + '_ {
        let mut r = i as u64;
        ranges.iter().map(move |fr| {
            let v = fr.first as u64 + r % fr.count as u64;
            r /= fr.count as u64;
            (fr.field, v as u32)
        })
    }
}

/// The header fields of one flow, for the report (None: not IPv4 / not UDP or TCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowKey {
    pub src_ip: Option<Ipv4Addr>,
    pub dst_ip: Option<Ipv4Addr>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
}

/// Which sender thread sends which flow: flow `f` is thread `f % threads`'s `f / threads`-th;
/// thread `t` sends its flows round robin, frame `g` of the thread (0, 1, 2...) being flow
/// number `g % n_t` of the thread, seq `g / n_t` within that flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub threads: usize,
    pub flows: u32,
}

impl Layout {
    /// Flows thread `t` sends.
    #[inline]
    pub fn flows_of(&self, t: usize) -> u64 {
        if self.threads == 1 {
            return self.flows as u64;
        }
        let (n, k) = (self.flows as u64, self.threads as u64);
        (n + k - 1 - t as u64) / k
    }

    /// Flow and seq within the flow of thread `t`'s frame `g`.
    #[inline]
    pub fn frame(&self, t: usize, g: u64) -> (u32, u64) {
        let n_t = self.flows_of(t);
        let flow = (g % n_t) * self.threads as u64 + t as u64;
        (flow as u32, g / n_t)
    }

    /// The thread of `flow` and the thread's frame number of its seq `fseq`.
    #[inline]
    pub fn thread_frame(&self, flow: u32, fseq: u64) -> (usize, u64) {
        if self.threads == 1 {
            // No division per frame on the receiver's path.
            let n = self.flows as u64;
            return (0, fseq.saturating_mul(n).saturating_add(flow as u64));
        }
        let t = flow as usize % self.threads;
        let idx = (flow as usize / self.threads) as u64;
        (t, fseq.saturating_mul(self.flows_of(t)).saturating_add(idx))
    }

    /// Frames of `flow` among the first `sent` frames of its thread.
    pub fn sent_of(&self, flow: u32, sent_by_thread: u64) -> u64 {
        let t = flow as usize % self.threads;
        let n_t = self.flows_of(t);
        let idx = (flow as usize / self.threads) as u64;
        sent_by_thread / n_t + u64::from(idx < sent_by_thread % n_t)
    }
}

/// The templates of a run: `flows × sizes` stamped frames (see the module doc).
#[derive(Debug, Clone)]
pub struct FlowSet {
    templates: Vec<StampedTemplate>,
    sizes: Vec<usize>,
    /// Indices into `sizes`, in the order a flow sends them.
    pattern: Vec<u16>,
    weights: Vec<u32>,
    keys: Vec<FlowKey>,
    flows: u32,
}

impl FlowSet {
    /// Build the templates: `base(len)` is the base frame of each length (ignored lengths:
    /// none when `cfg.sizes` is empty, then `frame_len` only).
    pub fn build(
        cfg: &FlowsConfig,
        frame_len: usize,
        base: &dyn Fn(usize) -> Vec<u8>,
        stream_id: u32,
    ) -> Result<Self, HarnessError> {
        let flows = cfg.flow_count()?;
        let sizes_w: Vec<(usize, u32)> = if cfg.sizes.is_empty() {
            vec![(frame_len, 1)]
        } else {
            cfg.sizes.clone()
        };
        let sizes: Vec<usize> = sizes_w.iter().map(|s| s.0).collect();
        let bytes: usize = sizes.iter().sum::<usize>() * flows as usize;
        if bytes > MAX_TEMPLATE_BYTES {
            return Err(FlowsError::TooMuchTemplate { bytes }.into());
        }
        let ranges = cfg.ranges(flows);
        let bases: Vec<Vec<u8>> = sizes.iter().map(|&l| base(l)).collect();
        let mut templates = Vec::with_capacity(flows as usize * sizes.len());
        let mut keys = Vec::with_capacity(flows as usize);
        for f in 0..flows {
            for (si, b) in bases.iter().enumerate() {
                let mut frame = b.clone();
                let key = vary(&mut frame, &ranges, f)?;
                if si == 0 {
                    keys.push(key);
                }
                templates.push(StampedTemplate::new(frame, stream_id)?);
            }
        }
        Ok(FlowSet {
            templates,
            pattern: pattern(&sizes_w),
            weights: sizes_w.iter().map(|s| s.1).collect(),
            sizes,
            keys,
            flows,
        })
    }

    /// One flow of one frame: `template` itself.
    pub fn single(template: StampedTemplate) -> Self {
        let len = template.len();
        let key = key_of(template.bytes());
        FlowSet {
            templates: vec![template],
            sizes: vec![len],
            pattern: vec![0],
            weights: vec![1],
            keys: vec![key],
            flows: 1,
        }
    }

    pub fn flows(&self) -> u32 {
        self.flows
    }

    /// The distinct frame lengths, in the order given.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The weight of each size.
    pub fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// The size pattern each flow cycles through (indices into [`FlowSet::sizes`]).
    pub fn pattern(&self) -> &[u16] {
        &self.pattern
    }

    /// The header fields of `flow`.
    pub fn key(&self, flow: u32) -> FlowKey {
        self.keys[flow as usize]
    }

    /// Largest frame.
    pub fn max_len(&self) -> usize {
        self.sizes.iter().copied().max().unwrap_or(0)
    }

    /// Where the stamp sits (the same in every template).
    pub fn stamp_off(&self) -> usize {
        self.templates[0].stamp_off()
    }

    pub fn stream_id(&self) -> u32 {
        self.templates[0].stream_id()
    }

    /// The first template (flow 0, first size).
    pub fn first(&self) -> &StampedTemplate {
        &self.templates[0]
    }

    /// Index into `sizes` of `flow`'s frame `fseq`.
    #[inline]
    pub fn size_index(&self, flow: u32, fseq: u64) -> usize {
        if let [only] = self.pattern[..] {
            // One size (the common case): no division per frame.
            return only as usize;
        }
        let p = self.pattern.len() as u64;
        self.pattern[((fseq % p + flow as u64 % p) % p) as usize] as usize
    }

    /// The template of `flow`'s frame `fseq`.
    #[inline]
    pub fn template(&self, flow: u32, fseq: u64) -> &StampedTemplate {
        self.template_at(flow, self.size_index(flow, fseq))
    }

    /// The template of `flow` for size `si` (an index into [`FlowSet::sizes`]).
    #[inline]
    pub fn template_at(&self, flow: u32, si: usize) -> &StampedTemplate {
        &self.templates[flow as usize * self.sizes.len() + si]
    }

    /// True when every frame is a copy of one template.
    pub fn is_single(&self) -> bool {
        self.templates.len() == 1
    }
}

/// The stamp seq of `flow`'s frame `fseq`.
#[inline]
pub fn stamp_seq(flow: u32, fseq: u64) -> u64 {
    (flow as u64) << FLOW_SHIFT | (fseq & ((1 << FLOW_SHIFT) - 1))
}

/// `(flow, fseq)` of a stamp seq.
#[inline]
pub fn split_seq(seq: u64) -> (u64, u64) {
    (seq >> FLOW_SHIFT, seq & ((1 << FLOW_SHIFT) - 1))
}

/// A weighted round robin over the sizes (smooth: IMIX 7:4:1 interleaves as 64, 570, 64,
/// 64, 570, ... rather than seven 64s in a row). Weights are reduced by their gcd.
fn pattern(sizes: &[(usize, u32)]) -> Vec<u16> {
    let g = sizes.iter().fold(0u32, |g, s| gcd(g, s.1)).max(1);
    let w: Vec<i64> = sizes.iter().map(|s| (s.1 / g) as i64).collect();
    let total: i64 = w.iter().sum();
    let mut cur = vec![0i64; w.len()];
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (c, wi) in cur.iter_mut().zip(&w) {
            *c += wi;
        }
        let (best, _) = cur
            .iter()
            .enumerate()
            .max_by_key(|&(i, c)| (*c, std::cmp::Reverse(i)))
            .expect("at least one size");
        cur[best] -= total;
        out.push(best as u16);
    }
    out
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Patch flow `i`'s values into `frame` (checksums updated incrementally).
fn vary(frame: &mut [u8], ranges: &[FieldRange], i: u32) -> Result<FlowKey, FlowsError> {
    let lay = view::layout(frame);
    for (field, v) in FlowsConfig::values(ranges, i) {
        let l4 = lay.l4.filter(|(k, _)| matches!(k, L4::Udp | L4::Tcp));
        let udp = lay.l4.filter(|(k, _)| *k == L4::Udp).and(lay.l4_csum_off);
        let l4_csum: Vec<usize> = l4.and(lay.l4_csum_off).into_iter().collect();
        match field {
            Field::SrcIp | Field::DstIp => {
                let ip = match lay.l3_off {
                    Some(o) if !lay.ipv6 => o,
                    _ => {
                        return Err(FlowsError::CannotVary {
                            field: field.name(),
                            why: "not an IPv4 frame",
                        })
                    }
                };
                let at = wire::at(
                    ip,
                    if field == Field::SrcIp {
                        ipv4::field::SRC_ADDR
                    } else {
                        ipv4::field::DST_ADDR
                    },
                )
                .start;
                let mut cs = vec![wire::at(ip, ipv4::field::CHECKSUM).start];
                cs.extend(
                    lay.l4_csum_off
                        .filter(|_| lay.l4.is_some_and(|(k, _)| k != L4::Icmpv4)),
                );
                crate::frame::patch_field(frame, at, &v.to_be_bytes(), &cs, udp);
            }
            Field::Sport | Field::Dport => {
                let Some((_, o)) = l4 else {
                    return Err(FlowsError::CannotVary {
                        field: field.name(),
                        why: "not a UDP or TCP frame",
                    });
                };
                // TCP's ports sit where UDP's do.
                let at = wire::at(
                    o,
                    if field == Field::Sport {
                        udp::field::SRC_PORT
                    } else {
                        udp::field::DST_PORT
                    },
                )
                .start;
                crate::frame::patch_field(frame, at, &(v as u16).to_be_bytes(), &l4_csum, udp);
            }
        }
    }
    Ok(key_of(frame))
}

/// The IPv4 addresses and ports of `frame`, where it has them.
fn key_of(frame: &[u8]) -> FlowKey {
    let lay = view::layout(frame);
    let mut k = FlowKey::default();
    // The view found these headers whole.
    if let (Some(o), false) = (lay.l3_off, lay.ipv6) {
        let ip = ipv4::Header::new_unchecked(&frame[o..]);
        k.src_ip = Some(ip.src());
        k.dst_ip = Some(ip.dst());
    }
    if let Some((L4::Udp | L4::Tcp, o)) = lay.l4 {
        // TCP's ports sit where UDP's do.
        let h = udp::Header::new_unchecked(&frame[o..]);
        k.sport = Some(h.src_port());
        k.dport = Some(h.dst_port());
    }
    k
}

#[cfg(test)]
mod tests;
