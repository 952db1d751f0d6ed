//! The hostile-input table (issue 21): every subcommand with malformed input exits 2 with
//! exactly one line starting `vethbench:`, no panic or backtrace, no output file left behind
//! (half-written or not), within 5 s. Run in a private network namespace with a veth pair, as
//! root, so that the cases which reach the kernel reach a real one.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One case: the arguments (`{dir}` is replaced by a fresh directory holding the inputs
/// below), and the file it names for output, which must not exist afterwards.
struct Case {
    args: &'static str,
    output: Option<&'static str>,
}

const fn case(args: &'static str) -> Case {
    Case { args, output: None }
}

const fn writes(args: &'static str, output: &'static str) -> Case {
    Case {
        args,
        output: Some(output),
    }
}

/// Inputs shared by the cases, written into `{dir}`.
fn inputs(dir: &Path) {
    let w = |name: &str, data: &[u8]| std::fs::write(dir.join(name), data).unwrap();
    w(
        "garbage.pcapng",
        b"\x0a\x0d\x0d\x0a\xff\xff\xff\xff not a section header",
    );
    w("empty.pcap", b"");
    // A pcap header, then a record header promising more bytes than follow.
    let mut cut = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    cut.extend_from_slice(&[0xff, 0xff, 0, 0, 1, 0, 0, 0]);
    cut.extend_from_slice(&[0, 0, 1, 0]);
    w("cut.pcap", &cut);
    w("bad.yaml", b"topology: [unclosed\n");
    w(
        "unknown.yaml",
        b"topology:\n  nodes: [h1]\nfrobnicate: 1\ntests: []\n",
    );
    w("notes.txt", b"not a scenario\n");
    w(
        "badroute.yaml",
        b"nodes:\n  h1: {}\nroutes:\n  h1: [198.19.0.0/24 via 198.18.9.9]\ntests: []\n",
    );
}

