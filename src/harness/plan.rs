//! A checked `vethbench test` run: what to send, where, and how; and launching it.
//!
//! The default frame is Ether/IPv4/UDP from 02:00:00:00:00:01 198.18.0.1:49152 to
//! 02:00:00:00:00:02 198.18.0.2:9 (discard), padded with a byte pattern to `frame_len` bytes
//! (Ethernet header to end of payload, no FCS), with the stamp at the start of the UDP payload:
//! so `frame_len` is at least 14 + 20 + 8 + 24 = 66.
//!
//! [`launch`] opens the ends ([`open_ends`]: the private veth pair or the named interfaces, the
//! sockets, the pcapng tap, see [`super::ends`]), starts the reflector in rtt mode and the
//! stream.

use std::path::PathBuf;

use super::ends::{Ends, FrameSink, FrameSource, Tap};
use super::flows::{FlowSet, FlowsError};
use super::report::Report;
use super::stamp::{StampedTemplate, STAMP_LEN};
use super::stream::{self, Mode, Progress, Reflector, RunHandle, StreamConfig};
use super::{ConfigError, HarnessError};
use crate::frame::{FrameSpec, L4Spec, MacAddr};

/// Smallest default frame that carries the stamp: Ethernet + IPv4 + UDP + stamp.
pub const MIN_FRAME_LEN: usize = 14 + 20 + 8 + STAMP_LEN;
/// Largest frame: the largest veth MTU (65535) plus the Ethernet header.
pub const MAX_FRAME_LEN: usize = 65535 + 14;

/// Where the stream runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    /// A fresh veth pair across two private namespaces, removed by the kernel at exit.
    Private,
    /// Existing interfaces in the namespace `netns` (None: the caller's). Either end may be
    /// written `NS:IFACE` to put it in another namespace (a name, a path or `pid:PID`; see
    /// [`crate::link::netns::NetnsRef`]), so the two ends can be in different namespaces.
    Existing {
        tx: String,
        rx: String,
        netns: Option<String>,
    },
}

/// A checked run. Flows, sizes and sender threads are in `stream` ([`StreamConfig::flows`],
/// [`StreamConfig::threads`]): e.g. 1000 flows in IMIX sizes over two threads:
///
/// ```
/// use vethbench::harness::{FlowsConfig, StreamConfig, TestPlan, Topology};
///
/// let plan = TestPlan {
///     stream: StreamConfig {
///         count: Some(12_000),
///         flows: FlowsConfig {
///             flows: Some(1000),
///             vary: FlowsConfig::parse_vary("src-ip:198.18.0.0/24,sport:1024-65535").unwrap(),
///             sizes: FlowsConfig::parse_sizes("imix").unwrap(),
///         },
///         threads: 2,
///         ..StreamConfig::default()
///     },
///     frame_len: 128,
///     frame: None,
///     topology: Topology::Private,
///     pcapng: None,
///     stream_id: 1,
/// };
/// plan.check().unwrap();
/// assert_eq!(plan.flow_set().unwrap().flows(), 1000);
/// ```
#[derive(Debug, Clone)]
pub struct TestPlan {
    pub stream: StreamConfig,
    /// The frame size; with `stream.flows.sizes`, ignored but for the report's `frame_len`
    /// (set it to the first size).
    pub frame_len: usize,
    /// The frame to send copies of (`frame_len` bytes); None: [`default_frame`]. The stamp goes
    /// at the start of its transport payload, which must have room for it.
    pub frame: Option<Vec<u8>>,
    pub topology: Topology,
    /// Write every frame the receiving end(s) saw to this pcapng.
    pub pcapng: Option<PathBuf>,
    /// The stamp's stream id (tells concurrent runs on the same interfaces apart).
    pub stream_id: u32,
}

