//! Scenario figures (issue 11), printed as a table; needs root, says so and measures nothing
//! without it. Not timed tests: nothing here fails on a slow machine.
//!
//! 1. Building the router topology of `examples/router.yaml` (3 namespaces, 2 veth pairs,
//!    4 addresses, 2 routes, a sysctl) with the library, against the same topology made by a
//!    shell script of `ip` commands, side by side in one run: medians and their ratio.
//! 2. A `send` + `expect` step across that router (h1 -> r1 -> h2, TTL and MACs checked):
//!    p50 and p99 of the pair of calls. Then (2b) the same send + expect as scenario steps
//!    (`steps::run`), the frame checked by a `fields:` condition or by a display filter
//!    (`filter:`) saying the same, taking turns: p50 of each per round, their ratio (issue 19:
//!    filter at most 1.5x fields), its median and spread over the rounds.
//! 3. Every example under `examples/` run by the binary, one after another: wall time.
//!
//! `cargo bench --bench scenario [-- N [ROUNDS]]` (N: the topology iterations, default 30;
//! ROUNDS of 2b, default 3).

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

/// The router's topology with two tests of one send + expect each: the forwarded frame
/// checked by `fields:`, or by `filter:` with the same conditions.
const FIELD_VS_FILTER: &str = include_str!("field-vs-filter.yaml");

/// 2b: `filter:` against `fields:` in a send + expect step (issue 19: at most 1.5x), `rounds`
/// rounds of 1000 steps of each, taking turns.
fn filter_vs_fields(bench: &mut Bench, dir: &std::path::Path, rounds: usize) {
    let text = std::fs::read_to_string(dir.join("router.yaml")).unwrap();
    let head = &text[..text.find("\ntests:").expect("router.yaml has tests")];
    let sc = scenario::parse_str(
        &format!("{head}\n{FIELD_VS_FILTER}"),
        Some(dir.to_path_buf()),
    )
    .expect("the bench's scenario");
    let step = |t: usize| -> &[scenario::model::Step] { &sc.tests[t].steps };
    let mut once = |t: usize| -> Duration {
        bench.reset().unwrap();
        let start = Instant::now();
        for s in step(t) {
            let r = scenario::steps::run(bench, s);
            assert_eq!(
                r.outcome,
                scenario::Outcome::Passed,
                "{}: {}",
                sc.tests[t].name,
                r.message
            );
        }
        start.elapsed()
    };
    once(0);
    once(1);
    println!("send + expect steps, fields: against filter: ({rounds} rounds of 1000 each):");
    let mut ratios = Vec::new();
    for r in 0..rounds {
        let (mut f, mut y) = (Vec::new(), Vec::new());
        for i in 0..2000 {
            // Taking turns, the first alternating between rounds.
            if (i + r) % 2 == 0 {
                f.push(once(0));
            } else {
                y.push(once(1));
            }
        }
        let (f50, y50) = (pct(&mut f, 0.5), pct(&mut y, 0.5));
        let ratio = y50.as_secs_f64() / f50.as_secs_f64();
        println!(
            "  round {}: fields p50 {} (p99 {}), filter p50 {} (p99 {}), filter/fields {ratio:.2}",
            r + 1,
            us(f50),
            us(pct(&mut f, 0.99)),
            us(y50),
            us(pct(&mut y, 0.99)),
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "  filter/fields p50 ratio: median {:.2}, spread {:.2}-{:.2} (goal <= 1.5)",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1]
    );
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP scenario benches: need root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)");
        return;
    }
    let mut nums = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok());
    let n: usize = nums.next().unwrap_or(30);
    let rounds: usize = nums.next().unwrap_or(3).max(1);
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
    println!("send + expect across the router, 2000 steps:");
    println!(
        "  p50 {}   p99 {}",
        us(pct(&mut rt, 0.5)),
        us(pct(&mut rt, 0.99))
    );

    // 2b. The same send + expect as scenario steps, the frame checked by a `fields:` condition
    // or by a display filter saying the same: p50 of each, interleaved, per round.
    filter_vs_fields(&mut bench, &dir, rounds);
    drop(bench);

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
