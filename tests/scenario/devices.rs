//! What scenarios of real devices lean on (issue 19): teardown after a failing step and after
//! SIGTERM of the runner; `min_loss: 100%` behind an nftables drop, failing with the count
//! once the rule is gone (and `vethbench test --min-loss`); passed-over frames consumed unless
//! `strict`; a daemon without `ready` waited for until it listens; `exec`'s `timeout:`;
//! `vethbench test --ignore arp`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common;
use super::{text, ScenarioDir};

const PAIR: &str = "nodes: {h1: {}, h2: {}}\nlinks: [[h1:eth0, h2:eth0]]\n";

#[test]
fn teardown_runs_after_a_failing_step_and_its_failure_is_reported_apart() {
    if !common::require_root!() {
        return;
    }
    let dir = ScenarioDir::new("t.yaml");
    // Setup leaves state outside the namespaces (files in the scenario's directory); the test
    // fails at its second step; both teardowns remove what is theirs; one more fails itself.
    let yaml = format!(
        "{PAIR}setup:\n  - {{node: h1, run: touch file-state}}\nteardown:\n  - {{node: h1, run: 'rm file-state && echo file >> order'}}\ntests:\n  - name: fails at its second step\n    teardown:\n      - {{node: h2, run: 'rm test-state && echo test >> order'}}\n      - {{node: h2, run: 'echo cannot >&2; exit 3'}}\n    steps:\n      - exec: {{node: h1, run: touch test-state}}\n      - exec: {{node: h1, run: 'false'}}\n      - exec: {{node: h1, run: touch not-reached}}\n"
    );
    let o = dir.run(&yaml, &["--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    for f in ["file-state", "test-state", "not-reached"] {
        assert!(!dir.path().join(f).exists(), "{f} is there: {}", text(&o));
    }
    // The test's teardown ran before the file's.
    let order = std::fs::read_to_string(dir.path().join("order")).unwrap();
    assert_eq!(order, "test\nfile\n");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let t = &doc["files"][0]["tests"][0];
    // The test failed at its own step, not because of the teardown.
    assert_eq!(t["outcome"], "failed", "{}", text(&o));
    assert_eq!(t["steps"][1]["outcome"], "failed", "{}", text(&o));
    // The human report names the failing teardown command and its stderr.
    let o = dir.run(
        &yaml.replace("run: touch file-state", "run: touch file-state test-state"),
        &[],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("teardown") && out.contains("exit 3") && out.contains("cannot"),
        "{}",
        text(&o)
    );
}

#[test]
fn teardown_runs_after_sigterm_of_the_runner() {
    if !common::require_root!() {
        return;
    }
    let dir = ScenarioDir::new("t.yaml");
    let yaml = format!(
        "{PAIR}setup:\n  - {{node: h1, run: touch file-state}}\nteardown:\n  - {{node: h1, run: rm file-state}}\ntests:\n  - name: stopped while it runs\n    teardown:\n      - {{node: h2, run: rm test-state}}\n    steps:\n      - exec: {{node: h1, run: 'touch test-state started && sleep 30', timeout: 60s}}\n"
    );
    let path = dir.write(&yaml);
    let mut child = common::vethbench()
        .args(["run", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.path().join("started").exists() {
        assert!(Instant::now() < deadline, "the step never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    for f in ["file-state", "test-state"] {
        assert!(!dir.path().join(f).exists(), "{f} is there: {}", text(&o));
    }
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("interrupted"),
        "{}",
        text(&o)
    );
}

/// A router that drops UDP/9 (nftables): `min_loss: 100%` passes; with the rule deleted
/// first, the stream fails saying how many frames got through.
#[test]
fn min_loss_passes_behind_a_drop_and_fails_with_the_count_without_it() {
    if !common::require_root!() {
        return;
    }
    let yaml = r#"nodes: {h1: {}, fw: {sysctl: {net.ipv4.ip_forward: 1}}, h2: {}}
links: [[h1:eth0, fw:eth0], [fw:eth1, h2:eth0]]
addresses: {h1:eth0: [198.18.1.2/24], fw:eth0: [198.18.1.1/24], fw:eth1: [198.18.2.1/24], h2:eth0: [198.18.2.2/24]}
routes: {h1: [default via 198.18.1.1], h2: [default via 198.18.2.1]}
setup:
  - {node: fw, run: "nft add table inet vb_drop && nft add chain inet vb_drop vbfwd '{ type filter hook forward priority 0; }' && nft add rule inet vb_drop vbfwd udp dport 9 drop"}
tests:
  - name: every frame dropped
    steps:
      - ping: {node: h1, to: 198.18.2.2}
      - exec: {node: fw, run: "true"}
      - stream:
          from: h1:eth0
          to: h2:eth0
          frame: 'Ether(dst=mac("fw:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2")/UDP(sport=4000, dport=9)/"0123456789abcdef0123456789abcdef"'
          expect: 'Ether(src=mac("fw:eth1"), dst=mac("h2:eth0"))/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63)/UDP(sport=4000, dport=9)/"0123456789abcdef0123456789abcdef"'
          count: 200
          rate: 10k
          min_loss: 100%
"#;
    let dir = ScenarioDir::new("t.yaml");
    let o = dir.run(yaml, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let without = yaml.replace(r#"run: "true""#, r#"run: "nft delete table inet vb_drop""#);
    let o = dir.run(&without, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("200 of 200 frames got through, lost 0 (min_loss 100%)"),
        "{}",
        text(&o)
    );
}

/// A frame `expect` passes over is consumed (the next `expect_none` passes), unless the test
/// says `strict: true` (it stays pending, and `expect_none` fails naming it).
#[test]
fn passed_over_frames_are_consumed_unless_strict() {
    if !common::require_root!() {
        return;
    }
    let steps = "    steps:\n      - send: {port: h1:eth0, frame: 'Ether(dst=\"02:00:00:00:00:02\")/IP(src=\"198.18.0.1\", dst=\"198.18.0.2\")/UDP(dport=1)/\"first\"'}\n      - send: {port: h1:eth0, frame: 'Ether(dst=\"02:00:00:00:00:02\")/IP(src=\"198.18.0.1\", dst=\"198.18.0.2\")/UDP(dport=2)/\"second\"'}\n      - expect: {port: h2:eth0, fields: {udp.dstport: 2}}\n      - expect_none: {port: h2:eth0, for: 50ms}\n";
    let dir = ScenarioDir::new("t.yaml");
    let o = dir.run(&format!("{PAIR}tests:\n  - name: t\n{steps}"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = dir.run(
        &format!("{PAIR}tests:\n  - name: t\n    strict: true\n{steps}"),
        &["--json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let st = &doc["files"][0]["tests"][0]["steps"][3];
    assert_eq!(st["keyword"], "expect_none", "{}", text(&o));
    assert_eq!(st["outcome"], "failed", "{}", text(&o));
}

/// A daemon without `ready` is waited for until a socket of its own listens, up to its
/// `timeout:` (it starts listening 800 ms late, after the default 500 ms,
/// here, and the next step finds it); `exec` stops at its `timeout:`.
#[test]
fn a_daemon_is_ready_when_it_listens_and_exec_has_a_timeout() {
    if !common::require_root!() {
        return;
    }
    let listen = "sleep 0.8; exec python3 -c 'import socket,time; s=socket.socket(); s.bind((\\\"127.0.0.1\\\", 7070)); s.listen(); time.sleep(60)'";
    let yaml = format!(
        "{PAIR}tests:\n  - name: daemon\n    steps:\n      - daemon: {{node: h1, run: \"{listen}\", timeout: 8s}}\n      - exec: {{node: h1, run: 'ss -Hltn | grep -q 127.0.0.1:7070'}}\n  - name: timeout\n    steps:\n      - exec: {{node: h1, run: sleep 20, timeout: 300ms}}\n"
    );
    let dir = ScenarioDir::new("t.yaml");
    let t0 = Instant::now();
    let o = dir.run(&yaml, &["--json"]);
    assert!(t0.elapsed() < Duration::from_secs(15), "{}", text(&o));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let tests = &doc["files"][0]["tests"];
    assert_eq!(tests[0]["outcome"], "passed", "{}", text(&o));
    let st = &tests[1]["steps"][0];
    assert_eq!(st["outcome"], "failed", "{}", text(&o));
    assert!(
        st["message"].as_str().unwrap().contains("(timeout:)"),
        "{}",
        text(&o)
    );
}

/// `vethbench test --ignore arp`: ARP frames arriving at the receiver during the run (a
/// device's own ARP) fail it without the flag and not with it.
#[test]
fn test_ignore_arp() {
    if !common::require_root!() {
        return;
    }
    let bin = common::bin_path();
    let bin = bin.to_str().unwrap();
    let arp = "Ether(src=\"02:00:00:00:00:0a\", dst=\"ff:ff:ff:ff:ff:ff\")/ARP(op=2, hwsrc=\"02:00:00:00:00:0a\", psrc=\"198.18.0.10\", hwdst=\"02:00:00:00:00:0b\", pdst=\"198.18.0.11\")";
    for ignore in [false, true] {
        // In a namespace of its own: a veth pair, ARP replies sent onto va for 3 s while
        // the test streams va -> vb for 1 s.
        let script = format!(
            "set -e; sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; \
             ip link add va type veth peer name vb; ip link set va up; ip link set vb up; ip link set lo up; \
             {bin} send -i va '{arp}' --count 300 --rate 100 >/dev/null & \
             sleep 0.3; {bin} test --tx va --rx vb --duration 1s --rate 2k {flag}; rc=$?; wait; exit $rc",
            flag = if ignore { "--ignore arp" } else { "" }
        );
        let o = Command::new("unshare")
            .args(["-n", "bash", "-c", &script])
            .output()
            .unwrap();
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        if ignore {
            assert_eq!(o.status.code(), Some(0), "--ignore arp: {}", text(&o));
        } else {
            assert_eq!(o.status.code(), Some(1), "without --ignore: {}", text(&o));
            assert!(out.contains("unexpected"), "{out}");
        }
    }
}

/// `vethbench test --min-loss 100%` through a router that drops UDP/9 (nftables, in named
/// namespaces of a mount namespace of its own): passes; without the rule, fails saying how
/// many frames got through.
#[test]
fn test_min_loss_behind_an_nftables_drop() {
    if !common::require_root!() {
        return;
    }
    const SCRIPT: &str = r#"set -e
mkdir -p /run/netns && mount -t tmpfs vb-minloss /run/netns
for n in h1 fw h2; do ip netns add $n; ip -n $n link set lo up; ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ip link add va netns h1 type veth peer name fa netns fw
ip link add vb netns h2 type veth peer name fb netns fw
ip -n h1 addr add 198.18.1.2/24 dev va; ip -n fw addr add 198.18.1.1/24 dev fa
ip -n h2 addr add 198.18.2.2/24 dev vb; ip -n fw addr add 198.18.2.1/24 dev fb
for x in "h1 va" "fw fa" "fw fb" "h2 vb"; do set -- $x; ip -n $1 link set $2 up; done
ip netns exec fw sysctl -qw net.ipv4.ip_forward=1
ip -n h1 route add default via 198.18.1.1; ip -n h2 route add default via 198.18.2.1
ip netns exec fw nft add table inet vbt
ip netns exec fw nft add chain inet vbt vbfwd "{ type filter hook forward priority 0; }"
[ "$DROP" = 1 ] && ip netns exec fw nft add rule inet vbt vbfwd udp dport 9 drop
FA=$(ip netns exec fw cat /sys/class/net/fa/address)
"$VB" test --tx h1:va --rx h2:vb --count 200 --rate 2k --min-loss 100% --frame-expr "Ether(dst=\"$FA\")/IP(src=\"198.18.1.2\", dst=\"198.18.2.2\")/UDP(sport=4000, dport=9)/(\"x\"*64)"
"#;
    for drop in [true, false] {
        let o = Command::new("unshare")
            .args(["-n", "-m", "--propagation", "private", "bash", "-c", SCRIPT])
            .env("VB", common::bin_path())
            .env("DROP", if drop { "1" } else { "0" })
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        if drop {
            assert_eq!(o.status.code(), Some(0), "behind the drop: {}", text(&o));
            assert!(out.contains("PASSED"), "{}", text(&o));
        } else {
            assert_eq!(o.status.code(), Some(1), "without the rule: {}", text(&o));
            assert!(
                out.contains("200 of 200 frame(s) got through (min-loss 100%: lost 0)"),
                "{}",
                text(&o)
            );
        }
    }
}

/// `noise: [arp]`: an ARP frame pending on a port no longer fails `expect_none`; with the
/// default categories (ARP not among them) it does.
#[test]
fn noise_categories_take_arp() {
    if !common::require_root!() {
        return;
    }
    let arp = "'Ether(src=\"02:00:00:00:00:0a\", dst=\"ff:ff:ff:ff:ff:ff\")/ARP(op=2, hwsrc=\"02:00:00:00:00:0a\", psrc=\"198.18.0.10\", hwdst=\"02:00:00:00:00:0b\", pdst=\"198.18.0.11\")'";
    let test = |noise: &str| {
        format!("{PAIR}tests:\n  - name: t\n{noise}    steps:\n      - send: {{port: h1:eth0, frame: {arp}}}\n      - expect_none: {{port: h2:eth0, for: 50ms}}\n")
    };
    let dir = ScenarioDir::new("t.yaml");
    let o = dir.run(&test("    noise: [arp, ipv6]\n"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = dir.run(&test(""), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("ARP"),
        "{}",
        text(&o)
    );
}
