//! Unit tests of flows: the syntax, the size pattern, the thread layout, the templates, and the
//! per-flow checker over in-memory ends (loss and reordering within one flow).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::harness::checker::Class;
use crate::harness::ends::{mem, FrameSink, FrameSource};
use crate::harness::plan::default_frame;
use crate::harness::stream::{self, StreamConfig};

fn set(cfg: &FlowsConfig) -> FlowSet {
    FlowSet::build(cfg, 128, &default_frame, 5).unwrap()
}

#[test]
fn vary_and_sizes_syntax() {
    let v = FlowsConfig::parse_vary("src-ip:198.18.0.0/24, sport:1024-65535").unwrap();
    assert_eq!(
        v,
        vec![
            FieldRange {
                field: Field::SrcIp,
                first: u32::from(Ipv4Addr::new(198, 18, 0, 0)),
                count: 256
            },
            FieldRange {
                field: Field::Sport,
                first: 1024,
                count: 64512
            }
        ]
    );
    let v = FlowsConfig::parse_vary("dst-ip:198.18.1.1-198.18.1.10,dport:9").unwrap();
    assert_eq!((v[0].count, v[1].first, v[1].count), (10, 9, 1));
    for bad in [
        "sport",
        "ttl:1-2",
        "sport:9-1",
        "sport:70000",
        "src-ip:198.18.0.0/33",
        "src-ip:10.0.0.0/8",
        "src-ip:1.2.3",
        "sport:1-2,sport:3-4",
    ] {
        assert!(FlowsConfig::parse_vary(bad).is_err(), "{bad}");
    }
    assert_eq!(FlowsConfig::parse_sizes("imix").unwrap(), IMIX.to_vec());
    assert_eq!(
        FlowsConfig::parse_sizes("66,128,1514").unwrap(),
        vec![(66, 1), (128, 1), (1514, 1)]
    );
    assert_eq!(
        FlowsConfig::parse_sizes("66:7,570:4,1514:1").unwrap(),
        vec![(66, 7), (570, 4), (1514, 1)]
    );
    for bad in ["", "x", "66:0", "66,66", "66:a"] {
        assert!(FlowsConfig::parse_sizes(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_flow_count_is_the_product_or_the_given_one() {
    let vary = FlowsConfig::parse_vary("src-ip:198.18.0.0/30,sport:1-3").unwrap();
    let mut c = FlowsConfig {
        vary,
        ..FlowsConfig::default()
    };
    assert_eq!(c.flow_count().unwrap(), 12);
    c.flows = Some(5);
    assert_eq!(c.flow_count().unwrap(), 5);
    c.flows = Some(0);
    assert!(c.flow_count().is_err());
    let huge = FlowsConfig {
        vary: FlowsConfig::parse_vary("src-ip:198.18.0.0/24,sport:1024-65535").unwrap(),
        ..FlowsConfig::default()
    };
    assert!(matches!(
        huge.flow_count(),
        Err(FlowsError::TooManyFlows { .. })
    ));
}

#[test]
fn imix_pattern_is_7_4_1_interleaved() {
    let p = pattern(&IMIX);
    assert_eq!(p.len(), 12);
    for (i, want) in [(0u16, 7), (1, 4), (2, 1)] {
        assert_eq!(p.iter().filter(|&&x| x == i).count(), want);
    }
    // Smooth: never more than two small frames in a row... and not seven.
    assert!(p.windows(3).all(|w| !w.iter().all(|&x| x == 0)), "{p:?}");
    assert_eq!(pattern(&[(66, 2), (128, 2)]), vec![0, 1]);
}

#[test]
fn layout_round_trips_and_splits_the_sent_count() {
    for (threads, flows) in [(1, 1), (1, 7), (2, 7), (3, 1000), (2, 2)] {
        let l = Layout { threads, flows };
        assert_eq!(
            (0..threads).map(|t| l.flows_of(t)).sum::<u64>(),
            flows as u64
        );
        for t in 0..threads {
            for g in 0..50 {
                let (f, s) = l.frame(t, g);
                assert_eq!(f as usize % threads, t);
                assert_eq!(l.thread_frame(f, s), (t, g));
            }
            let sent = 37;
            let per: u64 = (0..flows)
                .filter(|f| *f as usize % threads == t)
                .map(|f| l.sent_of(f, sent))
                .sum();
            assert_eq!(per, sent);
        }
    }
}

/// Checksums as etherparse computes them from scratch.
fn checksums_ok(f: &[u8]) -> bool {
    let p = etherparse::SlicedPacket::from_ethernet(f).unwrap();
    let Some(etherparse::NetSlice::Ipv4(ip)) = &p.net else {
        return false;
    };
    let h = ip.header().to_header();
    let Some(etherparse::TransportSlice::Udp(u)) = &p.transport else {
        return false;
    };
    h.calc_header_checksum() == h.header_checksum
        && u.to_header().calc_checksum_ipv4(&h, u.payload()).unwrap() == u.checksum()
}

#[test]
fn templates_vary_their_fields_with_valid_checksums() {
    let cfg = FlowsConfig {
        flows: None,
        vary: FlowsConfig::parse_vary(
            "src-ip:198.18.0.0/31,dst-ip:198.18.1.1-198.18.1.2,sport:1000-1001,dport:7",
        )
        .unwrap(),
        sizes: vec![(66, 1), (300, 1)],
    };
    let s = set(&cfg);
    assert_eq!(s.flows(), 8);
    let mut keys = std::collections::HashSet::new();
    for f in 0..8 {
        let k = s.key(f);
        assert_eq!(k.dport, Some(7));
        assert!(keys.insert((k.src_ip, k.dst_ip, k.sport)));
        for fseq in 0..2 {
            let t = s.template(f, fseq);
            assert!(checksums_ok(t.bytes()), "flow {f}");
            let mut b = t.bytes().to_vec();
            t.stamp(&mut b, stamp_seq(f, fseq), 12345);
            assert!(checksums_ok(&b));
        }
        // Each flow sends both sizes.
        assert_ne!(s.template(f, 0).len(), s.template(f, 1).len());
    }
    assert_eq!(s.key(0).src_ip, Some(Ipv4Addr::new(198, 18, 0, 0)));
    assert_eq!(s.key(1).src_ip, Some(Ipv4Addr::new(198, 18, 0, 1)));
    assert_eq!(s.key(2).dst_ip, Some(Ipv4Addr::new(198, 18, 1, 2)));
    // --flows N alone: source ports from 49152.
    let s = set(&FlowsConfig::with_flows(3));
    assert_eq!(
        (0..3).map(|f| s.key(f).sport.unwrap()).collect::<Vec<_>>(),
        vec![49152, 49153, 49154]
    );
}

/// Windows that share a cache line (100 flows of 64 seqs: eight to a line) and windows of
/// several lines each (3 flows of 1024) keep to their own flow: a seq seen by one flow is new
/// to its neighbours, a duplicate only in its own; a window slid past its size forgets only its
/// own seqs; and each flow's latency buckets are its own.
#[test]
fn flows_windows_side_by_side_stay_apart() {
    for (flows, window) in [(100u32, 100u64 * 64), (3, 3 * 1024)] {
        let s = Arc::new(set(&FlowsConfig::with_flows(flows)));
        let layout = Layout { threads: 1, flows };
        let lim = vec![Arc::new(AtomicU64::new(u64::MAX))];
        let mut c = FlowChecker::new(s.clone(), layout, lim, window);
        for f in 0..flows {
            assert_eq!(c.check(&frame(&s, f, 5)).0, Class::Intact, "{f}");
        }
        for f in 0..flows {
            assert_eq!(c.check(&frame(&s, f, 5)).0, Class::Duplicated, "{f}");
            assert_eq!(c.check(&frame(&s, f, 4)).0, Class::Reordered, "{f}");
        }
        // Flow 1 slides far ahead: its old seq 5 is too old to tell (late, not a duplicate);
        // its neighbours still remember theirs.
        let per = window / flows as u64;
        assert_eq!(c.check(&frame(&s, 1, 5 + 4 * per)).0, Class::Intact);
        assert_eq!(c.check(&frame(&s, 1, 5)).0, Class::Reordered);
        assert_eq!(c.check(&frame(&s, 0, 5)).0, Class::Duplicated);
        assert_eq!(c.check(&frame(&s, 2, 5)).0, Class::Duplicated);
        let fc = c.flow_counts();
        assert_eq!(fc[0].duplicated, 2, "{flows}");
        assert_eq!(fc[1].duplicated, 1, "{flows}");
        assert_eq!(fc[1].intact, 4, "{flows}");
        c.record_latency(0, 1_000);
        c.record_latency(1, 50_000);
        c.record_latency(1, 50_000);
        let q = |f| c.flow_quantile_ns(f, 0.99);
        assert!(q(0).is_some_and(|v| v.abs_diff(1_000) <= 63), "{:?}", q(0));
        assert!(
            q(1).is_some_and(|v| v.abs_diff(50_000) <= 3_125),
            "{:?}",
            q(1)
        );
        assert_eq!(q(2), None);
    }
}

fn frame(s: &FlowSet, flow: u32, fseq: u64) -> Vec<u8> {
    let t = s.template(flow, fseq);
    let mut b = t.bytes().to_vec();
    t.stamp(&mut b, stamp_seq(flow, fseq), 1000);
    b
}

#[test]
fn reordering_is_counted_within_a_flow_only() {
    let s = Arc::new(set(&FlowsConfig::with_flows(3)));
    let layout = Layout {
        threads: 1,
        flows: 3,
    };
    let lim = vec![Arc::new(AtomicU64::new(u64::MAX))];
    let mut c = FlowChecker::new(s.clone(), layout, lim, 1 << 12);
    // Flows interleaved in any order, each in its own order: no reordering.
    for (f, q) in [(2, 0), (0, 0), (1, 0), (1, 1), (0, 1), (2, 1), (0, 2)] {
        assert_eq!(c.check(&frame(&s, f, q)).0, Class::Intact, "{f}/{q}");
    }
    // Flow 1: seq 3 before seq 2.
    assert_eq!(c.check(&frame(&s, 1, 3)).0, Class::Intact);
    assert_eq!(c.check(&frame(&s, 1, 2)).0, Class::Reordered);
    assert_eq!(c.check(&frame(&s, 1, 2)).0, Class::Duplicated);
    let fc = c.flow_counts();
    assert_eq!(
        fc.iter().map(|f| f.reordered).collect::<Vec<_>>(),
        vec![0, 1, 0]
    );
    assert_eq!(fc[1].duplicated, 1);
    assert_eq!(c.counts().reordered, 1);
    // A flow id past the run's, and another run's stream: unexpected.
    let mut other = frame(&s, 0, 0);
    other[s.stamp_off() + 8] = 0xff;
    assert_eq!(c.check(&other).0, Class::Unexpected);
    // A byte changed: corrupted, on that flow.
    let mut bad = frame(&s, 2, 5);
    bad[60] ^= 1;
    assert_eq!(c.check(&bad).0, Class::Corrupted);
    assert_eq!(c.flow_counts()[2].corrupted, 1);
}

#[test]
fn flow_latency_quantiles_are_within_their_bucket() {
    let mut l = FlowLat::default();
    assert_eq!(l.quantile_ns(0.99), None);
    for d in 1..=1000u64 {
        l.record(d * 1000);
    }
    let p99 = l.quantile_ns(0.99).unwrap() as f64;
    assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.07, "{p99}");
    l.record(u64::MAX);
    assert_eq!(l.samples(), 1001);
}

/// A stream of 50 flows over an in-memory wire that drops every other frame of flow 7 and
/// swaps two frames of flow 11: only those flows show it, in the report's per-flow rows.
#[test]
fn one_flows_loss_and_reordering_show_on_that_flow_only() {
    let cfg = StreamConfig {
        count: Some(5000),
        drain: Duration::from_millis(50),
        flows: FlowsConfig::with_flows(50),
        ..StreamConfig::default()
    };
    let s = set(&cfg.flows);
    let sport = |f: &[u8]| u16::from_be_bytes([f[34], f[35]]);
    let mut held: Option<Vec<u8>> = None;
    let fault: mem::Fault = Box::new(move |_, f| {
        let seq = u64::from_be_bytes(f[50..58].try_into().unwrap()) & ((1 << FLOW_SHIFT) - 1);
        match sport(f) {
            p if p == 49152 + 7 && seq % 2 == 1 => vec![],
            p if p == 49152 + 11 && seq == 4 => {
                held = Some(f.to_vec());
                vec![]
            }
            p if p == 49152 + 11 && seq == 5 => {
                vec![f.to_vec(), held.take().unwrap()]
            }
            _ => vec![f.to_vec()],
        }
    });
    let (tx, rx) = mem::wire("m", Some(fault));
    let sinks: Vec<Box<dyn FrameSink + Send>> = vec![Box::new(tx)];
    let r = stream::start_flows(cfg, s, sinks, rx, None)
        .unwrap()
        .wait()
        .unwrap();
    assert!(!r.passed());
    assert_eq!(r.flow_count, 50);
    assert_eq!((r.flows_with_loss, r.flows_with_reordering), (1, 1));
    let w = r.worst_loss.unwrap();
    assert_eq!((w.flow, w.lost, w.sent), (7, 50, 100));
    for f in &r.per_flow {
        assert_eq!(f.sent, 100);
        assert_eq!(f.lost, if f.flow == 7 { 50 } else { 0 }, "{f:?}");
        assert_eq!(f.reordered, u64::from(f.flow == 11), "{f:?}");
    }
    assert_eq!(r.lost, 50);
}

/// Two sender threads over two wires into one receiver: the count split, every flow in order.
#[test]
fn two_threads_split_the_count_and_keep_each_flows_order() {
    let (tx0, rx0) = mem::wire("a", None);
    let (mut tx1, rx1) = mem::wire("b", None);
    tx1.max_per_call = 5;
    let rx = Merge(rx0, rx1);
    let cfg = StreamConfig {
        count: Some(10_001),
        drain: Duration::from_millis(50),
        flows: FlowsConfig::with_flows(10),
        threads: 2,
        ..StreamConfig::default()
    };
    let s = set(&cfg.flows);
    let sinks: Vec<Box<dyn FrameSink + Send>> = vec![Box::new(tx0), Box::new(tx1)];
    let r = stream::start_flows(cfg, s, sinks, rx, None)
        .unwrap()
        .wait()
        .unwrap();
    assert!(r.passed(), "{r}");
    assert_eq!(r.threads.len(), 2);
    assert_eq!(
        r.threads.iter().map(|t| t.sent).collect::<Vec<_>>(),
        vec![5001, 5000]
    );
    assert!(r.per_flow.iter().all(|f| f.thread == f.flow as usize % 2));
    assert_eq!(r.per_flow.iter().map(|f| f.intact).sum::<u64>(), 10_001);
}

/// Two in-memory wires into one receiver.
struct Merge(mem::MemSource, mem::MemSource);

impl FrameSource for Merge {
    fn poll(
        &mut self,
        timeout: Duration,
        f: &mut dyn FnMut(&[u8], &crate::harness::RxMeta),
    ) -> Result<usize, crate::harness::HarnessError> {
        let n = self.0.poll(Duration::ZERO, f)?;
        Ok(n + self
            .1
            .poll(if n > 0 { Duration::ZERO } else { timeout }, f)?)
    }
    fn kernel_drops(&mut self) -> Result<u64, crate::harness::HarnessError> {
        Ok(0)
    }
    fn name(&self) -> &str {
        "merge"
    }
}
