//! Integration tests of the testbench: `vethbench test` and the `Testbench` API, on real veth
//! pairs inside private network namespaces (see `common::in_private_netns`).
//!

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

mod cli {
    use super::*;

    #[test]
    fn bad_flags_exit_2_with_one_line() {
        for argv in [
            &["test", "--size", "20"][..],
            &["test", "--rate", "fast"],
            &["test", "--cpu", "x"],
            &["test", "--count", "0"],
        ] {
            let out = common::vethbench().args(argv).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{argv:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.trim_end().lines().count(), 1, "{argv:?}: {err}");
            assert!(err.starts_with("vethbench: error: "), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }

    #[test]
    fn help_lists_the_flags() {
        let out = common::vethbench()
            .args(["test", "--help"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        for flag in [
            "--count",
            "--size",
            "--rate",
            "--duration",
            "--mode",
            "--tx",
            "--rx",
            "--netns",
            "--cpu",
            "--write",
            "--json",
        ] {
            assert!(text.contains(flag), "{flag} missing from --help");
        }
    }

    /// `--cpu`: a CPU this process may not use is refused up front, naming the usable ones;
    /// with the sender alone pinned, the NAPI thread goes elsewhere.
    #[test]
    fn cpu_flags() {
        if !common::require_root("cpu_flags") {
            return;
        }
        let cpus = vethbench::sys::cpu::allowed();
        let out = common::vethbench()
            .args(["test", "--cpu", "0,4095"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--cpu 0,4095: CPU 4095 is not one this process may use"),
            "{err}"
        );
        if cpus.len() >= 2 {
            let tx = cpus[0].to_string();
            let out = common::vethbench()
                .args(["test", "--count", "2000", "--json", "--cpu", &tx])
                .output()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["cpus"]["tx"], cpus[0]);
            let napi = v["cpus"]["napi"].as_u64().expect("a pinned NAPI thread");
            assert_ne!(napi as usize, cpus[0], "NAPI thread on the sender's CPU");
        }
    }

    /// `vethbench test --json`: the report parses and the counts add up.
    #[test]
    fn json_report_parses_and_adds_up() {
        if !common::require_root("json_report_parses_and_adds_up") {
            return;
        }
        let out = common::vethbench()
            .args(["test", "--count", "5000", "--json"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(v["schema_version"], 1);
        let n = |k: &str| {
            v[k].as_u64()
                .unwrap_or_else(|| panic!("{k} missing: {text}"))
        };
        assert_eq!(n("sent"), 5000);
        assert_eq!(
            n("received"),
            n("intact") + n("duplicated") + n("corrupted") + n("unexpected")
        );
        assert_eq!(n("sent"), n("intact") + n("corrupted") + n("lost"));
        assert_eq!(v["verdict"], "passed", "{text}");
        assert_eq!(out.status.code(), Some(0));
        for k in ["tx", "rx", "napi"] {
            assert!(v["cpus"].get(k).is_some(), "cpus.{k} missing: {text}");
        }
        assert!(v["latency"]["p50_us"].as_f64().unwrap() > 0.0);
    }
}

/// `--frame FILE`: a frame built with Scapy and saved with `wrpcap` is the stream's template.
mod cli_frame {
    use super::common;

    /// Scapy (Debian's python3-scapy) writes `frames` (a Python list expression) to `path`.
    fn wrpcap(path: &std::path::Path, frames: &str) {
        let script = format!(
            "from scapy.all import *\nwrpcap({:?}, {frames})\n",
            path.to_string_lossy()
        );
        common::run_ok("/usr/bin/python3", &["-c", &script]);
    }

    #[test]
    fn a_scapy_frame_is_streamed_stamped_and_intact() {
        if !common::require_root("a_scapy_frame_is_streamed_stamped_and_intact") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (frame, out) = (dir.path().join("f.pcap"), dir.path().join("run.pcapng"));
        wrpcap(
            &frame,
            "[Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/Dot1Q(vlan=100)\
             /IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=1111, dport=2222, flags='PA')\
             /Raw(b'x' * 100)]",
        );
        let res = common::vethbench()
            .args(["test", "--count", "5000", "--json", "--frame"])
            .arg(&frame)
            .arg("-w")
            .arg(&out)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&res.stdout);
        assert_eq!(
            res.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&res.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        // 14 + 4 (802.1Q) + 20 + 20 + 100.
        assert_eq!(v["frame_len"], 158, "{text}");
        assert_eq!(v["intact"], 5000, "{text}");
        // What arrived is Scapy's frame, stamped: the tag, the flags, a TCP checksum tshark
        // finds right (the stamp's incremental update), 5000 times.
        let t = common::run_ok(
            "tshark",
            &[
                "-r",
                &out.to_string_lossy(),
                "-o",
                "tcp.check_checksum:TRUE",
                "-T",
                "fields",
                "-e",
                "vlan.id",
                "-e",
                "tcp.flags",
                "-e",
                "tcp.checksum.status",
            ],
        );
        let mut lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5000);
        lines.dedup();
        assert_eq!(lines, ["100\t0x0018\t1"], "{t}");
    }

    /// `--frame -`: the pcap comes on stdin, straight from Scapy.
    #[test]
    fn a_frame_on_stdin() {
        if !common::require_root("a_frame_on_stdin") {
            return;
        }
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let frame = dir.path().join("v6.pcap");
        wrpcap(
            &frame,
            "[Ether(dst='02:00:00:00:00:02')/IPv6(src='2001:2::1', dst='2001:2::2')\
             /UDP(sport=1, dport=2)/Raw(b'y' * 64)]",
        );
        let mut child = common::vethbench()
            .args(["test", "--count", "1000", "--json", "--frame", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&std::fs::read(&frame).unwrap())
            .unwrap();
        let res = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&res.stdout);
        assert_eq!(
            res.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&res.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        // 14 + 40 + 8 + 64.
        assert_eq!(
            (v["frame_len"].as_u64(), v["intact"].as_u64()),
            (Some(126), Some(1000))
        );
    }

    #[test]
    fn a_frame_without_room_for_the_stamp_is_refused() {
        if !common::require_root("a_frame_without_room_for_the_stamp_is_refused") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let frame = dir.path().join("short.pcap");
        wrpcap(&frame, "[Ether()/IP()/TCP()/Raw(b'123')]");
        // Each refused on one line, exit 2, saying why.
        let refused = |file: &std::path::Path, why: &str| {
            let res = common::vethbench()
                .args(["test", "--frame"])
                .arg(file)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&res.stderr);
            assert_eq!(res.status.code(), Some(2), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(why), "{why}: {err}");
        };
        refused(&frame, "payload of at least 24 bytes");
        // GRE: the stamp would overwrite its header.
        let gre = dir.path().join("gre.pcap");
        wrpcap(&gre, "[Ether()/IP()/GRE()/IP()/UDP()/Raw(b'x' * 40)]");
        refused(&gre, "protocol 47");
        let empty = dir.path().join("empty.pcap");
        wrpcap(&empty, "[]");
        refused(&empty, "holds no frame");
    }
}

/// Ctrl-C ends a run early, as `--duration` would: the frames sent so far are checked and
/// reported, the pcapng is whole, the exit code is the verdict's.
mod cli_interrupt {
    use super::common;

    #[test]
    fn ctrl_c_stops_the_run_and_keeps_the_report_and_the_file() {
        if !common::require_root("ctrl_c_stops_the_run_and_keeps_the_report_and_the_file") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.pcapng");
        let child = common::vethbench()
            .args(["test", "--duration", "60s", "--rate", "10k", "--json", "-w"])
            .arg(&path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Under way: the file exists once the ends are open; then let frames flow a little.
        let t = std::time::Instant::now();
        while !path.exists() && t.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{err}{text}");
        assert!(err.contains("interrupted"), "{err}");
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let sent = v["sent"].as_u64().unwrap();
        // Stopped early (60 s at 10k/s is 600,000), and every frame sent was checked.
        assert!(sent > 0 && sent < 600_000, "{text}");
        assert_eq!(v["intact"].as_u64(), Some(sent), "{text}");
        assert_eq!(v["verdict"], "passed", "{text}");
        assert_eq!(v["interrupted"], true, "{text}");
        let caps = common::run_ok("capinfos", &["-c", "-M", &path.to_string_lossy()]);
        assert!(
            caps.contains(&format!(" {sent}\n")),
            "{sent} frames: {caps}"
        );
    }
}

mod cli_existing {
    /// `--tx/--rx` on a pair the test made, `-w` a pcapng that capinfos counts, with each
    /// frame's direction and reception type as `capture` writes them (tshark reads them).
    #[test]
    fn existing_pair_and_pcapng() {
        if !super::common::require_root("existing_pair_and_pcapng") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.pcapng");
        let p = path.to_string_lossy().into_owned();
        let out = super::common::in_private_netns(move || {
            super::common::veth_pair("vx0", "vx1");
            super::common::vethbench()
                .args([
                    "test", "--tx", "vx0", "--rx", "vx1", "--count", "3000", "-w", &p,
                ])
                .output()
                .unwrap()
        });
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("vx0 -> vx1") && text.contains("PASSED"),
            "{text}"
        );
        let caps = super::common::run_ok("capinfos", &["-c", "-M", &path.to_string_lossy()]);
        assert!(caps.contains("3000"), "{caps}");
        // The stream is addressed to 02:00:00:00:00:02, not to vx1's own (random) MAC: inbound,
        // reception type 4 ("promiscuous"), as the kernel's PACKET_OTHERHOST says.
        let flags = super::common::run_ok(
            "tshark",
            &[
                "-r",
                &path.to_string_lossy(),
                "-T",
                "fields",
                "-e",
                "frame.packet_flags_direction",
                "-e",
                "frame.packet_flags_reception_type",
            ],
        );
        let mut kinds: Vec<&str> = flags.lines().collect();
        kinds.dedup();
        assert_eq!(kinds, ["0x00000001\t4"], "{flags}");
    }
}

/// `-n NS`: interfaces in a named namespace the test creates (unique name), deleted by a
/// guard even when the test fails.
mod cli_named_netns {
    use super::common;

    /// `ip netns add NAME` now, `ip netns del NAME` on drop.
    struct NamedNetnsGuard(String);

    impl NamedNetnsGuard {
        fn new(prefix: &str) -> Self {
            let name = common::unique_name(prefix);
            common::run_ok("ip", &["netns", "add", &name]);
            NamedNetnsGuard(name)
        }
    }

    impl Drop for NamedNetnsGuard {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &self.0])
                .status();
        }
    }

    #[test]
    fn test_with_netns_flag_finds_the_pair_there() {
        if !common::require_root("test_with_netns_flag_finds_the_pair_there") {
            return;
        }
        let ns = NamedNetnsGuard::new("vbtn");
        let n = ns.0.clone();
        for args in [
            vec!["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"],
            vec!["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
        ] {
            let mut a = vec!["netns", "exec", &n];
            a.extend(args);
            common::run_ok("ip", &a);
        }
        common::run_ok(
            "ip",
            &[
                "-n", &n, "link", "add", "vn0", "type", "veth", "peer", "name", "vn1",
            ],
        );
        for d in ["vn0", "vn1"] {
            common::run_ok("ip", &["-n", &n, "link", "set", d, "up"]);
        }
        // Run from a fresh namespace where vn0/vn1 do not exist: only -n can find them.
        let outs = common::in_private_netns(move || {
            let run = |extra: &[&str]| {
                common::vethbench()
                    .args(["test", "--tx", "vn0", "--rx", "vn1", "--json"])
                    .args(extra)
                    .output()
                    .unwrap()
            };
            (
                run(&["-n", &n, "--count", "2000"]),
                run(&["-n", &n, "--mode", "rtt", "--count", "500"]),
                run(&["--count", "10"]),
            )
        });
        for (out, sent) in [(&outs.0, 2000), (&outs.1, 500)] {
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["sent"], sent, "{text}");
            assert_eq!(v["intact"], sent, "{text}");
            assert_eq!(v["tx_iface"], "vn0");
        }
        let (no_ns, err) = (&outs.2, String::from_utf8_lossy(&outs.2.stderr));
        assert_eq!(no_ns.status.code(), Some(2), "{err}");
        assert!(err.contains("vn0") && err.lines().count() == 1, "{err}");
        drop(ns);
    }

    #[test]
    fn missing_netns_is_an_error_on_one_line() {
        if !common::require_root("missing_netns_is_an_error_on_one_line") {
            return;
        }
        let name = common::unique_name("vbnone");
        let out = common::vethbench()
            .args(["test", "--tx", "a0", "--rx", "a1", "-n", &name])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&name) && err.lines().count() == 1, "{err}");
    }