impl TestPlan {
    /// Reject values that cannot run, with the flag's meaning in the message.
    pub fn check(&self) -> Result<(), HarnessError> {
        self.stream.check()?;
        let sizes = &self.stream.flows.sizes;
        if !sizes.is_empty() && self.frame.is_some() {
            return Err(FlowsError::SizesNeedDefaultFrame.into());
        }
        for &(frame_len, _) in sizes {
            if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&frame_len) {
                return Err(ConfigError::FrameSize { frame_len }.into());
            }
        }
        if let Some(f) = &self.frame {
            if f.len() > MAX_FRAME_LEN {
                return Err(ConfigError::FrameTooLarge { len: f.len() }.into());
            }
            if f.len() != self.frame_len {
                return Err(ConfigError::FrameLenMismatch {
                    len: f.len(),
                    frame_len: self.frame_len,
                }
                .into());
            }
            // Room for the stamp, a header it would not overwrite.
            self.template()?;
        } else if !(MIN_FRAME_LEN..=MAX_FRAME_LEN).contains(&self.frame_len) {
            return Err(ConfigError::FrameSize {
                frame_len: self.frame_len,
            }
            .into());
        }
        if let Topology::Existing { tx, rx, netns } = &self.topology {
            for i in [tx, rx] {
                if crate::link::check_ifname(super::ends::split_end(i, netns.as_deref()).1).is_err()
                {
                    return Err(ConfigError::InterfaceName { name: i.clone() }.into());
                }
            }
            let same = super::ends::split_end(tx, netns.as_deref())
                == super::ends::split_end(rx, netns.as_deref());
            if self.stream.mode != Mode::Rtt && same {
                return Err(HarnessError::SameEnds { iface: tx.clone() });
            }
        }
        Ok(())
    }

    /// The largest frame of the run.
    pub fn max_frame_len(&self) -> usize {
        let sizes = &self.stream.flows.sizes;
        sizes.iter().map(|s| s.0).max().unwrap_or(self.frame_len)
    }

    /// The frames of this run: every flow × size, built once (the stamp slot in each).
    pub fn flow_set(&self) -> Result<FlowSet, HarnessError> {
        let flows = &self.stream.flows;
        if *flows == super::flows::FlowsConfig::default() {
            return Ok(FlowSet::single(self.template()?));
        }
        match &self.frame {
            Some(f) => FlowSet::build(flows, f.len(), &|_| f.clone(), self.stream_id),
            None => FlowSet::build(flows, self.frame_len, &default_frame, self.stream_id),
        }
    }

    /// The template frame of this run.
    pub fn template(&self) -> Result<StampedTemplate, HarnessError> {
        let frame = match &self.frame {
            Some(f) => f.clone(),
            None => default_frame(self.frame_len),
        };
        StampedTemplate::new(frame, self.stream_id)
    }
}

/// The default test frame of `frame_len` bytes (see the module doc); shorter lengths are
/// raised to the 42 bytes of headers. IPv4 with DF set and ID 0; the payload counts 0..=250.
pub fn default_frame(frame_len: usize) -> Vec<u8> {
    let payload_len = frame_len.saturating_sub(42);
    let spec = FrameSpec {
        src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
        dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
        vlan: None,
        src_ip: [198, 18, 0, 1].into(),
        dst_ip: [198, 18, 0, 2].into(),
        ttl: 64,
        ip_id: 0,
        tos: 0,
        dont_fragment: true,
        sport: 49152,
        dport: 9,
        l4: L4Spec::Udp,
        payload: (0..payload_len).map(|i| (i % 251) as u8).collect(),
        size: None,
    };
    // Fixed headers, and callers keep the length within MAX_FRAME_LEN (64 KiB of IP).
    spec.build().expect("the default UDP frame builds")
}

/// Open the ends `plan` asks for, every receive source ready before this returns.
///
/// - Private: a veth pair `vbtx`/`vbrx` across two fresh anonymous namespaces (MTU raised to fit
///   the frame), removed when the run ends, or by the kernel if the process dies.
/// - Existing: the interfaces by name, in the namespace `netns` or the caller's.
/// - rtt: the stream is received back on the sending interface; the reflector gets a ring and a
///   socket on the peer.
pub fn open_ends(plan: &TestPlan) -> Result<Ends, HarnessError> {
    open_all(plan).map(|(ends, _)| ends)
}

