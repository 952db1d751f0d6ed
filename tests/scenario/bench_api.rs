//! The multi-port `Bench` from Rust: the same calls the runner makes.

use std::time::Duration;

use super::common;
use vethbench::harness::Matcher;
use vethbench::scenario::{Bench, TopologySpec};

#[test]
fn a_router_built_in_rust() {
    if !common::require_root!() {
        return;
    }
    let topo = TopologySpec::new()
        .node("h1")
        .node("h2")
        .node("r1")
        .sysctl("net.ipv4.ip_forward", "1")
        .link("h1:eth0", "r1:eth0")
        .link("r1:eth1", "h2:eth0")
        .address("h1:eth0", "198.18.1.2/24")
        .address("r1:eth0", "198.18.1.1/24")
        .address("r1:eth1", "198.18.2.1/24")
        .address("h2:eth0", "198.18.2.2/24")
        .route("h1", "default via 198.18.1.1")
        .route("h2", "default via 198.18.2.1");
    let mut bench = Bench::new(&topo).unwrap();
    let sent = bench
        .frame(
            "h1:eth0",
            r#"Ether(dst=mac("r1:eth0"))/IP(dst="198.18.2.2")/UDP(sport=7, dport=7)/"rust""#,
        )
        .unwrap();
    bench.send("h1:eth0", &sent).unwrap();
    let want = bench
        .frame("h2:eth0", r#"Ether(src=mac("r1:eth1"), dst=mac("h2:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)/UDP(sport=7, dport=7)/"rust""#)
        .unwrap();
    let m = Matcher::masked(want, &["ip.chksum"]).unwrap();
    bench.expect("h2:eth0", m, Duration::from_secs(1)).unwrap();
    // Unmatched: the diff names the field.
    let wrong = bench
        .frame("h2:eth0", r#"Ether(src=mac("r1:eth1"), dst=mac("h2:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2", ttl=62)/UDP(sport=7, dport=7)/"rust""#)
        .unwrap();
    bench.send("h1:eth0", &sent).unwrap();
    let e = bench
        .expect(
            "h2:eth0",
            Matcher::masked(wrong, &["ip.chksum"]).unwrap(),
            Duration::from_millis(200),
        )
        .unwrap_err();
    assert!(e.to_string().contains("ip.ttl: expected 62, got 63"), "{e}");
    // reset empties every queue: nothing pending afterwards.
    bench.reset().unwrap();
    bench
        .expect_none("h2:eth0", Duration::from_millis(20))
        .unwrap();
    let out = bench
        .exec(
            "r1",
            "cat /proc/sys/net/ipv4/ip_forward",
            Duration::from_secs(5),
        )
        .unwrap();
    assert_eq!(out.stdout.trim(), "1");
    // The node's own sysfs: its two interfaces and loopback, not the host's.
    let out = bench
        .exec("r1", "echo $(ls /sys/class/net)", Duration::from_secs(5))
        .unwrap();
    assert_eq!(out.stdout.trim(), "eth0 eth1 lo");
}
