//! Statistics over a capture, as tshark's `-z` prints them: conversations (`conv,ip`,
//! `conv,ipv6`, `conv,tcp`, `conv,udp`), endpoints (`endpoints,ip`...) and the protocol
//! hierarchy (`io,phs`) and frames and bytes per interval (`io,stat,INTERVAL[,FILTER]...`), with
//! tshark 4.0's layout, or as JSON.
//!
//! Every statistic reads the one packet view ([`crate::frame::view::layout`]): each IP layer of a
//! frame counts (a tunnel's inner packet too, as tshark's taps see every layer), the packet an
//! ICMP error quotes does not. [`Stats::add`] allocates nothing once a conversation or endpoint
//! has been seen.
//!
//! Where it differs from tshark: no reassembly (tshark counts a fragmented UDP datagram's ports on
//! the frame that completes it, vethbench on the first fragment), no name resolution (tshark
//! prints addresses as numbers too, but resolves well-known ports in `conv,tcp`/`conv,udp`
//! only when asked), and the protocol hierarchy names only the protocols the packet view decodes.

mod conv;
mod io;
mod phs;

use std::fmt::Write as _;

pub use conv::{ConvKind, Conversations};
pub use io::IoStat;
pub use phs::Hierarchy;

/// A `-z` argument that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("invalid -z argument '{arg}': {why}")]
pub struct StatError {
    pub arg: String,
    pub why: String,
}

/// One statistic asked for.
#[derive(Debug)]
pub enum Stat {
    Conv(Conversations),
    Endpoints(Conversations),
    Phs(Hierarchy),
    Io(IoStat),
}

impl Stat {
    /// Parse a `-z` argument: `conv,ip`, `endpoints,tcp`, `io,phs`, `io,stat,1,udp`.
    pub fn parse(arg: &str) -> Result<Stat, StatError> {
        let err = |why: &str| StatError {
            arg: arg.to_string(),
            why: why.to_string(),
        };
        let parts: Vec<&str> = arg.split(',').collect();
        let kind = |k: Option<&&str>| match k.copied() {
            Some("ip") => Ok(ConvKind::Ip),
            Some("ipv6") => Ok(ConvKind::Ipv6),
            Some("tcp") => Ok(ConvKind::Tcp),
            Some("udp") => Ok(ConvKind::Udp),
            Some(other) => Err(err(&format!(
                "'{other}' is not a table vethbench keeps (ip, ipv6, tcp, udp)"
            ))),
            None => Err(err("name the table: ip, ipv6, tcp or udp")),
        };
        match parts[0] {
            "conv" | "endpoints" if parts.len() > 2 => Err(err(
                "display filters in -z are not supported (filter with -Y)",
            )),
            "conv" => Ok(Stat::Conv(Conversations::new(kind(parts.get(1))?))),
            "endpoints" => Ok(Stat::Endpoints(Conversations::new(kind(parts.get(1))?))),
            "io" if parts.get(1) == Some(&"stat") => Ok(Stat::Io(IoStat::parse(arg)?)),
            "io" if parts.get(1) == Some(&"phs") && parts.len() == 2 => {
                Ok(Stat::Phs(Hierarchy::default()))
            }
            _ => Err(err(
                "known: conv,ip|ipv6|tcp|udp, endpoints,ip|ipv6|tcp|udp, io,phs, io,stat,INTERVAL[,FILTER]...",
            )),
        }
    }
}

/// The statistics of one read, fed frame by frame.
#[derive(Debug, Default)]
pub struct Stats {
    stats: Vec<Stat>,
    first_ts_ns: Option<u64>,
    /// Frames counted so far (a filter column's `frame.number`).
    frames: u64,
}

impl Stats {
    pub fn new(stats: Vec<Stat>) -> Stats {
        Stats {
            stats,
            first_ts_ns: None,
            frames: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stats.is_empty()
    }

    /// Count one Ethernet frame (`wire_len`: its length on the wire, tshark's frame.len).
    pub fn add(&mut self, frame: &[u8], wire_len: u32, ts_ns: u64) {
        let t0 = *self.first_ts_ns.get_or_insert(ts_ns);
        let rel = ts_ns.saturating_sub(t0);
        self.frames += 1;
        let meta = crate::frame::filter::FrameMeta {
            number: self.frames,
            ts_ns,
            t0_ns: t0,
            wire_len,
            ..Default::default()
        };
        let lay = crate::frame::view::layout(frame);
        for s in &mut self.stats {
            match s {
                Stat::Conv(c) | Stat::Endpoints(c) => c.add(frame, &lay, wire_len, rel),
                Stat::Phs(h) => h.add(&lay, wire_len),
                Stat::Io(io) => io.add(frame, wire_len, rel, &meta),
            }
        }
    }

    /// Every statistic in tshark's layout, in tshark's order (the last `-z` first).
    pub fn write_text(&self, out: &mut String) {
        for s in self.stats.iter().rev() {
            match s {
                Stat::Conv(c) => c.write_conversations(out),
                Stat::Endpoints(c) => c.write_endpoints(out),
                Stat::Phs(h) => h.write_text(out),
                Stat::Io(io) => io.write_text(out),
            }
        }
    }

    /// Every statistic as one JSON array, in the order asked.
    pub fn json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.stats
                .iter()
                .map(|s| match s {
                    Stat::Conv(c) => c.conversations_json(),
                    Stat::Endpoints(c) => c.endpoints_json(),
                    Stat::Phs(h) => h.json(),
                    Stat::Io(io) => io.json(),
                })
                .collect(),
        )
    }
}

/// tshark's byte counts in tables: `N bytes` below 10,000, then kB, MB, GB (SI, rounded down).
pub(crate) fn format_size(out: &mut String, n: u64) {
    let mut v = n;
    for unit in ["bytes", "kB", "MB", "GB", "TB"] {
        if v < 10_000 {
            let _ = write!(out, "{v} {unit}");
            return;
        }
        v /= 1000;
    }
    let _ = write!(out, "{v} PB");
}

#[cfg(test)]
mod tests;
