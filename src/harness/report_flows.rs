//! The per-flow, per-size and per-thread parts of a [`Report`](super::Report) (multi-flow
//! streams, `--threads`): the rows, and the summary a report prints (flows with loss, with
//! reordering, the worst flow's loss and p99 latency).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One flow of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowResult {
    pub flow: u32,
    /// The flow's IPv4 addresses and ports (null when the frame has none).
    pub src_ip: Option<String>,
    pub dst_ip: Option<String>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// The sender thread that sent it.
    pub thread: usize,
    pub sent: u64,
    pub intact: u64,
    /// `sent - intact - corrupted`.
    pub lost: u64,
    pub reordered: u64,
    pub duplicated: u64,
    pub corrupted: u64,
    /// 99th percentile of this flow's latency (within 6.25 %); null without sample.
    pub p99_us: Option<f64>,
}

/// One frame size of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SizeResult {
    pub len: usize,
    pub weight: u32,
    /// Intact frames of this length.
    pub intact: u64,
}

/// One sender thread of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThreadResult {
    pub thread: usize,
    /// Flows it sends.
    pub flows: u64,
    pub sent: u64,
    pub duration_s: f64,
    /// `sent / duration_s`.
    pub tx_pps: f64,
}

/// The flow that lost the most.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorstLoss {
    pub flow: u32,
    pub lost: u64,
    pub sent: u64,
}

/// The flow with the highest p99 latency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorstP99 {
    pub flow: u32,
    pub p99_us: f64,
}

/// The summary over `flows`.
pub(crate) fn summary(flows: &[FlowResult]) -> (u64, u64, Option<WorstLoss>, Option<WorstP99>) {
    let with_loss = flows.iter().filter(|f| f.lost > 0).count() as u64;
    let with_reorder = flows.iter().filter(|f| f.reordered > 0).count() as u64;
    let worst_loss = flows
        .iter()
        .filter(|f| f.lost > 0)
        .max_by_key(|f| (f.lost, std::cmp::Reverse(f.flow)))
        .map(|f| WorstLoss {
            flow: f.flow,
            lost: f.lost,
            sent: f.sent,
        });
    let worst_p99 = flows
        .iter()
        .filter_map(|f| f.p99_us.map(|p| (f.flow, p)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(flow, p99_us)| WorstP99 { flow, p99_us });
    (with_loss, with_reorder, worst_loss, worst_p99)
}

/// The lines a table report adds for flows, sizes and threads (nothing for one flow of one
/// size sent by one thread).
pub(crate) fn write_table(f: &mut fmt::Formatter<'_>, r: &super::Report) -> fmt::Result {
    if r.flow_count > 1 {
        writeln!(
            f,
            "  {:<14} {:>12} ({} with loss, {} with reordering)",
            "flows", r.flow_count, r.flows_with_loss, r.flows_with_reordering
        )?;
        if let Some(w) = r.worst_loss {
            writeln!(
                f,
                "  {:<14} flow {} lost {} of {}",
                "worst loss", w.flow, w.lost, w.sent
            )?;
        }
        if let Some(w) = r.worst_p99 {
            writeln!(
                f,
                "  {:<14} flow {} p99 {:.1} µs",
                "worst latency", w.flow, w.p99_us
            )?;
        }
    }
    if r.sizes.len() > 1 {
        let list: Vec<String> = r
            .sizes
            .iter()
            .map(|s| format!("{} × {} B", s.intact, s.len))
            .collect();
        writeln!(f, "  {:<14} {}", "sizes intact", list.join(", "))?;
    }
    if r.threads.len() > 1 {
        for t in &r.threads {
            writeln!(
                f,
                "  {:<14} {:>12.0} sent/s ({} frames, {} flows)",
                format!("thread {}", t.thread),
                t.tx_pps,
                t.sent,
                t.flows
            )?;
        }
    }
    Ok(())
}