    /// A missing interface in a namespace given with `-n` is named with that namespace, once,
    /// by `test`, `send` and `capture` alike.
    #[test]
    fn missing_interface_names_the_netns() {
        if !common::require_root("missing_interface_names_the_netns") {
            return;
        }
        let ns = NamedNetnsGuard::new("vbmi");
        let want = format!(
            "vethbench: error: in network namespace '{}': interface 'vbnone0' does not exist",
            ns.0
        );
        for args in [
            &["test", "--tx", "vbnone0", "--rx", "vbnone1", "-n", &ns.0][..],
            &["send", "-i", "vbnone0", "-q", "-n", &ns.0],
            &["capture", "vbnone0", "-c", "1", "-n", &ns.0],
            &["veth", "peer", "vbnone0", "-n", &ns.0],
        ] {
            let out = common::vethbench().args(args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.trim_end(), want, "{args:?}");
        }
    }
}

mod delivery {
    use super::*;

    /// 10,000 frames across a veth pair, all present, byte-exact, in order.
    #[test]
    fn ten_thousand_frames_in_order() {
        if !common::require_root("ten_thousand_frames_in_order") {
            return;
        }
        let r = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            harness::launch(&plan("vb0", "vb1", 10_000))
                .unwrap()
                .wait()
                .unwrap()
        });
        assert!(r.passed(), "{r}");
        assert_eq!(
            (r.sent, r.intact, r.lost, r.reordered),
            (10_000, 10_000, 0, 0)
        );
    }

    /// A VLAN tag, a TCP frame with a wrong checksum, IPv6/UDP, and a 9000-byte frame over a
    /// 9000-MTU pair arrive unchanged.
    #[test]
    fn tags_and_payloads_survive() {
        if !common::require_root("tags_and_payloads_survive") {
            return;
        }
        common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            for d in ["vb0", "vb1"] {
                common::run_ok("ip", &["link", "set", d, "mtu", "9000"]);
            }
            let (mut tb, ends) = Testbench::attach(&[("vb0", None), ("vb1", None)]).unwrap();
            let (a, b) = (ends[0], ends[1]);
            let mac = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
            let mut frames = Vec::new();
            let mut v = Vec::new();
            PacketBuilder::ethernet2(mac.0, mac.1)
                .single_vlan(etherparse::VlanId::try_new(100).unwrap())
                .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
                .udp(1, 2)
                .write(&mut v, b"tagged")
                .unwrap();
            frames.push(v);
            let mut v = Vec::new();
            PacketBuilder::ethernet2(mac.0, mac.1)
                .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
                .tcp(1111, 2222, 1, 8192)
                .write(&mut v, b"bad checksum")
                .unwrap();
            v[50] ^= 0xff; // TCP checksum
            frames.push(v);
            let mut v = Vec::new();
            PacketBuilder::ethernet2(mac.0, mac.1)
                .ipv6(
                    [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                    [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
                    64,
                )
                .udp(3, 4)
                .write(&mut v, b"v6")
                .unwrap();
            frames.push(v);
            frames.push(udp4(&vec![0x5a; 9000 - 20 - 8]));
            assert_eq!(frames[3].len(), 9014);
            for f in &frames {
                tb.send(a, f).unwrap();
                tb.expect(b, f.clone(), Duration::from_secs(1)).unwrap();
            }
            tb.expect_no_other(b, Duration::from_millis(100)).unwrap();
        });
    }
}

