//! Scenario figures (issue 11), printed as a table; needs root, says so and measures nothing
//! without it. Not timed tests: nothing here fails on a slow machine.
//!
//! 1. Building the router topology of `examples/router.yaml` (3 namespaces, 2 veth pairs,
//!    4 addresses, 2 routes, a sysctl) with the library, against the same topology made by a
//!    shell script of `ip` commands, side by side in one run: medians and their ratio.
//! 2. A `send` + `expect` step across that router (h1 -> r1 -> h2, TTL and MACs checked):
//!    p50 and p99 of the pair of calls.
//! 3. Every example under `examples/` run by the binary, one after another: wall time.
//!
//! `cargo bench --bench scenario` (`-- N` sets the topology iterations, default 30).

use std::process::Command;
use std::time::{Duration, Instant};

use vethbench::harness::Matcher;
use vethbench::scenario::{self, Bench, Topology};

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// The router by `ip`, one process per step, as the walkthroughs do it; then removed.
fn shell_router(p: &str) -> Duration {
    let script = format!(
        "set -e
ip netns add {p}h1; ip netns add {p}h2; ip netns add {p}r1
for n in h1 h2 r1; do ip netns exec {p}$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ip -n {p}$n link set lo up; done
ip link add eth0 netns {p}h1 type veth peer name eth0 netns {p}r1
ip link add eth0 netns {p}h2 mtu 9000 type veth peer name eth1 netns {p}r1 mtu 9000
ip netns exec {p}r1 sysctl -qw net.ipv4.ip_forward=1
ip -n {p}h1 addr add 198.18.1.2/24 dev eth0; ip -n {p}h1 link set eth0 up
ip -n {p}r1 addr add 198.18.1.1/24 dev eth0; ip -n {p}r1 link set eth0 up
ip -n {p}r1 addr add 198.18.2.1/24 dev eth1; ip -n {p}r1 link set eth1 up
ip -n {p}h2 addr add 198.18.2.2/24 dev eth0; ip -n {p}h2 link set eth0 up
ip -n {p}h1 route add default via 198.18.1.1
ip -n {p}h2 route add default via 198.18.2.1
"
    );
    let t = Instant::now();
    let st = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .status()
        .expect("sh");
    let d = t.elapsed();
    for n in ["h1", "h2", "r1"] {
        let _ = Command::new("ip")
            .args(["netns", "del", &format!("{p}{n}")])
            .status();
    }
    assert!(st.success(), "the ip script failed");
    d
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP scenario benches: need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)");
        return;
    }
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let router = scenario::load(&dir.join("router.yaml")).expect("examples/router.yaml");

    // 1. Topology: library vs ip, interleaved so both see the same machine.
    let prefix = format!("vbsb{}-", std::process::id());
    let (mut lib, mut sh) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let topo = Topology::build(&router.topology).expect("build");
        lib.push(t.elapsed());
        drop(topo);
        sh.push(shell_router(&prefix));
    }
    let (l50, s50) = (pct(&mut lib, 0.5), pct(&mut sh, 0.5));
    println!("router topology, {n} builds each:");
    println!("  library (private netns, netlink)  p50 {}", us(l50));
    println!("  shell script of ip commands       p50 {}", us(s50));
    println!(
        "  ratio                             {:.1}x",
        s50.as_secs_f64() / l50.as_secs_f64()
    );

    // 2. send + expect across the router.
    let mut bench = Bench::new(&router.topology).expect("bench");
    let sent = bench
        .frame(
            "h1:eth0",
            r#"Ether(dst=mac("r1:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(sport=7, dport=9)/"bench""#,
        )
        .unwrap();
    let want = bench
        .frame(
            "h2:eth0",
            r#"Ether(src=mac("r1:eth1"), dst=mac("h2:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)/UDP(sport=7, dport=9)/"bench""#,
        )
        .unwrap();
    // Warm-up: r1 resolves h2 (its ARP request is passed over once).
    bench.send("h1:eth0", &sent).unwrap();
    bench
        .expect(
            "h2:eth0",
            Matcher::masked(want.clone(), &["ip.chksum"]).unwrap(),
            Duration::from_secs(1),
        )
        .unwrap();
    let mut rt = Vec::new();
    for _ in 0..2000 {
        bench.reset().unwrap();
        let m = Matcher::masked(want.clone(), &["ip.chksum"]).unwrap();
        let t = Instant::now();
        bench.send("h1:eth0", &sent).unwrap();
        bench.expect("h2:eth0", m, Duration::from_secs(1)).unwrap();
        rt.push(t.elapsed());
    }
    drop(bench);
    println!("send + expect across the router, 2000 steps:");
    println!(
        "  p50 {}   p99 {}",
        us(pct(&mut rt, 0.5)),
        us(pct(&mut rt, 0.99))
    );

    // 3. Every example, by the binary, one after another.
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let t = Instant::now();
    for f in &files {
        // The VLAN example stops with exit 2 on a kernel without bridge VLAN filtering.
        let _ = Command::new(env!("CARGO_BIN_EXE_vethbench"))
            .arg("run")
            .arg(f)
            .output()
            .expect("vethbench");
    }
    println!(
        "all {} examples, one run each: {:.2} s wall",
        files.len(),
        t.elapsed().as_secs_f64()
    );
}