/// [`open_ends`], and the sinks of the sender threads after the first (`stream.threads`),
/// each its own socket on the sending interface.
pub fn open_all(plan: &TestPlan) -> Result<(Ends, Vec<Box<dyn FrameSink + Send>>), HarnessError> {
    match &plan.topology {
        Topology::Private => {
            let mtu = (plan.max_frame_len() - 14).max(1500) as u32;
            let pair = super::ends::private_pair("vbtx", "vbrx", Some(mtu))?;
            let mut pinned_napi = None;
            if plan.stream.mode == Mode::Throughput {
                // The peer's receive work on a NAPI thread, off the sending CPU. Best effort:
                // without it (a kernel before 5.12) the sender's CPU does both, slower but
                // correct. GRO merges none of the stream's frames: copies of one frame, no TCP
                // segment continues another, and no socket asked for UDP GRO.
                if let Ok(napi) = crate::link::offload::thread_rx(
                    pair.netns_a(),
                    "vbtx",
                    pair.netns_b(),
                    "vbrx",
                    true,
                ) {
                    if let Some(cpu) = napi_cpu(plan) {
                        if !napi.is_empty() && crate::sys::cpu::pin_threads(&napi, &[cpu]).is_ok() {
                            pinned_napi = Some(cpu);
                        }
                    }
                }
            }
            let (ends, extra) = open_in(plan, pair.netns_a(), "vbtx", pair.netns_b(), "vbrx")?;
            let ends = Ends {
                guard: Box::new(pair),
                napi_cpu: pinned_napi,
                ..ends
            };
            Ok((ends, extra))
        }
        Topology::Existing { tx, rx, netns } => {
            let (tx_ns, tx) = super::ends::split_end(tx, netns.as_deref());
            let (rx_ns, rx) = super::ends::split_end(rx, netns.as_deref());
            let ns = super::ends::open_netns(tx_ns)?;
            let ns_rx = super::ends::open_netns(rx_ns)?;
            // Say it up front, as `send` does, rather than as EMSGSIZE from sendmmsg.
            let policy = crate::link::policy::SendPolicy::HARNESS;
            crate::link::policy::check_sendable(&ns, tx, Some(plan.max_frame_len()), policy)
                .map_err(super::ends::not_sendable)?;
            let pinned = if plan.stream.mode == Mode::Throughput {
                pin_napi(plan, rx)
            } else {
                None
            };
            let (ends, extra) = open_in(plan, &ns, tx, &ns_rx, rx)?;
            let ends = Ends {
                napi_cpu: pinned
                    .as_ref()
                    .filter(|p| !p.is_empty())
                    .and(plan.stream.cpu_rx),
                guard: Box::new(pinned),
                ..ends
            };
            Ok((ends, extra))
        }
    }
}

/// With the receiver pinned (`--pin`, `--cpu TX,RX`), the receiving interface's NAPI threads
/// (if it has threaded NAPI) go on the receiver's CPU, away from the sender's, for the run:
/// the guard puts their CPUs back. Best effort: a thread left where it is only costs speed.
fn pin_napi(plan: &TestPlan, rx: &str) -> Option<crate::sys::cpu::PinnedThreads> {
    let cpu = plan.stream.cpu_rx?;
    let napi = crate::link::offload::napi_threads(rx);
    crate::sys::cpu::pin_threads_for_now(&napi, &[cpu]).ok()
}

/// The CPU for the private pair's NAPI thread: the receiver's when it is pinned; otherwise
/// the allowed CPU after the sender's (when pinned) or after the one this thread runs on. So
/// the thread that does the peer's receive work stays on one CPU and the scheduler moves our
/// own threads off it (measured: 0.66-0.88 M frames/s with it free, 0.80-0.90 M with it alone
/// pinned, 0.83-0.93 M with everything pinned); concurrent runs started on different CPUs
/// pick different ones. Pinning our own pair's kernel thread restricts nobody else. None with
/// a single CPU.
fn napi_cpu(plan: &TestPlan) -> Option<usize> {
    if let Some(cpu) = plan.stream.cpu_rx {
        return Some(cpu);
    }
    let cpus = crate::sys::cpu::allowed();
    if cpus.len() < 2 {
        return None;
    }
    // Away from the sender's CPU when it is pinned, from ours otherwise.
    let here = plan
        .stream
        .cpu_tx
        .unwrap_or_else(|| crate::sys::cpu::current().unwrap_or(cpus[0]));
    let i = cpus.iter().position(|&c| c == here).unwrap_or(0);
    Some(cpus[(i + 1) % cpus.len()])
}