mod bridge {
    use super::*;
    use vethbench::link::{veth, Netns, PrivateNetns, VethPairSpec};

    /// Three namespaces on a Linux bridge: a broadcast from one host reaches the other two,
    /// unchanged, and is not sent back to its sender. (The bridge is made with `ip`, which
    /// speaks netlink; the link module has no bridge API yet.)
    #[test]
    fn bridge_floods_to_the_other_two() {
        if !common::require_root("bridge_floods_to_the_other_two") {
            return;
        }
        common::in_private_netns(|| {
            let here = Netns::current().unwrap();
            common::run_ok("ip", &["link", "add", "br0", "type", "bridge"]);
            let hosts: Vec<PrivateNetns> = (0..3).map(|_| PrivateNetns::new().unwrap()).collect();
            let mut tb = Testbench::new();
            let mut ends = Vec::new();
            for (i, h) in hosts.iter().enumerate() {
                let (port, host) = (format!("port{i}"), format!("h{i}"));
                veth::create(&VethPairSpec::new(&port, &host), &here, h.netns()).unwrap();
                common::run_ok("ip", &["link", "set", &port, "master", "br0"]);
                ends.push(tb.open_end(h.netns(), &host).unwrap());
            }
            common::run_ok("ip", &["link", "set", "br0", "up"]);
            let mut f = Vec::new();
            PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x11], [0xff; 6])
                .ipv4([198, 18, 0, 1], [198, 18, 0, 255], 64)
                .udp(1, 2)
                .write(&mut f, b"flood me")
                .unwrap();
            // A port may still be entering the forwarding state: retry the first frame.
            let mut delivered = false;
            for _ in 0..50 {
                tb.send(ends[0], &f).unwrap();
                if tb
                    .expect(ends[1], f.clone(), Duration::from_millis(100))
                    .is_ok()
                {
                    delivered = true;
                    break;
                }
            }
            assert!(delivered, "the bridge never forwarded");
            tb.expect(ends[2], f.clone(), Duration::from_secs(1))
                .unwrap();
            for e in ends.iter().skip(1) {
                tb.clear_pending(*e);
            }
            // Now a clean round: exactly one copy at each other host, none back at the sender.
            tb.send(ends[0], &f).unwrap();
            tb.expect(ends[1], f.clone(), Duration::from_secs(1))
                .unwrap();
            tb.expect(ends[2], f.clone(), Duration::from_secs(1))
                .unwrap();
            for e in &ends {
                tb.expect_no_other(*e, Duration::from_millis(100)).unwrap();
            }
            drop(tb);
            drop(hosts);
        });
    }
}

