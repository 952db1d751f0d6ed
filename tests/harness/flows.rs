//! Multi-flow streams through the library: a [`TestPlan`] with flows, sizes and two sender
//! threads on a private pair; and the per-frame work of a multi-flow run (template copy,
//! stamp, per-flow check, per-flow latency) allocating nothing.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use vethbench::harness::flows::{stamp_seq, FlowChecker, Layout};
use vethbench::harness::plan::default_frame;
use vethbench::harness::{self, Class, FlowSet, FlowsConfig, StreamConfig, TestPlan, Topology};

use super::common;

#[test]
fn flows_fill_and_check_allocate_nothing() {
    let cfg = FlowsConfig {
        flows: Some(1000),
        vary: FlowsConfig::parse_vary("src-ip:198.18.0.0/24,sport:1024-65535").unwrap(),
        sizes: FlowsConfig::parse_sizes("imix").unwrap(),
    };
    let set = Arc::new(FlowSet::build(&cfg, 128, &default_frame, 9).unwrap());
    let layout = Layout {
        threads: 2,
        flows: 1000,
    };
    let limits = vec![
        Arc::new(AtomicU64::new(u64::MAX)),
        Arc::new(AtomicU64::new(u64::MAX)),
    ];
    let mut checker = FlowChecker::new(set.clone(), layout, limits, 1 << 18);
    let mut slot = vec![0u8; 2048];
    let before = super::hot_path::allocs();
    for g in 0..24_000u64 {
        let t = (g % 2) as usize;
        let (flow, fseq) = layout.frame(t, g / 2);
        let len = set
            .template(flow, fseq)
            .fill_slot(&mut slot, true, stamp_seq(flow, fseq), g);
        let (class, st) = checker.check(&slot[..len]);
        assert_eq!(class, Class::Intact);
        let (st, flow, _, _) = st.unwrap();
        checker.record_latency(flow, 1000 + st.tx_ns % 100);
    }
    assert_eq!(super::hot_path::allocs(), before, "allocated per frame");
    assert_eq!(checker.counts().intact, 24_000);
    assert_eq!(checker.per_size(), &[14_000, 8_000, 2_000]);
}

/// 64 flows (16 source addresses × 4 ports) in two sizes, sent by two threads over a private
/// pair: everything arrives, every flow in order, the sizes in their 3:1 proportion.
#[test]
fn a_plan_with_flows_sizes_and_two_threads() {
    if !common::require_root!() {
        return;
    }
    let plan = TestPlan {
        stream: StreamConfig {
            count: Some(6400),
            flows: FlowsConfig {
                flows: None,
                vary: FlowsConfig::parse_vary("src-ip:198.18.0.16/28,sport:1-4").unwrap(),
                sizes: FlowsConfig::parse_sizes("66:3,1000:1").unwrap(),
            },
            threads: 2,
            ..StreamConfig::default()
        },
        frame_len: 66,
        frame: None,
        topology: Topology::Private,
        pcapng: None,
        stream_id: 11,
    };
    let r = harness::launch(&plan).unwrap().wait().unwrap();
    assert!(r.passed(), "{r}");
    assert_eq!(r.flow_count, 64);
    assert_eq!(r.threads.len(), 2);
    assert!(r
        .per_flow
        .iter()
        .all(|f| f.intact == 100 && f.reordered == 0));
    assert_eq!(
        r.sizes.iter().map(|s| s.intact).collect::<Vec<_>>(),
        vec![4800, 1600]
    );
    assert_eq!(r.per_flow[17].src_ip.as_deref(), Some("198.18.0.17"));
    assert_eq!(r.per_flow[17].sport, Some(2));
}