/// The sockets, rings and tap of a run whose sender is `tx_name` in `ns_tx` and whose peer is
/// `rx_name` in `ns_rx`.
fn open_in(
    plan: &TestPlan,
    ns_tx: &crate::link::Netns,
    tx_name: &str,
    ns_rx: &crate::link::Netns,
    rx_name: &str,
) -> Result<(Ends, Vec<Box<dyn FrameSink + Send>>), HarnessError> {
    use super::ends;
    let max = plan.max_frame_len();
    let tx = ends::open_sink(ns_tx, tx_name, plan.stream.batch.max(1), max)?;
    let mut extra: Vec<Box<dyn FrameSink + Send>> = Vec::new();
    for _ in 1..plan.stream.threads {
        extra.push(Box::new(ends::open_sink(
            ns_tx,
            tx_name,
            plan.stream.batch.max(1),
            max,
        )?));
    }
    let rtt = plan.stream.mode == Mode::Rtt;
    // One frame in flight: a socket that wakes per frame; a stream: the ring.
    let busy = plan.stream.busy_poll;
    let open_rx = |ns: &crate::link::Netns,
                   iface: &str|
     -> Result<Box<dyn FrameSource + Send>, HarnessError> {
        Ok(if plan.stream.mode == Mode::Throughput {
            Box::new(ends::open_source(ns, iface, &ends::rx_config(false))?)
        } else {
            Box::new(ends::open_recv(ns, iface, max, busy)?)
        })
    };
    let (rx, reflect): (Box<dyn FrameSource + Send>, _) = if rtt {
        let back = open_rx(ns_tx, tx_name)?;
        let peer_rx = open_rx(ns_rx, rx_name)?;
        let peer_tx = ends::open_sink(ns_rx, rx_name, 1, max)?;
        let reflect: (Box<dyn FrameSource + Send>, Box<dyn FrameSink + Send>) =
            (peer_rx, Box::new(peer_tx));
        (back, Some(reflect))
    } else {
        (open_rx(ns_rx, rx_name)?, None)
    };
    let tap: Option<Box<dyn Tap + Send>> = match &plan.pcapng {
        Some(p) => {
            // The reception type of each frame comes from the kernel with the frame.
            let end = if rtt { tx_name } else { rx_name };
            Some(Box::new(ends::PcapngTap::create(
                &p.to_string_lossy(),
                &[end],
            )?))
        }
        None => None,
    };
    let ends = Ends {
        tx: Box::new(tx),
        rx,
        reflect,
        tap,
        guard: Box::new(()),
        napi_cpu: None,
    };
    Ok((ends, extra))
}

/// A launched run: the stream, the reflector (rtt) and the topology, dropped together.
#[derive(Debug)]
pub struct Running {
    handle: RunHandle,
    reflector: Option<Reflector>,
    reflector_name: Option<String>,
    cpus: super::report::Cpus,
    _guard: GuardBox,
}

struct GuardBox(#[allow(dead_code)] Box<dyn std::any::Any + Send>);

impl std::fmt::Debug for GuardBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("guard")
    }
}