mod faults {
    use super::*;

    /// Frames larger than the receiver's MTU are dropped by the kernel: reported lost.
    #[test]
    fn over_mtu_frames_are_lost() {
        if !common::require_root("over_mtu_frames_are_lost") {
            return;
        }
        let r = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            common::run_ok("ip", &["link", "set", "vb0", "mtu", "9000"]);
            // vb1 keeps 1500: veth drops what exceeds the peer's MTU.
            let p = TestPlan {
                frame_len: 3000,
                ..plan("vb0", "vb1", 100)
            };
            harness::launch(&p).unwrap().wait().unwrap()
        });
        assert!(!r.passed());
        assert_eq!(r.sent, 100, "{r}");
        assert_eq!(r.lost, 100, "{r}");
        // The kernel refused them on transmit (ENOBUFS): the report says where they went.
        assert_eq!(r.kernel_drops, 100, "{r}");
    }

    /// Frames over the sender's own MTU are refused before anything is sent, in one line.
    #[test]
    fn frames_over_the_senders_mtu_are_refused_up_front() {
        if !common::require_root("frames_over_the_senders_mtu_are_refused_up_front") {
            return;
        }
        let err = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            let p = TestPlan {
                frame_len: 3000,
                ..plan("vb0", "vb1", 10)
            };
            match harness::launch(&p) {
                Ok(_) => panic!("a 3000-byte frame on a 1500-MTU link was accepted"),
                Err(e) => e.to_string(),
            }
        });
        assert!(
            err.contains("too large for 'vb0'") && err.contains("MTU 1500"),
            "{err}"
        );
    }

    /// The traffic rule: a link that may reach a physical network (here a bridge) is refused.
    #[test]
    fn a_link_that_may_reach_a_physical_network_is_refused() {
        if !common::require_root("a_link_that_may_reach_a_physical_network_is_refused") {
            return;
        }
        let err = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            common::run_ok("ip", &["link", "add", "vbr0", "type", "bridge"]);
            common::run_ok("ip", &["link", "set", "vbr0", "up"]);
            match harness::launch(&plan("vbr0", "vb1", 10)) {
                Ok(_) => panic!("the harness agreed to send on a bridge"),
                Err(e) => e.to_string(),
            }
        });
        assert!(
            err.contains("refusing to send on 'vbr0' (kind bridge)"),
            "{err}"
        );
    }

    /// A link set down mid-run shows as loss.
    #[test]
    fn link_down_mid_run_is_loss() {
        if !common::require_root("link_down_mid_run_is_loss") {
            return;
        }
        let r = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            let p = TestPlan {
                stream: StreamConfig {
                    count: Some(20_000),
                    rate_pps: Some(50_000.0),
                    ..StreamConfig::default()
                },
                ..plan("vb0", "vb1", 0)
            };
            let run = harness::launch(&p).unwrap();
            // Down once a quarter has gone (progress, not a clock), up again later.
            while run.progress().sent < 5_000 {
                std::thread::yield_now();
            }
            common::run_ok("ip", &["link", "set", "vb1", "down"]);
            while run.progress().sent < 10_000 {
                std::thread::yield_now();
            }
            common::run_ok("ip", &["link", "set", "vb1", "up"]);
            run.wait().unwrap()
        });
        assert!(!r.passed());
        assert!(r.lost > 0, "{r}");
        assert_eq!(r.corrupted + r.duplicated, 0, "{r}");
    }

    /// A frame injected by a third party (Scapy, on the same interface) shows as unexpected.
    #[test]
    fn third_party_frame_is_unexpected() {
        if !common::require_root("third_party_frame_is_unexpected") {
            return;
        }
        let r = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            // Long enough for Python to start; stopped as soon as Scapy has sent.
            let p = TestPlan {
                stream: StreamConfig {
                    count: Some(2_000_000),
                    rate_pps: Some(20_000.0),
                    ..StreamConfig::default()
                },
                ..plan("vb0", "vb1", 0)
            };
            let run = harness::launch(&p).unwrap();
            common::run_ok(
                "/usr/bin/python3",
                &[
                    "-c",
                    "from scapy.all import Ether, IP, UDP, sendp; \
                     sendp(Ether(src='02:00:00:00:00:09', dst='02:00:00:00:00:02')/\
                     IP(src='198.18.0.9', dst='198.18.0.2')/UDP(sport=9, dport=9)/(b'x'*40), \
                     iface='vb0', verbose=False)",
                ],
            );
            run.stop();
            run.wait().unwrap()
        });
        assert!(!r.passed(), "{r}");
        assert_eq!(r.unexpected, 1, "{r}");
        assert_eq!(r.lost, 0, "{r}");
    }
}

