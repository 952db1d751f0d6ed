//! Conversations and endpoints (tshark's `-z conv,TYPE` and `-z endpoints,TYPE`): one table
//! keyed by the address (and port) pair, A being the source of the first frame seen; tshark's
//! order (most frames first, ties in the order first seen) and its column layout.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::format_size;
use crate::frame::view::{LayerKind, Layout};
use crate::frame::wire::ip::protocol;
use crate::frame::wire::{at, ipv4, ipv6, udp, Value};

/// Which layer a table keys on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKind {
    Ip,
    Ipv6,
    Tcp,
    Udp,
}

impl ConvKind {
    fn title(self) -> &'static str {
        match self {
            ConvKind::Ip => "IPv4",
            ConvKind::Ipv6 => "IPv6",
            ConvKind::Tcp => "TCP",
            ConvKind::Udp => "UDP",
        }
    }

    fn ports(self) -> bool {
        matches!(self, ConvKind::Tcp | ConvKind::Udp)
    }
}

/// An address and port (port 0 for the IP tables).
type End = (IpAddr, u16);

#[derive(Debug, Clone)]
struct Conv {
    a: End,
    b: End,
    /// A → B.
    tx_frames: u64,
    tx_bytes: u64,
    /// B → A.
    rx_frames: u64,
    rx_bytes: u64,
    start_ns: u64,
    last_ns: u64,
}

#[derive(Debug, Clone)]
struct Endpoint {
    end: End,
    tx_frames: u64,
    tx_bytes: u64,
    rx_frames: u64,
    rx_bytes: u64,
}

/// A conversation table and the endpoints it implies.
#[derive(Debug)]
pub struct Conversations {
    kind: ConvKind,
    convs: Vec<Conv>,
    by_pair: HashMap<(End, End), usize>,
    ends: Vec<Endpoint>,
    by_end: HashMap<End, usize>,
}

fn ip_at(frame: &[u8], at: usize, v6: bool) -> Option<IpAddr> {
    if v6 {
        let b: [u8; 16] = frame.get(at..at + 16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(b)))
    } else {
        let b: [u8; 4] = frame.get(at..at + 4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(b)))
    }
}

/// The destination an IPv6 routing header names as final, when segments are left (tshark's
/// conversations key on it, not on the header's next hop).
fn final_dst(frame: &[u8], o: usize) -> Option<IpAddr> {
    use ipv6::field as F;
    let byte = |r: std::ops::Range<usize>| frame.get(r).map(u8::get);
    let mut next = byte(at(o, F::NXT_HDR))?;
    let mut p = o + ipv6::HEADER_LEN;
    for _ in 0..8 {
        match next {
            protocol::HOPOPT | protocol::IPV6_OPTS => {
                next = byte(at(p, F::EXT_NXT_HDR))?;
                p += 8 * (usize::from(byte(at(p, F::EXT_LEN))?) + 1);
            }
            protocol::IPV6_ROUTE => {
                let (len, kind, left) = (
                    usize::from(byte(at(p, F::EXT_LEN))?),
                    byte(at(p, F::ROUTE_TYPE))?,
                    byte(at(p, F::ROUTE_SEGLEFT))?,
                );
                let n = len / 2;
                if left == 0 || n == 0 {
                    return None;
                }
                // The addresses follow the reserved word (type 0 and 2: the final one last;
                // type 4, a segment routing header: the final one first).
                let addrs = p + F::ROUTE_RESERVED.end;
                return match kind {
                    0 | 2 => ip_at(frame, addrs + 16 * (n - 1), true),
                    4 => ip_at(frame, addrs, true),
                    _ => None,
                };
            }
            _ => return None,
        }
    }
    None
}

impl Conversations {
    pub fn new(kind: ConvKind) -> Conversations {
        Conversations {
            kind,
            convs: Vec::new(),
            by_pair: HashMap::new(),
            ends: Vec::new(),
            by_end: HashMap::new(),
        }
    }

