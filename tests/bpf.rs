//! eBPF programs under test (`vethbench bpf`, `vethbench::bpf`): the fixtures in fixtures/bpf/
//! built with Debian's clang, run with BPF_PROG_RUN, attached to a veth end in a private
//! namespace, their verdicts on the live link equal to BPF_PROG_RUN's, their counters read back.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use vethbench::bpf::{Hook, Object};

/// fixtures/bpf/*.c built once per test run into a temporary directory.
fn objects() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vethbench-bpf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let arch = std::env::consts::ARCH;
        for name in ["progs", "rejected"] {
            let src = format!("{}/fixtures/bpf/{name}.c", env!("CARGO_MANIFEST_DIR"));
            let out = Command::new("clang")
                .args(["-O2", "-g", "-target", "bpf"])
                .arg(format!("-I/usr/include/{arch}-linux-gnu"))
                .args(["-c", &src, "-o"])
                .arg(dir.join(format!("{name}.o")))
                .output()
                .expect("clang (tests/run.sh installs clang and libbpf-dev)");
            assert!(
                out.status.success(),
                "clang {src}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        dir
    })
}

fn progs() -> PathBuf {
    objects().join("progs.o")
}

fn udp(dport: u16) -> String {
    format!(
        r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1000, dport={dport})/("x"*64)"#
    )
}