mod noise {
    use super::*;

    /// `expect_no_other` passes despite IPv6 ND/MLD noise with the filter on, fails with it off.
    #[test]
    fn ipv6_noise_is_ignored_only_when_asked() {
        if !common::require_root("ipv6_noise_is_ignored_only_when_asked") {
            return;
        }
        for filter_on in [true, false] {
            let outcome = common::in_private_netns(move || {
                common::veth_pair("vb0", "vb1");
                let (mut tb, ends) = Testbench::attach(&[("vb0", None), ("vb1", None)]).unwrap();
                tb.set_noise_filter(if filter_on {
                    NoiseFilter::all()
                } else {
                    NoiseFilter::none()
                });
                // IPv6 on for vb0, then bounce it: MLD reports, DAD and router solicitations.
                std::fs::write("/proc/sys/net/ipv6/conf/vb0/disable_ipv6", "0").unwrap();
                common::run_ok("ip", &["link", "set", "vb0", "down"]);
                common::run_ok("ip", &["link", "set", "vb0", "up"]);
                let r = tb.expect_no_other(ends[1], Duration::from_secs(3));
                (r.is_ok(), tb.received().len())
            });
            assert!(
                outcome.1 > 0,
                "the kernel sent no IPv6 frame: the test proves nothing"
            );
            assert_eq!(outcome.0, filter_on, "filter_on = {filter_on}");
        }
    }

    /// A wrong TTL is reported field by field.
    #[test]
    fn failed_expectation_prints_the_field_diff() {
        if !common::require_root("failed_expectation_prints_the_field_diff") {
            return;
        }
        common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            let (mut tb, ends) = Testbench::attach(&[("vb0", None), ("vb1", None)]).unwrap();
            let sent = udp4(b"ttl");
            let mut want = sent.clone();
            want[22] = 63;
            tb.send(ends[0], &sent).unwrap();
            let err = tb
                .expect(ends[1], want, Duration::from_millis(200))
                .unwrap_err()
                .to_string();
            assert!(err.contains("ip.ttl: expected 63, got 64"), "{err}");
            tb.expect(
                ends[1],
                Matcher::masked(sent, &["ip.ttl"]).unwrap(),
                Duration::ZERO,
            )
            .unwrap();
        });
    }
}

/// The harness's own modes over a real pair.
mod modes {
    use super::*;