    /// Count every layer of `frame` this table keys on.
    pub(super) fn add(&mut self, frame: &[u8], lay: &Layout, len: u32, rel_ns: u64) {
        let mut ip: Option<(IpAddr, IpAddr)> = None;
        let layers = lay.layers();
        for (i, h) in layers.iter().enumerate() {
            let pair = match h.proto {
                LayerKind::Quoted => break,
                LayerKind::Ipv4 | LayerKind::Ipv6 => {
                    let v6 = h.proto == LayerKind::Ipv6;
                    let (s, d) = if v6 {
                        (ipv6::field::SRC_ADDR.start, ipv6::field::DST_ADDR.start)
                    } else {
                        (ipv4::field::SRC_ADDR.start, ipv4::field::DST_ADDR.start)
                    };
                    ip = ip_at(frame, h.start + s, v6).zip(ip_at(frame, h.start + d, v6));
                    let next = layers.get(i + 1).map(|l| l.proto);
                    let pair = match (self.kind, ip) {
                        (ConvKind::Ip, Some((s, d))) if !v6 => Some(((s, 0), (d, 0))),
                        // tshark leaves an IPv6 fragment after the first out of the table.
                        (ConvKind::Ipv6, Some((s, d)))
                            if v6 && next != Some(LayerKind::Fragment) =>
                        {
                            Some(((s, 0), (d, 0)))
                        }
                        _ => None,
                    };
                    // The transport tables key on the final destination of a routing header.
                    if let (true, Some((src, _)), Some(fin)) = (v6, ip, final_dst(frame, h.start)) {
                        ip = Some((src, fin));
                    }
                    match pair {
                        Some(p) => p,
                        None => continue,
                    }
                }
                LayerKind::Tcp | LayerKind::Udp => {
                    let want = if h.proto == LayerKind::Tcp {
                        ConvKind::Tcp
                    } else {
                        ConvKind::Udp
                    };
                    // TCP's ports sit where UDP's do.
                    let port = |f| frame.get(at(h.start, f)).map(u16::get);
                    match (ip, port(udp::field::SRC_PORT), port(udp::field::DST_PORT)) {
                        (Some((s, d)), Some(sp), Some(dp)) if self.kind == want => {
                            ((s, sp), (d, dp))
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            self.count(pair.0, pair.1, u64::from(len), rel_ns);
        }
    }

    fn count(&mut self, src: End, dst: End, len: u64, rel_ns: u64) {
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let n = self.convs.len();
        let k = *self.by_pair.entry(key).or_insert(n);
        if k == n {
            self.convs.push(Conv {
                a: src,
                b: dst,
                tx_frames: 0,
                tx_bytes: 0,
                rx_frames: 0,
                rx_bytes: 0,
                start_ns: rel_ns,
                last_ns: rel_ns,
            });
        }
        let c = &mut self.convs[k];
        if c.a == src {
            c.tx_frames += 1;
            c.tx_bytes += len;
        } else {
            c.rx_frames += 1;
            c.rx_bytes += len;
        }
        c.start_ns = c.start_ns.min(rel_ns);
        c.last_ns = c.last_ns.max(rel_ns);
        for (end, tx) in [(src, true), (dst, false)] {
            let n = self.ends.len();
            let k = *self.by_end.entry(end).or_insert(n);
            if k == n {
                self.ends.push(Endpoint {
                    end,
                    tx_frames: 0,
                    tx_bytes: 0,
                    rx_frames: 0,
                    rx_bytes: 0,
                });
            }
            let e = &mut self.ends[k];
            if tx {
                e.tx_frames += 1;
                e.tx_bytes += len;
            } else {
                e.rx_frames += 1;
                e.rx_bytes += len;
            }
        }
    }

    /// Indices by total frames, most first; ties keep the order first seen (a stable sort).
    fn order<T>(items: &[T], frames: impl Fn(&T) -> u64) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..items.len()).collect();
        idx.sort_by_key(|&i| std::cmp::Reverse(frames(&items[i])));
        idx
    }

    fn end_str(&self, e: End) -> String {
        if self.kind.ports() {
            format!("{}:{}", e.0, e.1)
        } else {
            e.0.to_string()
        }
    }

    /// tshark's `-z conv,TYPE` table.
    pub fn write_conversations(&self, out: &mut String) {
        let (w, lead) = if self.kind.ports() {
            (26, 59)
        } else {
            (20, 47)
        };
        let rule = "=".repeat(80);
        let pad = " ".repeat(lead);
        let _ = writeln!(
            out,
            "{rule}\n{} Conversations\nFilter:<No Filter>",
            self.kind.title()
        );
        let _ = writeln!(
            out,
            "{pad}|       <-      | |       ->      | |     Total     |    Relative    |   Duration   |"
        );
        let _ = writeln!(
            out,
            "{pad}| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |"
        );
        let mut bytes = String::new();
        for i in Self::order(&self.convs, |c| c.tx_frames + c.rx_frames) {
            let c = &self.convs[i];
            let _ = write!(
                out,
                "{:<w$} <-> {:<w$}",
                self.end_str(c.a),
                self.end_str(c.b)
            );
            for (frames, n) in [
                (c.rx_frames, c.rx_bytes),
                (c.tx_frames, c.tx_bytes),
                (c.rx_frames + c.tx_frames, c.rx_bytes + c.tx_bytes),
            ] {
                bytes.clear();
                format_size(&mut bytes, n);
                let _ = write!(out, "  {frames:>6} {bytes:<9}");
            }
            let secs = |ns: u64| ns as f64 / 1e9;
            let _ = writeln!(
                out,
                "  {:>14.9}   {:>12.4}",
                secs(c.start_ns),
                secs(c.last_ns - c.start_ns)
            );
        }
        let _ = writeln!(out, "{rule}");
    }

    /// tshark's `-z endpoints,TYPE` table.
    pub fn write_endpoints(&self, out: &mut String) {
        let rule = "=".repeat(80);
        let _ = writeln!(
            out,
            "{rule}\n{} Endpoints\nFilter:<No Filter>",
            self.kind.title()
        );
        let port_head = if self.kind.ports() { "Port  ||  " } else { "" };
        let _ = writeln!(
            out,
            "                       |  {port_head}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |"
        );
        for i in Self::order(&self.ends, |e| e.tx_frames + e.rx_frames) {
            let e = &self.ends[i];
            let _ = write!(out, "{:<20}      ", e.end.0.to_string());
            if self.kind.ports() {
                let _ = write!(out, "{:>5}     ", e.end.1);
            }
            let _ = writeln!(
                out,
                "{:>6}     {:>9}     {:>6}       {:>9}      {:>6}       {:>9}   ",
                e.tx_frames + e.rx_frames,
                e.tx_bytes + e.rx_bytes,
                e.tx_frames,
                e.tx_bytes,
                e.rx_frames,
                e.rx_bytes
            );
        }
        let _ = writeln!(out, "{rule}");
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            ConvKind::Ip => "ip",
            ConvKind::Ipv6 => "ipv6",
            ConvKind::Tcp => "tcp",
            ConvKind::Udp => "udp",
        }
    }

    fn end_json(&self, e: End) -> serde_json::Value {
        if self.kind.ports() {
            serde_json::json!({"address": e.0.to_string(), "port": e.1})
        } else {
            serde_json::json!({"address": e.0.to_string()})
        }
    }

    pub(super) fn conversations_json(&self) -> serde_json::Value {
        let rows: Vec<_> = Self::order(&self.convs, |c| c.tx_frames + c.rx_frames)
            .into_iter()
            .map(|i| {
                let c = &self.convs[i];
                serde_json::json!({
                    "a": self.end_json(c.a), "b": self.end_json(c.b),
                    "a_to_b_frames": c.tx_frames, "a_to_b_bytes": c.tx_bytes,
                    "b_to_a_frames": c.rx_frames, "b_to_a_bytes": c.rx_bytes,
                    "frames": c.tx_frames + c.rx_frames, "bytes": c.tx_bytes + c.rx_bytes,
                    "rel_start_s": c.start_ns as f64 / 1e9,
                    "duration_s": (c.last_ns - c.start_ns) as f64 / 1e9,
                })
            })
            .collect();
        serde_json::json!({"stat": format!("conv,{}", self.kind_name()), "conversations": rows})
    }

    pub(super) fn endpoints_json(&self) -> serde_json::Value {
        let rows: Vec<_> = Self::order(&self.ends, |e| e.tx_frames + e.rx_frames)
            .into_iter()
            .map(|i| {
                let e = &self.ends[i];
                let mut v = self.end_json(e.end);
                v["packets"] = (e.tx_frames + e.rx_frames).into();
                v["bytes"] = (e.tx_bytes + e.rx_bytes).into();
                v["tx_packets"] = e.tx_frames.into();
                v["tx_bytes"] = e.tx_bytes.into();
                v["rx_packets"] = e.rx_frames.into();
                v["rx_bytes"] = e.rx_bytes.into();
                v
            })
            .collect();
        serde_json::json!({"stat": format!("endpoints,{}", self.kind_name()), "endpoints": rows})
    }
}
