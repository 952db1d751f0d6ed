//! Topology set-up cost: what a test or the harness pays per private veth pair, and the
//! walkthrough's named set-up with the library versus iproute2 (`ip`, one process per step).
//!
//! Needs root (it creates namespaces); without it, it says so and measures nothing. Named
//! namespaces get pid-based names and are deleted in every iteration.
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use vethbench::link::{netns, veth, Cidr, Netns, PrivatePair, VethPairSpec};

fn spec() -> VethPairSpec {
    let mut s = VethPairSpec::new("vbb0", "vbb1");
    s.a.addr = Some(Cidr::parse("198.18.0.10/16").unwrap());
    s.b.addr = Some(Cidr::parse("198.18.0.20/16").unwrap());
    s
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?}");
}

fn bench(c: &mut Criterion) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP topology benches: need root (CAP_NET_ADMIN, CAP_SYS_ADMIN)");
        return;
    }
    let (n1, n2) = (
        format!("vbb1{}", std::process::id()),
        format!("vbb2{}", std::process::id()),
    );
    let mut g = c.benchmark_group("topology");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));

    g.bench_function("iface_info_lo", |b| {
        b.iter(|| vethbench::link::iface::info("lo").unwrap())
    });
    g.bench_function("private_pair_across_2_netns", |b| {
        b.iter(|| PrivatePair::across(&spec()).unwrap())
    });
    g.bench_function("walkthrough_setup_library", |b| {
        b.iter(|| {
            let a = netns::add(&n1).unwrap();
            let z = netns::add(&n2).unwrap();
            veth::create(&spec(), &a, &z).unwrap();
            netns::del(&n1).unwrap();
            netns::del(&n2).unwrap();
        })
    });
    g.bench_function("walkthrough_setup_iproute2", |b| {
        b.iter(|| {
            ip(&["netns", "add", &n1]);
            ip(&["netns", "add", &n2]);
            ip(&["-n", &n1, "link", "set", "lo", "up"]);
            ip(&["-n", &n2, "link", "set", "lo", "up"]);
            ip(&[
                "link", "add", "vbb0", "netns", &n1, "type", "veth", "peer", "name", "vbb1",
                "netns", &n2,
            ]);
            ip(&["-n", &n1, "addr", "add", "198.18.0.10/16", "dev", "vbb0"]);
            ip(&["-n", &n2, "addr", "add", "198.18.0.20/16", "dev", "vbb1"]);
            ip(&["-n", &n1, "link", "set", "vbb0", "up"]);
            ip(&["-n", &n2, "link", "set", "vbb1", "up"]);
            ip(&["netns", "del", &n1]);
            ip(&["netns", "del", &n2]);
        })
    });
    g.finish();
    // In case an iteration panicked half-way.
    for n in [&n1, &n2] {
        if Netns::open(n).is_ok() {
            let _ = netns::del(n);
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