fn frame(expr: &str) -> Vec<u8> {
    vethbench::frame::expr::parse(expr)
        .unwrap()
        .build()
        .unwrap()
        .remove(0)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let o = common::vethbench().args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn prog_run_gives_each_programs_verdict() {
    if !common::require_root!() {
        return;
    }
    let mut obj = Object::open(&progs()).unwrap();
    for (prog, dport, want) in [
        ("xdp_drop_port", 9, "XDP_DROP"),
        ("xdp_drop_port", 10, "XDP_PASS"),
        ("xdp_pass", 9, "XDP_PASS"),
        ("tc_drop_port", 9, "TC_ACT_SHOT"),
        ("tc_drop_port", 10, "TC_ACT_OK"),
        ("xdp_drop_other", 10, "XDP_DROP"),
        ("xdp_drop_other", 9, "XDP_PASS"),
    ] {
        let f = frame(&udp(dport));
        let r = obj.run(prog, &f, 1).unwrap();
        assert_eq!(r.verdict, want, "{prog} on UDP port {dport}");
        assert_eq!(r.frame, f, "{prog} changed the frame");
    }
    // The counters map counts every run: 3 runs of xdp_drop_port/tc_drop_port dropped 2.
    let seen = obj
        .map_get("counters", &0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    let dropped = obj
        .map_get("counters", &1u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(u64::from_ne_bytes(seen.try_into().unwrap()), 5);
    assert_eq!(u64::from_ne_bytes(dropped.try_into().unwrap()), 2);
    // The dropped port is a map entry: set it to 10.
    obj.map_set("drop_port", &0u32.to_ne_bytes(), &10u32.to_ne_bytes())
        .unwrap();
    assert_eq!(
        obj.run("xdp_drop_port", &frame(&udp(10)), 1)
            .unwrap()
            .verdict,
        "XDP_DROP"
    );
    assert!(obj.map_set("drop_port", &[0; 3], &[0; 4]).is_err());
}

#[test]
fn the_cli_prints_the_verdict_the_kernels_time_and_checks_the_output_frame() {
    if !common::require_root!() {
        return;
    }
    let p = progs();
    let p = p.to_str().unwrap();
    let (code, out, err) = run(&[
        "bpf",
        "run",
        p,
        "-p",
        "xdp_drop_port",
        &udp(9),
        "--repeat",
        "1000",
    ]);
    assert_eq!(code, 0, "{err}");
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("xdp_drop_port: XDP_DROP (1000 runs, ")
            && first.ends_with(" ns per run, the kernel's figure)"),
        "{out}"
    );
    // XDP_TX with MACs swapped and TTL 63 (checksum updated as Scapy computes it).
    let back = r#"Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")/IP(src="198.18.0.1", dst="198.18.0.2", ttl=63)/UDP(sport=1000, dport=9)/("x"*64)"#;
    let (code, out, err) = run(&[
        "bpf",
        "run",
        p,
        "-p",
        "xdp_tx",
        &udp(9),
        "--expect",
        "XDP_TX",
        "--expect-frame",
        back,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("frame changed: "), "{out}");
    // A wrong expectation fails with each difference, exit 1.
    let (code, out, _) = run(&[
        "bpf",
        "run",
        p,
        "-p",
        "xdp_tx",
        &udp(9),
        "--expect",
        "XDP_DROP",
        "--expect-frame",
        &udp(9),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: expected XDP_DROP, got XDP_TX"),
        "{out}"
    );
    assert!(out.contains("FAILED: ip.ttl: expected 64, got 63"), "{out}");
    // --ignore leaves fields out of the comparison.
    let (code, out, _) = run(&[
        "bpf",
        "run",
        p,
        "-p",
        "xdp_tx",
        &udp(9),
        "--expect-frame",
        &udp(9),
        "--ignore",
        "eth,ip.ttl,ip.checksum",
    ]);
    assert_eq!(code, 0, "{out}");
    // -Y: the frame out passes a display filter, or exit 1 saying which did not match.
    let xdp_tx = ["bpf", "run", p, "-p", "xdp_tx", &udp(9), "-Y"];
    let (code, out, err) = run(&[&xdp_tx[..], &["ip.ttl == 63 && udp.dstport == 9"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = run(&[&xdp_tx[..], &["ip.ttl == 64"]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED: filter 'ip.ttl == 64' does not match the frame out"),
        "{out}"
    );
    let (code, out, _) = run(&["bpf", "run", p, "-p", "tc_drop_port", &udp(9), "-j"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verdict"], "TC_ACT_SHOT");
    assert_eq!(j["return"], 2);
}

#[test]
fn errors_are_one_line() {
    if !common::require_root!() {
        return;
    }
    let p = progs();
    let p = p.to_str().unwrap();
    let bad = objects().join("rejected.o");
    for (args, needle) in [
        (
            vec![
                "bpf",
                "run",
                bad.to_str().unwrap(),
                "-p",
                "xdp_bad",
                "Ether()/IP()",
            ],
            "the verifier rejected 'xdp_bad': ",
        ),
        (
            vec!["bpf", "run", p, "-p", "nope", "Ether()/IP()"],
            "has no program 'nope' (it has: tc_drop_port, ",
        ),
        (
            vec!["bpf", "run", "/nonexistent.o", "-p", "x", "Ether()/IP()"],
            "/nonexistent.o: ",
        ),
        (
            vec!["bpf", "run", p, "-p", "xdp_pass", "Ether()/IP("],
            "column",
        ),
        (
            vec![
                "bpf",
                "run",
                p,
                "-p",
                "xdp_pass",
                "Ether()/IP()",
                "--expect",
                "XDP_MAYBE",
            ],
            "not a verdict",
        ),
        (
            vec![
                "bpf",
                "run",
                p,
                "-p",
                "xdp_pass",
                "Ether()/IP()",
                "-Y",
                "ip.tll == 1",
            ],
            "-Y 'ip.tll == 1': column 1: ",
        ),
        (
            vec![
                "bpf",
                "attach",
                "lo",
                p,
                "-p",
                "xdp_pass",
                "--hook",
                "xdp-native",
            ],
            "not a hook",
        ),
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("vethbench: ") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
    // The verifier's own words are kept (its last lines).
    let (_, _, err) = run(&[
        "bpf",
        "run",
        bad.to_str().unwrap(),
        "-p",
        "xdp_bad",
        "Ether()/IP()",
    ]);
    assert!(err.contains("invalid access to packet"), "{err}");
}

/// `vethbench test` from va to vb with UDP port `dport`: its exit code and JSON report.
fn delivery(dport: u16) -> (i32, serde_json::Value) {
    let (code, out, err) = run(&[
        "test",
        "--tx",
        "va",
        "--rx",
        "vb",
        "--count",
        "200",
        "--frame-expr",
        &udp(dport),
        "--json",
    ]);
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, report)
}

/// A bpffs of this thread's own (a private mount namespace, nothing propagated to the host's):
/// `bpf attach` pins there, and the pins go with the namespace when the thread ends.
fn private_bpffs() {
    use nix::mount::{mount, MsFlags};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).expect("unshare(CLONE_NEWNS)");
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .expect("make / private");
    mount(
        Some("bpf"),
        "/sys/fs/bpf",
        Some("bpf"),
        MsFlags::empty(),
        None::<&str>,
    )
    .expect("mount bpffs");
}

#[test]
fn on_the_live_link_the_verdicts_are_prog_runs_and_the_counters_count() {
    if !common::require_root!() {
        return;
    }
    let path = progs();
    common::in_private_netns(move || {
        common::veth_pair("va", "vb");
        // tc at vb's ingress would run after the packet sockets there (the kernel hands a
        // frame to AF_PACKET taps before tc ingress), so the tc program drops at va's egress.
        for (prog, iface, hook) in [
            ("xdp_drop_port", "vb", Hook::Xdp),
            ("xdp_drop_port", "vb", Hook::XdpGeneric),
            ("tc_drop_port", "va", Hook::TcEgress),
        ] {
            let mut obj = Object::open(&path).unwrap();
            // What BPF_PROG_RUN says of each port...
            let dropped9 = obj.run(prog, &frame(&udp(9)), 1).unwrap().verdict;
            let passed10 = obj.run(prog, &frame(&udp(10)), 1).unwrap().verdict;
            assert!(
                dropped9.ends_with("DROP") || dropped9 == "TC_ACT_SHOT",
                "{dropped9}"
            );
            // ...the live link does: port 10 arrives whole, port 9 never.
            let att = obj.attach(prog, iface, hook).unwrap();
            let (code, report) = delivery(10);
            assert_eq!(
                code, 0,
                "{prog} at {hook}: port 10 ({passed10}) lost frames: {report}"
            );
            let (code, report) = delivery(9);
            assert_eq!(
                code, 1,
                "{prog} at {hook}: port 9 ({dropped9}) arrived: {report}"
            );
            assert_eq!(report["received"], 0, "{report}");
            let count = |k: u32| {
                let v = obj.map_get("counters", &k.to_ne_bytes()).unwrap().unwrap();
                u64::from_ne_bytes(v.try_into().unwrap())
            };
            // Two BPF_PROG_RUNs, then 200 frames of each port (the link may carry others).
            assert!(count(0) >= 402, "{prog} at {hook}: seen {}", count(0));
            if hook == Hook::TcEgress {
                // A frame shot at egress fails the send (ENOBUFS), and the sender offers it
                // again for up to 200 ms (docs/test.md): each offer is counted.
                assert!(count(1) >= 201, "{prog} at {hook}: dropped {}", count(1));
            } else {
                assert_eq!(count(1), 201, "{prog} at {hook}: dropped");
            }
            drop(att);
            // Detached with the attachment: port 9 goes through again.
            assert_eq!(delivery(9).0, 0, "{prog} at {hook} still attached");
        }
    });
}

#[test]
fn attach_list_detach_from_the_cli_and_the_physical_guard() {
    if !common::require_root!() {
        return;
    }
    let p = progs();
    common::in_private_netns(move || {
        private_bpffs();
        common::veth_pair("va", "vb");
        let p = p.to_str().unwrap();
        // The test thread's namespace is not the process's: name it by the thread's path.
        let tid = nix::unistd::gettid();
        let ns = format!("/proc/{}/task/{tid}/ns/net", std::process::id());
        let (code, out, err) = run(&["bpf", "attach", "vb", p, "-p", "xdp_drop_port", "-n", &ns]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.starts_with("vb: xdp_drop_port attached at xdp (pinned at /sys/fs/bpf/vethbench/"),
            "{out}"
        );
        let shown = common::run_ok("ip", &["-d", "link", "show", "vb"]);
        assert!(shown.contains("xdp"), "{shown}");
        assert_eq!(
            delivery(9).0,
            1,
            "port 9 arrived through the attached program"
        );
        let (code, listed, _) = run(&["bpf", "list", "-n", &ns]);
        assert_eq!(code, 0);
        assert!(
            listed.starts_with("vb\txdp\t/sys/fs/bpf/vethbench/"),
            "{listed}"
        );
        // Twice is refused, saying how to detach.
        let (code, _, err) = run(&["bpf", "attach", "vb", p, "-p", "xdp_pass", "-n", &ns]);
        assert_eq!(code, 2);
        assert!(err.contains("run vethbench bpf detach vb"), "{err}");
        let (code, out, err) = run(&["bpf", "detach", "vb", "-n", &ns]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, "vb: detached from xdp\n");
        assert_eq!(delivery(9).0, 0, "still dropping after detach");
        let (_, listed, _) = run(&["bpf", "list", "-n", &ns]);
        assert_eq!(listed, "");
        // A bridge may sit on a physical port: refused without --allow-physical.
        common::run_ok("ip", &["link", "add", "br0", "type", "bridge"]);
        let (code, _, err) = run(&["bpf", "attach", "br0", p, "-p", "xdp_pass", "-n", &ns]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("needs --allow-physical"), "{err}");
    });
}

#[test]
fn a_held_program_goes_with_its_process_even_on_sigkill() {
    if !common::require_root!() {
        return;
    }
    let p = progs();
    common::in_private_netns(move || {
        use std::io::BufRead;
        common::veth_pair("va", "vb");
        let mut child = common::vethbench()
            .args(["bpf", "attach", "vb"])
            .arg(&p)
            .args(["-p", "xdp_drop_port", "--hold"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "vb: xdp_drop_port attached at xdp until Ctrl-C\n");
        assert!(common::run_ok("ip", &["link", "show", "vb"]).contains("xdp"));
        assert_eq!(delivery(9).0, 1, "port 9 arrived through the held program");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The link's file descriptor went with the process: nothing attached, nothing pinned.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while common::run_ok("ip", &["link", "show", "vb"]).contains("xdp") {
            assert!(
                std::time::Instant::now() < until,
                "still attached after SIGKILL"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(delivery(9).0, 0);
    });
}