impl Running {
    pub fn progress(&self) -> Progress {
        self.handle.progress()
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    pub fn stop(&self) {
        self.handle.stop()
    }

    /// Wait for the end of the run; the topology is removed afterwards.
    pub fn wait(self) -> Result<Report, HarnessError> {
        let mut report = self.handle.wait()?;
        if let Some(r) = self.reflector {
            r.finish()?;
        }
        report.reflector_iface = self.reflector_name;
        report.cpus = self.cpus;
        Ok(report)
    }
}

/// The plan with its automatic pinning resolved (see [`StreamConfig::auto_pin`]): in throughput
/// mode, the sender on the first allowed CPU, the receiver on the second, when there are two
/// and none was given.
pub fn resolve_pinning(plan: &TestPlan) -> TestPlan {
    let mut p = plan.clone();
    let s = &mut p.stream;
    // Only a stream gains: with one frame in flight, each hand-over between two pinned
    // threads becomes a cross-CPU wake-up (measured: 80 k -> 20 k frames/s in latency mode).
    if s.auto_pin && s.mode == Mode::Throughput && s.cpu_tx.is_none() && s.cpu_rx.is_none() {
        if let [a, b, ..] = crate::sys::cpu::allowed()[..] {
            s.cpu_tx = Some(a);
            s.cpu_rx = Some(b);
        }
    }
    p
}

/// Check `plan`, open its ends and start the run.
pub fn launch(plan: &TestPlan) -> Result<Running, HarnessError> {
    plan.check()?;
    let plan = &resolve_pinning(plan);
    let set = plan.flow_set()?;
    let (ends, extra) = open_all(plan)?;
    let reflector_name = ends.reflect.as_ref().map(|(src, _)| src.name().to_string());
    let reflector = match ends.reflect {
        Some((src, sink)) => Some(Reflector::start(
            src,
            sink,
            plan.stream.cpu_rx,
            plan.stream.busy_poll,
        )?),
        None => None,
    };
    let mut sinks = vec![ends.tx];
    sinks.extend(extra);
    let handle = stream::start_flows(plan.stream.clone(), set, sinks, ends.rx, ends.tap)?;
    Ok(Running {
        handle,
        reflector,
        reflector_name,
        cpus: super::report::Cpus {
            tx: plan.stream.cpu_tx,
            rx: plan.stream.cpu_rx,
            napi: ends.napi_cpu,
        },
        _guard: GuardBox(ends.guard),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> TestPlan {
        TestPlan {
            stream: StreamConfig::default(),
            frame_len: 128,
            frame: None,
            topology: Topology::Private,
            pcapng: None,
            stream_id: 1,
        }
    }

    #[test]
    fn a_given_frame_is_the_template() {
        let mut f = default_frame(200);
        f[100] ^= 0xff; // a payload byte: the template is this frame, not the default one
        let p = TestPlan {
            frame_len: 200,
            frame: Some(f.clone()),
            ..plan()
        };
        p.check().unwrap();
        assert_eq!(p.template().unwrap().bytes()[100], f[100]);
        // Its length is the plan's.
        let p = TestPlan {
            frame_len: 128,
            frame: Some(f),
            ..plan()
        };
        assert!(matches!(p.check(), Err(HarnessError::Config(_))));
        // No room for the stamp in a 10-byte payload.
        let short = default_frame(52);
        let p = TestPlan {
            frame_len: 52,
            frame: Some(short),
            ..plan()
        };
        assert!(matches!(p.check(), Err(HarnessError::Template(_))));
    }

    #[test]
    fn default_frame_has_the_asked_length_and_a_stamp_slot() {
        for n in [MIN_FRAME_LEN, 128, 1514, 9014] {
            let f = default_frame(n);
            assert_eq!(f.len(), n);
            let p = TestPlan {
                frame_len: n,
                ..plan()
            };
            let t = p.template().unwrap();
            assert_eq!(t.stamp_off(), 42);
        }
    }

    #[test]
    fn pinning_is_opt_in_and_only_for_throughput() {
        let two = crate::sys::cpu::allowed().len() >= 2;
        // Off by default: nothing pinned.
        let p = resolve_pinning(&plan());
        assert_eq!((p.stream.cpu_tx, p.stream.cpu_rx), (None, None));
        let mut on = plan();
        on.stream.auto_pin = true;
        let p = resolve_pinning(&on);
        if two {
            let cpus = crate::sys::cpu::allowed();
            assert_eq!(
                (p.stream.cpu_tx, p.stream.cpu_rx),
                (Some(cpus[0]), Some(cpus[1]))
            );
        }
        // Latency: left to the scheduler even when asked.
        on.stream.mode = Mode::Latency;
        let p = resolve_pinning(&on);
        assert_eq!((p.stream.cpu_tx, p.stream.cpu_rx), (None, None));
        // Explicit CPUs win.
        on.stream.mode = Mode::Throughput;
        on.stream.cpu_tx = Some(0);
        let p = resolve_pinning(&on);
        assert_eq!((p.stream.cpu_tx, p.stream.cpu_rx), (Some(0), None));
    }

    #[test]
    fn checks() {
        assert!(plan().check().is_ok());
        for bad in [
            TestPlan {
                frame_len: MIN_FRAME_LEN - 1,
                ..plan()
            },
            TestPlan {
                frame_len: MAX_FRAME_LEN + 1,
                ..plan()
            },
            TestPlan {
                topology: Topology::Existing {
                    tx: "a".into(),
                    rx: "a".into(),
                    netns: None,
                },
                ..plan()
            },
            TestPlan {
                topology: Topology::Existing {
                    tx: "a/b".into(),
                    rx: "c".into(),
                    netns: None,
                },
                ..plan()
            },
        ] {
            assert!(
                matches!(
                    bad.check(),
                    Err(HarnessError::Config(_) | HarnessError::SameEnds { .. })
                ),
                "{bad:?}"
            );
        }
    }

    /// The default frame is byte for byte what etherparse's builder made of the same headers
    /// (the frame of earlier versions: captures and reports stay comparable).
    #[test]
    fn the_default_frame_is_unchanged() {
        for len in [0usize, 42, 66, 100, 1514, 9000, MAX_FRAME_LEN] {
            let payload: Vec<u8> = (0..len.saturating_sub(42))
                .map(|i| (i % 251) as u8)
                .collect();
            let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
                .udp(49152, 9);
            let mut want = Vec::new();
            b.write(&mut want, &payload).unwrap();
            assert_eq!(default_frame(len), want, "{len}");
        }
    }
}