    #[test]
    fn latency_mode_measures_every_frame() {
        if !common::require_root("latency_mode_measures_every_frame") {
            return;
        }
        let r = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            let mut p = plan("vb0", "vb1", 1000);
            p.stream.mode = Mode::Latency;
            harness::launch(&p).unwrap().wait().unwrap()
        });
        assert!(r.passed(), "{r}");
        let l = r.latency.unwrap();
        assert_eq!(l.samples, 1000);
        assert!(
            l.p50_us > 0.0 && l.p50_us <= l.p99_us && l.p99_us <= l.max_us,
            "{l:?}"
        );
    }

    /// The per-frame receive socket of latency/rtt runs: the frame comes back byte-exact with
    /// its VLAN tag restored, and its timestamp is the kernel's, taken between the send and
    /// the end of the read.
    #[test]
    fn recv_socket_restores_the_tag_and_stamps_in_the_kernel() {
        if !common::require_root("recv_socket_restores_the_tag_and_stamps_in_the_kernel") {
            return;
        }
        common::in_private_netns(|| {
            use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};
            use vethbench::sock::tx::TxSocket;
            common::veth_pair("vb0", "vb1");
            let mut rx = RecvSocket::open("vb1", &RecvConfig::default()).unwrap();
            let mut tx = TxSocket::open("vb0").unwrap();
            let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .single_vlan(42.try_into().unwrap())
                .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
                .udp(1111, 2222);
            let mut tagged = Vec::new();
            b.write(&mut tagged, b"tagged").unwrap();
            for frame in [udp4(b"plain"), tagged] {
                let t0 = harness::stamp::now_realtime_ns();
                tx.send(&frame).unwrap();
                let fr = rx
                    .recv(Duration::from_secs(2))
                    .unwrap()
                    .expect("a frame within 2 s");
                let t1 = harness::stamp::now_realtime_ns();
                assert_eq!(fr.data(), &frame[..]);
                assert_eq!(fr.wire_len(), frame.len());
                assert!(fr.kernel_ts(), "no SCM_TIMESTAMPNS");
                assert!(
                    t0 <= fr.ts_ns() && fr.ts_ns() <= t1,
                    "{t0} {} {t1}",
                    fr.ts_ns()
                );
            }
            // Nothing else queued; the sender's own frames are not seen on its side.
            assert!(rx.recv(Duration::ZERO).unwrap().is_none());
            assert_eq!(rx.drops().unwrap(), 0);
        });
    }

    /// rtt mode goes through the reflector on the peer and back: every frame is echoed, and a
    /// round trip takes longer than the one-way trip of latency mode on the same pair.
    #[test]
    fn rtt_is_a_round_trip() {
        if !common::require_root("rtt_is_a_round_trip") {
            return;
        }
        let (one_way, rtt) = common::in_private_netns(|| {
            common::veth_pair("vb0", "vb1");
            let mut p = plan("vb0", "vb1", 2000);
            p.stream.mode = Mode::Latency;
            let one_way = harness::launch(&p).unwrap().wait().unwrap();
            p.stream.mode = Mode::Rtt;
            let rtt = harness::launch(&p).unwrap().wait().unwrap();
            (one_way, rtt)
        });
        assert!(one_way.passed(), "{one_way}");
        assert!(rtt.passed(), "{rtt}");
        assert_eq!(rtt.latency_kind, "rtt");
        // Out on vb0, echoed by vb1, back on vb0: the report names all three.
        assert_eq!(
            (
                rtt.tx_iface.as_deref(),
                rtt.reflector_iface.as_deref(),
                rtt.rx_iface.as_deref()
            ),
            (Some("vb0"), Some("vb1"), Some("vb0"))
        );
        assert!(rtt.to_string().contains("vb0 -> vb1 -> vb0"), "{rtt}");
        assert_eq!(one_way.reflector_iface, None);
        let (a, b) = (one_way.latency.unwrap(), rtt.latency.unwrap());
        assert_eq!(b.samples, 2000);
        assert!(
            b.p50_us > a.p50_us,
            "rtt p50 {} <= one-way p50 {}",
            b.p50_us,
            a.p50_us
        );
    }

    /// CPU time (user + system, in clock ticks) a thread has used so far.
    fn cpu_ticks(pid: nix::unistd::Pid) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split(' ').collect();
        f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
    }

    /// `link::offload::thread_rx` turns TSO off on the sender and GRO and threaded NAPI on
    /// on the receiver (read back through ethtool's ioctl, `ethtool -k` and sysfs); the
    /// receiver's `napi/IFACE-N` thread appears, `pin_threads` pins it, and it does the
    /// receive work of a 60,000-frame stream, which arrives whole (a full NAPI ring pushes
    /// back on the sender instead of dropping). `false` puts the defaults back.
    #[test]
    fn thread_rx_moves_the_receive_work_to_a_napi_thread() {
        if !common::require_root("thread_rx_moves_the_receive_work_to_a_napi_thread") {
            return;
        }
        use vethbench::link::offload::{self, Offload};
        // Unique names: kernel threads are named after the interface, in any namespace.
        let (a, b) = (common::unique_name("vbo"), common::unique_name("vbo"));
        let cpu = *vethbench::sys::cpu::allowed().last().unwrap();
        common::in_private_netns(move || {
            common::veth_pair(&a, &b);
            let ns = vethbench::link::Netns::open_or_current(None).unwrap();
            assert!(!offload::threaded(&ns, &b).unwrap());
            assert!(offload::napi_threads(&b).is_empty());

            let new = offload::thread_rx(&ns, &a, &ns, &b, true).unwrap();
            assert!(!offload::get(&a, Offload::Tso).unwrap());
            assert!(offload::get(&b, Offload::Gro).unwrap());
            assert!(offload::threaded(&ns, &b).unwrap());
            let k = common::run_ok("ethtool", &["-k", &b]);
            assert!(k.contains("generic-receive-offload: on"), "{k}");
            let k = common::run_ok("ethtool", &["-k", &a]);
            assert!(k.contains("\ttx-tcp-segmentation: off"), "{k}");

            let pids = offload::napi_threads(&b);
            assert!(!pids.is_empty(), "no napi/{b}-N thread");
            assert_eq!(new, pids, "thread_rx returns the threads it made");
            vethbench::sys::cpu::pin_threads(&pids, &[cpu]).unwrap();
            for &pid in &pids {
                let set = nix::sched::sched_getaffinity(pid).unwrap();
                let on: Vec<usize> = (0..nix::sched::CpuSet::count())
                    .filter(|&c| set.is_set(c).unwrap())
                    .collect();
                assert_eq!(on, vec![cpu], "NAPI thread {pid}");
            }

            let before: u64 = pids.iter().map(|&p| cpu_ticks(p)).sum();
            // 60,000 frames: fewer than the receive ring holds (~100,000 of 66 bytes), so that
            // a receiver starved by the tests running alongside cannot overflow it; what is
            // tested is the transmit side, where a full NAPI ring must push back, not drop.
            let mut p = plan(&a, &b, 60_000);
            p.frame_len = 66;
            let r = harness::launch(&p).unwrap().wait().unwrap();
            assert!(r.passed(), "{r}");
            assert_eq!((r.intact, r.lost, r.kernel_drops), (60_000, 0, 0), "{r}");
            let after: u64 = pids.iter().map(|&p| cpu_ticks(p)).sum();
            assert!(
                after > before,
                "the NAPI thread did no work ({before} ticks)"
            );

            offload::thread_rx(&ns, &a, &ns, &b, false).unwrap();
            assert!(offload::get(&a, Offload::Tso).unwrap());
            assert!(!offload::get(&b, Offload::Gro).unwrap());
            assert!(!offload::threaded(&ns, &b).unwrap());
        });
    }

    /// On someone else's pair (`--tx/--rx`) with threaded NAPI, a run with the receiver pinned
    /// pins the NAPI thread to the receiver's CPU for the run only: its CPUs come back after.
    #[test]
    fn existing_pairs_napi_thread_is_pinned_for_the_run_only() {
        if !common::require_root("existing_pairs_napi_thread_is_pinned_for_the_run_only") {
            return;
        }
        let cpus = vethbench::sys::cpu::allowed();
        if cpus.len() < 2 {
            common::skip(
                "existing_pairs_napi_thread_is_pinned_for_the_run_only",
                "needs two CPUs",
            );
            return;
        }
        use vethbench::link::offload;
        let (a, b) = (common::unique_name("vbp"), common::unique_name("vbp"));
        let affinity = |pid| {
            let set = nix::sched::sched_getaffinity(pid).unwrap();
            (0..nix::sched::CpuSet::count())
                .filter(|&c| set.is_set(c).unwrap())
                .collect::<Vec<usize>>()
        };
        common::in_private_netns(move || {
            common::veth_pair(&a, &b);
            let ns = vethbench::link::Netns::open_or_current(None).unwrap();
            let pids = offload::thread_rx(&ns, &a, &ns, &b, true).unwrap();
            assert!(!pids.is_empty());
            let before: Vec<Vec<usize>> = pids.iter().map(|&p| affinity(p)).collect();
            assert!(before.iter().all(|s| s.len() >= 2), "{before:?}");
            let mut p = plan(&a, &b, 20_000);
            p.stream.cpu_tx = Some(cpus[0]);
            p.stream.cpu_rx = Some(cpus[1]);
            let running = harness::launch(&p).unwrap();
            for &pid in &pids {
                assert_eq!(affinity(pid), vec![cpus[1]], "during the run");
            }
            let r = running.wait().unwrap();
            assert!(r.passed(), "{r}");
            assert_eq!(
                (r.cpus.tx, r.cpus.rx, r.cpus.napi),
                (Some(cpus[0]), Some(cpus[1]), Some(cpus[1])),
                "the report says where the work ran"
            );
            let after: Vec<Vec<usize>> = pids.iter().map(|&p| affinity(p)).collect();
            assert_eq!(after, before, "after the run");
        });
    }

    /// `vethbench test`'s own pair has threaded NAPI in throughput mode, where a stream gains
    /// from a second CPU, with the NAPI thread pinned to one CPU; not in latency mode, where a
    /// thread wake-up per frame would be measured.
    #[test]
    fn private_pair_is_threaded_only_for_throughput() {
        if !common::require_root("private_pair_is_threaded_only_for_throughput") {
            return;
        }
        for (mode, want) in [(Mode::Throughput, true), (Mode::Latency, false)] {
            let mut p = plan("", "", 10);
            p.topology = Topology::Private;
            p.stream.mode = mode;
            let ends = harness::plan::open_ends(&p).unwrap();
            let pair = ends
                .guard
                .downcast_ref::<vethbench::link::PrivatePair>()
                .expect("the private topology's guard is its pair");
            assert_eq!(
                vethbench::link::offload::threaded(pair.netns_b(), "vbrx").unwrap(),
                want,
                "{mode:?}"
            );
            // Its NAPI thread is pinned to the CPU the ends say (other runs'
            // threads of the same name may be about too: any one).
            if want && vethbench::sys::cpu::allowed().len() >= 2 {
                let cpu = ends.napi_cpu.expect("the NAPI thread's CPU");
                let pinned = vethbench::link::offload::napi_threads("vbrx")
                    .into_iter()
                    .filter_map(|pid| nix::sched::sched_getaffinity(pid).ok())
                    .any(|set| {
                        (0..nix::sched::CpuSet::count())
                            .filter(|&c| set.is_set(c).unwrap_or(false))
                            .eq([cpu])
                    });
                assert!(pinned, "no napi/vbrx-N thread pinned to CPU {cpu}");
            } else {
                assert_eq!(ends.napi_cpu, None, "{mode:?}");
            }
        }
    }

    /// Errors of the offload calls name the interface, on one line.
    #[test]
    fn offload_errors_name_the_interface() {
        if !common::require_root("offload_errors_name_the_interface") {
            return;
        }
        use vethbench::link::offload::{self, Offload};
        let e = common::in_private_netns(|| offload::get("vbnone0", Offload::Gro).unwrap_err());
        assert_eq!(e.to_string(), "interface 'vbnone0' does not exist");
        let e = common::in_private_netns(|| {
            let ns = vethbench::link::Netns::open_or_current(None).unwrap();
            offload::threaded(&ns, "vbnone0").unwrap_err()
        });
        assert_eq!(e.to_string(), "interface 'vbnone0' does not exist");
    }

    /// The per-frame receive path allocates nothing per frame (this thread's allocations are
    /// counted by the allocator of `hot_path`).
    #[test]
    fn recv_source_allocates_nothing_per_frame() {
        if !common::require_root("recv_source_allocates_nothing_per_frame") {
            return;
        }
        common::in_private_netns(|| {
            use vethbench::harness::FrameSource;
            use vethbench::link::Netns;
            common::veth_pair("vb0", "vb1");
            let ns = Netns::open_or_current(None).unwrap();
            let mut src = harness::ends::open_recv(&ns, "vb1", 256, false).unwrap();
            let mut tx = vethbench::sock::tx::TxSocket::open("vb0").unwrap();
            let frame = udp4(&[7; 100]);
            // Warm up (first SO_RCVTIMEO, lazy statics).
            tx.send(&frame).unwrap();
            let mut n = src.poll(Duration::from_secs(1), &mut |_, _| {}).unwrap();
            let before = hot_path::allocs();
            let mut bytes = 0usize;
            for _ in 0..500 {
                tx.send(&frame).unwrap();
                n += src
                    .poll(Duration::from_secs(1), &mut |f, _| bytes += f.len())
                    .unwrap();
            }
            assert_eq!(
                hot_path::allocs() - before,
                0,
                "allocations per received frame"
            );
            assert_eq!(n, 501);
            assert_eq!(bytes, 500 * frame.len());
        });
    }
}

