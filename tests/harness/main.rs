//! Integration tests of the testbench: `vethbench test` and the `Testbench` API, on real veth
//! pairs inside private network namespaces (see `common::in_private_netns`). One module per
//! topic; the CLI's side of `vethbench test` is tested in `tests/cli/`.

#[path = "../common/mod.rs"]
mod common;

use std::time::Duration;

use etherparse::PacketBuilder;
use vethbench::harness::{
    self, Matcher, Mode, NoiseFilter, StreamConfig, TestPlan, Testbench, Topology,
};

fn udp4(payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
        .udp(1111, 2222);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

fn plan(tx: &str, rx: &str, count: u64) -> TestPlan {
    TestPlan {
        stream: StreamConfig {
            count: Some(count),
            ..StreamConfig::default()
        },
        frame_len: 128,
        frame: None,
        topology: Topology::Existing {
            tx: tx.into(),
            rx: rx.into(),
            netns: None,
        },
        pcapng: None,
        stream_id: 7,
    }
}

mod bridge;
mod delivery;
mod faults;
mod flows;
mod hot_path;
mod modes;
mod noise;
mod stops;