const CASES: &[Case] = &[
    // send
    case("send --dry-run Ether()/Nonsense()"),
    case("send --dry-run Ether(src='zz')/IP()"),
    case("send --dry-run --rate 0"),
    case("send -i vb0 --size 1000000"),
    case("send -i vb0 -n /nonexistent/ns"),
    case("send -i no-such-iface"),
    // capture
    writes(
        "capture -i no-such-iface -c 1 -w {dir}/c.pcapng",
        "c.pcapng",
    ),
    writes("capture -i vb1 -c 0 -w {dir}/c0.pcapng", "c0.pcapng"),
    case("capture -i any -c 1"),
    case("capture vb1 --duration 1e10"),
    case("capture -n {dir}/notes.txt -D"),
    case("capture vb1 -f tcp port 99999 -c 1"),
    case("capture vb1 -a packets:x"),
    // read
    case("read {dir}/no-such.pcapng"),
    case("read {dir}/garbage.pcapng"),
    case("read {dir}/empty.pcap"),
    case("read {dir}/cut.pcap"),
    case("read -T fields -e no.such.field {dir}/cut.pcap"),
    case("read -T fields {dir}/cut.pcap"),
    // replay
    case("replay -i vb0 {dir}/garbage.pcapng"),
    case("replay -i vb0 {dir}/no-such.pcap"),
    case("replay -i vb0 --pps 0 {dir}/cut.pcap"),
    case("replay -i no-such-iface {dir}/cut.pcap"),
    // veth, link, netns, ping
    case("veth add a-name-longer-than-fifteen b"),
    case("veth del no-such-iface"),
    case("veth peer no-such-iface"),
    case("link set vb0 mtu 0"),
    case("link set vb0 sideways"),
    case("link set vb0"),
    case("link show no-such-iface"),
    case("netns add a/b"),
    case("netns del no-such-namespace-here"),
    case("netns exec no-such-namespace-here true"),
    case("ping 999.1.1.1"),
    case("ping -c 0 198.18.0.1"),
    case("ping -W 0 198.18.0.1"),
    // test
    case("test --tx vb0 --rx vb1 --count 0"),
    case("test --tx no-such-iface --rx vb1"),
    case("test --tx vb0 --rx vb0 --rate 0"),
    // run, up, down
    writes("run --junit {dir}/j.xml {dir}/bad.yaml", "j.xml"),
    case("run {dir}/unknown.yaml"),
    case("run {dir}/no-such.yaml"),
    case("run -k nothing-matches {dir}/notes.txt"),
    case("up {dir}/bad.yaml"),
    case("down {dir}/no-such.yaml"),
    // bench, completions, man
    case("bench send --rounds abc"),
    case("completions tcsh"),
    case("man {dir}/notes.txt/sub"),
    // Fixes of issue 21 that landed: a FIFO as namespace, nesting depth, \N escapes, length
    // fields that do not fit.
    case("capture -n {dir}/fifo -D"),
    case("send --dry-run {deep}"),
    case(r#"send --dry-run Ether()/IP()/UDP()/"\N{NO SUCH NAME}""#),
    case(r#"send --dry-run Ether()/IPv6()/IPv6ExtHdrHopByHop(options=[PadN(optdata=b"x"*300)])"#),
    // A route the kernel refuses (its gateway is not on a link of the node).
    case("up {dir}/badroute.yaml --prefix vbhostile-"),
    // usage errors
    case("tset"),
    case("send --dstmac 02:00:00:00:00:01"),
];

/// Cases whose fix another engineer is landing (issue 21); they join the table when their
/// fix is on main. Run them with `cargo test --test hostile -- --ignored`. Not listed, on
/// purpose: the 100 GiB ring (`capture --blocks 100000 --block-size 1048576`), which must
/// never run on a machine whose fix regressed (the OOM killer takes other processes).
const PENDING: &[Case] = &[];

/// Split like a shell would for these cases: on spaces, except inside the one expression
/// argument after --dry-run (kept whole).
fn argv(args: &str, dir: &Path) -> Vec<String> {
    let deep = format!("{}Ether(){}", "(".repeat(8000), ")".repeat(8000));
    let args = args
        .replace("{dir}", dir.to_str().unwrap())
        .replace("{deep}", &deep);
    match args.split_once("--dry-run ") {
        Some((head, expr)) if !expr.starts_with("--") => {
            let mut v: Vec<String> = head.split_whitespace().map(String::from).collect();
            v.push("--dry-run".into());
            v.push(expr.to_string());
            v
        }
        _ => args.split_whitespace().map(String::from).collect(),
    }
}

/// Run one case; the reasons it breaks the rules, if any.
fn check(c: &Case, dir: &Path) -> Vec<String> {
    let argv = argv(c.args, dir);
    let mut child = common::vethbench()
        .args(&argv)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut bad = Vec::new();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            bad.push("still running after 5 s (killed)".to_string());
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if status.is_some() && out.status.code() != Some(2) {
        bad.push(format!("exit {:?}, not 2", out.status));
    }
    let ours = stderr
        .lines()
        .filter(|l| l.starts_with("vethbench:"))
        .count();
    if ours != 1 {
        bad.push(format!("{ours} lines start with 'vethbench:'"));
    }
    if stderr.contains("panicked") || stderr.contains("stack backtrace") {
        bad.push("a panic or backtrace".to_string());
    }
    if let Some(f) = c.output {
        if dir.join(f).exists() {
            bad.push(format!("{f} was left behind"));
        }
    }
    bad.into_iter()
        .map(|b| format!("{}: {b}\n  stderr: {}", c.args, stderr.trim_end()))
        .collect()
}

fn run_table(cases: &'static [Case]) {
    let failures = common::in_private_netns(move || {
        common::veth_pair("vb0", "vb1");
        let dir = tempfile::tempdir().unwrap();
        inputs(dir.path());
        // The input of a pending case.
        mkfifo(&dir.path().join("fifo"));
        cases
            .iter()
            .flat_map(|c| check(c, dir.path()))
            .collect::<Vec<_>>()
    });
    assert!(
        failures.is_empty(),
        "{} broken rules in {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn mkfifo(p: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap();
    assert!(st.success(), "mkfifo {}", p.display());
}

#[test]
fn every_subcommand_refuses_hostile_input_in_one_line() {
    if !common::require_root!() {
        return;
    }
    run_table(CASES);
}

/// The cases whose fixes are still landing (see [`PENDING`]).
#[test]
#[ignore = "fixes by other engineers still landing (issue 21): move each case into CASES"]
fn pending_hostile_inputs() {
    if !common::require_root!() {
        return;
    }
    run_table(PENDING);
}

/// A route error names its operation once (issue 21: it repeated its prefix).
#[test]
fn route_error_names_the_route_once() {
    if !common::require_root!() {
        return;
    }
    let err = common::in_private_netns(|| {
        let dir = tempfile::tempdir().unwrap();
        inputs(dir.path());
        let o = common::vethbench()
            .args(argv(
                "up {dir}/badroute.yaml --prefix vbhostile-",
                dir.path(),
            ))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        String::from_utf8_lossy(&o.stderr).into_owned()
    });
    assert_eq!(err.matches("add route").count(), 1, "{err}");
    assert!(
        err.contains("node h1: add route '198.19.0.0/24 via 198.18.9.9'"),
        "{err}"
    );
}