/// The per-frame work of a stream run allocates nothing: counted with a global allocator that
/// counts this thread's allocations only.
mod hot_path {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    use vethbench::harness::plan::default_frame;
    use vethbench::harness::{Checker, LatencyHist, NoiseFilter, Template};

    struct Counting;

    thread_local! {
        static ALLOCS: Cell<u64> = const { Cell::new(0) };
    }

    // SAFETY: forwards to the system allocator unchanged; only counts calls.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            // SAFETY: p was allocated by System with layout l.
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
            let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
            // SAFETY: same contract as the caller's.
            unsafe { System.realloc(p, l, n) }
        }
    }

    #[global_allocator]
    static A: Counting = Counting;

    /// Allocations made so far by the calling thread.
    pub fn allocs() -> u64 {
        ALLOCS.with(|c| c.get())
    }

    #[test]
    fn stamp_check_record_allocate_nothing() {
        let t = Template::new(default_frame(256), 3).unwrap();
        let mut buf = t.bytes().to_vec();
        let mut checker = Checker::new(t.clone(), 1 << 40);
        let mut hist = LatencyHist::new();
        let nf = NoiseFilter::all();
        let other = default_frame(100);
        let before = ALLOCS.with(|c| c.get());
        for seq in 0..100_000u64 {
            t.stamp(&mut buf, seq, 1_000 + seq);
            let (class, st) = checker.check(&buf);
            assert!(class.is_first_intact());
            hist.record(st.unwrap().tx_ns, 5_000 + seq);
            assert!(!nf.is_noise(&other));
        }
        let after = ALLOCS.with(|c| c.get());
        assert_eq!(after - before, 0, "allocations in the per-frame path");
        // The counter does count: one allocation shows.
        drop(std::hint::black_box(vec![0u8; 16]));
        assert_eq!(ALLOCS.with(|c| c.get()) - after, 1);
        assert_eq!(checker.counts().intact, 100_000);
    }

    /// The sender's path on the real sink: frames stamped in place in the socket's sendmmsg
    /// slots (`send_filled` + `Template::fill_slot`) arrive intact and in order, with batch sizes
    /// that change from call to call and a `send_batch` now and then that takes the slots over;
    /// sending, receiving and checking allocate nothing per frame.
    #[test]
    fn sock_sink_lends_its_slots_without_allocating() {
        if !crate::common::require_root("sock_sink_lends_its_slots_without_allocating") {
            return;
        }
        crate::common::in_private_netns(|| {
            use std::time::{Duration, Instant};
            use vethbench::harness::ends::{open_sink, open_source, rx_config};
            use vethbench::harness::{stamp, FrameSink, FrameSource};
            use vethbench::link::Netns;
            crate::common::veth_pair("vb0", "vb1");
            let ns = Netns::open_or_current(None).unwrap();
            let t = Template::new(default_frame(128), 11).unwrap();
            let other = default_frame(100);
            let mut sink = open_sink(&ns, "vb0", 16, 256).unwrap();
            let mut src = open_source(&ns, "vb1", &rx_config(false)).unwrap();
            let mut checker = Checker::new(t.clone(), u64::MAX);
            let mut others = 0u64;
            // Read what is ready (waiting up to `wait`), check ours, count the others.
            let mut recv = |wait: Duration, checker: &mut Checker, others: &mut u64| {
                src.poll(wait, &mut |f, _| {
                    if stamp::parse(f, t.stamp_off()).is_some_and(|s| s.stream_id == 11) {
                        checker.check(f);
                    } else if f == &other[..] {
                        *others += 1;
                    }
                })
                .unwrap();
            };
            let mut seq = 0u64;
            let send = |sink: &mut dyn FrameSink, n: usize, seq: &mut u64| {
                let first = *seq;
                let k = sink
                    .send_filled(n, &mut |i, slot, fresh| {
                        t.fill_slot(slot, fresh, first + i as u64, 1_000 + first + i as u64)
                    })
                    .unwrap();
                // The socket retries internally: all it holds are taken.
                assert_eq!(k, n.min(16));
                *seq += k as u64;
            };
            // Warm up (first sendmmsg, first poll).
            send(&mut sink, 16, &mut seq);
            recv(Duration::from_millis(50), &mut checker, &mut others);
            let before = allocs();
            let mut batches = 0u64;
            for round in 0..3_000usize {
                send(&mut sink, [16, 1, 7, 16, 3, 40][round % 6], &mut seq);
                if round % 97 == 0 {
                    assert_eq!(sink.send_batch(&[&other, &other]).unwrap(), 2);
                    batches += 1;
                }
                recv(Duration::ZERO, &mut checker, &mut others);
            }
            let give_up = Instant::now() + Duration::from_secs(5);
            while checker.counts().intact < seq && Instant::now() < give_up {
                recv(Duration::from_millis(10), &mut checker, &mut others);
            }
            assert_eq!(allocs() - before, 0, "allocations per frame sent");
            let c = checker.counts();
            assert_eq!(c.intact, seq, "{c:?}");
            assert_eq!(
                (c.corrupted, c.unexpected, c.reordered, c.duplicated),
                (0, 0, 0, 0),
                "{c:?}"
            );
            assert_eq!(others, 2 * batches);
            assert_eq!(sink.tx_drops(), 0);
        });
    }
}
