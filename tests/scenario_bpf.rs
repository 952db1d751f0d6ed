//! eBPF programs in scenarios (`bpf:` of a node, `map_update`/`map_expect`, `prog_run`, `dual`)
//! and impairments declared on a link: each scenario is written to a temporary directory beside
//! the objects built from fixtures/bpf/*.c with Debian's clang, and run by `vethbench run`.
//! Pins go to a bpffs of the test's own (a private mount namespace made by `unshare -m`), so
//! that nothing is left on the host's even when a test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// fixtures/bpf/*.c built once per test run.
fn objects() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vethbench-scbpf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["progs", "rejected"] {
            build(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/bpf/{name}.c")),
                &dir.join(format!("{name}.o")),
            );
        }
        dir
    })
}

/// `clang -O2 -g -target bpf` of `src` into `out` (tests/run.sh installs clang and libbpf-dev).
pub fn build(src: &Path, out: &Path) {
    let o = Command::new("clang")
        .args(["-O2", "-g", "-target", "bpf"])
        .arg(format!(
            "-I/usr/include/{}-linux-gnu",
            std::env::consts::ARCH
        ))
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(out)
        .output()
        .expect("clang (tests/run.sh installs clang and libbpf-dev)");
    assert!(
        o.status.success(),
        "clang {}: {}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A scratch directory with progs.o and rejected.o, and `yaml` as s.yaml in it.
fn scenario(yaml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for o in ["progs.o", "rejected.o"] {
        std::fs::copy(objects().join(o), dir.path().join(o)).unwrap();
    }
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, yaml).unwrap();
    (dir, path)
}

/// `vethbench run --json FILE`: exit code, the JSON report, stderr.
fn run_json(path: &Path) -> (i32, serde_json::Value, String) {
    let o = common::vethbench()
        .args(["run", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let doc = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code().unwrap_or(-1), doc, err)
}

/// One step of a report.
#[derive(Debug)]
struct Step {
    keyword: String,
    outcome: String,
    message: String,
    /// The notes, one a line.
    notes: String,
}

/// A run's JSON report and its steps (every test's, in order).
struct Report {
    doc: serde_json::Value,
    steps: Vec<Step>,
}

impl Report {
    /// The one step that failed (panics, showing the report, unless exactly one did).
    fn failed(&self) -> &Step {
        let f: Vec<&Step> = self
            .steps
            .iter()
            .filter(|s| s.outcome == "failed")
            .collect();
        assert_eq!(f.len(), 1, "one failed step expected: {:#}", self.doc);
        f[0]
    }
}

/// `vethbench run --json FILE`, which must exit `want` (0: the tests passed, 1: one failed, 2:
/// an error; else a panic with stderr and the report).
fn run_expecting(path: &Path, want: i32) -> Report {
    let (code, doc, err) = run_json(path);
    assert_eq!(code, want, "{}: {err}\n{doc:#}", path.display());
    let mut steps = Vec::new();
    for t in doc["files"][0]["tests"].as_array().into_iter().flatten() {
        for s in t["steps"].as_array().into_iter().flatten() {
            let notes: Vec<&str> = s["notes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| n.as_str().unwrap_or(""))
                .collect();
            let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
            steps.push(Step {
                keyword: text("keyword"),
                outcome: text("outcome"),
                message: text("message"),
                notes: notes.join("\n"),
            });
        }
    }
    Report { doc, steps }
}

/// `vethbench CMD FILE ARGS..` of `yaml` (beside the objects), which must refuse the file:
/// exit 2 and one line on stderr, returned.
fn refused(cmd: &str, yaml: &str, args: &[&str]) -> String {
    let (_d, path) = scenario(yaml);
    let o = common::vethbench()
        .arg(cmd)
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
    assert_eq!(err.lines().count(), 1, "{cmd}: {err}");
    err
}

/// [`run_expecting`] of `yaml` in a scratch directory beside the objects ([`scenario`]).
fn run_yaml(yaml: &str, want: i32) -> Report {
    let (_d, path) = scenario(yaml);
    run_expecting(&path, want)
}

fn udp(dport: u16) -> String {
    format!(
        r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1000, dport={dport})/("x"*32)"#
    )
}

/// h1 - dut with `progs` on dut:eth0 (`[{object..}]` lines), the tests after `tests:`.
fn two_nodes(progs: &str, tests: &str) -> String {
    format!(
        "name: bpf\nnodes:\n  h1: {{}}\n  dut:\n    bpf:\n      eth0:\n{progs}links:\n  - {{ends: [h1:eth0, dut:eth0], macs: ['02:00:00:00:00:01', '02:00:00:00:00:02']}}\ntests:\n{tests}"
    )
}

#[test]
fn each_attach_kind_acts_on_the_live_link_and_the_counters_count() {
    if !common::require_root!() {
        return;
    }
    // XDP (native and generic) at dut's ingress: frames from h1.
    for hook in ["xdp", "xdp-generic"] {
        let yaml = two_nodes(
            &format!("        - {{object: progs.o, program: xdp_drop_port, attach: {hook}}}\n"),
            &format!(
                "  - name: port 10 passes, port 9 is dropped
    steps:
      - exec: {{node: dut, run: 'bpftool net show dev eth0', expect_output: 'eth0.* {mode} id'}}
      - send: {{port: h1:eth0, frame: '{p10}'}}
      - expect: {{port: dut:eth0, fields: {{udp.dstport: 10}}}}
      - send: {{port: h1:eth0, frame: '{p9}'}}
      - expect_none: {{port: dut:eth0}}
      - map_expect: {{node: dut, map: counters, key: 1, value: 1}}
      - map_expect: {{node: dut, map: counters, key: 0, value: 2}}
",
                p10 = udp(10),
                p9 = udp(9),
                mode = if hook == "xdp" { "driver" } else { "generic" },
            ),
        );
        run_yaml(&yaml, 0);
    }
    // tc at dut's egress (TCX: this Debian bpftool names its links 'type 11', so the live
    // drop is the proof): frames from dut to h1.
    let yaml = two_nodes(
        "        - {object: progs.o, program: tc_drop_port, attach: tc-egress}\n",
        &format!(
            "  - name: port 10 leaves
    steps:
      - send: {{port: dut:eth0, frame: '{p10}'}}
      - expect: {{port: h1:eth0, fields: {{udp.dstport: 10}}}}
      - map_expect: {{node: dut, map: counters, key: 1, value: 0}}
      - send: {{port: dut:eth0, frame: '{p9}'}}
      - expect_none: {{port: h1:eth0}}
      - prog_run: {{node: dut, program: tc_drop_port, frame: '{p9}', verdict: TC_ACT_SHOT}}
",
            p10 = udp(10),
            p9 = udp(9)
        ),
    );
    run_yaml(&yaml, 0);
}

/// `sh -c SCRIPT` in a mount namespace of its own with a fresh bpffs at /sys/fs/bpf, the
/// vethbench binary as $VB: its stdout and exit code.
fn with_bpffs(script: &str, dir: &Path) -> (i32, String, String) {
    let full = format!("mount -t bpf bpf /sys/fs/bpf || exit 99\n{script}");
    let o = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &full])
        .env("VB", common::bin_path())
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_pin_is_made_only_when_asked_and_removed_after_success_failure_and_sigterm() {
    if !common::require_root!() {
        return;
    }
    let pin = "/sys/fs/bpf/vb-test/dut-eth0";
    let prog =
        format!("        - {{object: progs.o, program: xdp_pass, attach: xdp, pin: {pin}}}\n");
    // While the run lasts the pin is there (a step sees it); after it, it is gone and so is
    // the directory made for it.
    for (name, last, want) in [("passes", "exit 0", 0), ("fails", "exit 1", 1)] {
        let yaml = two_nodes(
            &prog,
            &format!(
                "  - name: {name}
    steps:
      - exec: {{node: dut, run: 'test -e {pin} && bpftool link show pinned {pin} | grep -q xdp'}}
      - exec: {{node: dut, run: '{last}'}}
"
            ),
        );
        let (d, path) = scenario(&yaml);
        let (code, out, err) = with_bpffs(
            &format!("\"$VB\" run {} >/dev/null; echo rc=$?; ls -A /sys/fs/bpf | grep -v -x -e maps.debug -e progs.debug; true", path.display()),
            d.path(),
        );
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert_eq!(
            out.trim(),
            format!("rc={want}"),
            "{name}: left behind: {out}{err}"
        );
    }
    // Without pin: nothing on bpffs even while it runs.
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_pass, attach: xdp}\n",
        "  - name: nothing pinned
    steps:
      - exec: {node: dut, run: 'test -z \"$(ls -A /sys/fs/bpf | grep -v -x -e maps.debug -e progs.debug)\"'}
",
    );
    let (d, path) = scenario(&yaml);
    let (code, out, err) = with_bpffs(
        &format!("\"$VB\" run {} >/dev/null; echo rc=$?; ls -A /sys/fs/bpf | grep -v -x -e maps.debug -e progs.debug; true", path.display()),
        d.path(),
    );
    assert_eq!((code, out.trim()), (0, "rc=0"), "{out}{err}");
    // SIGTERM during a long step: the run ends, reports, and the pin goes.
    let yaml = two_nodes(
        &prog,
        "  - name: long
    steps:
      - exec: {node: dut, run: 'sleep 20', timeout: 30s}
",
    );
    let (d, path) = scenario(&yaml);
    let script = format!(
        "\"$VB\" run {} >/dev/null 2>&1 & pid=$!
for i in $(seq 200); do [ -e {pin} ] && break; sleep 0.05; done
[ -e {pin} ] || {{ echo 'no pin while running'; kill -9 $pid; exit 3; }}
sleep 0.2; kill -TERM $pid; wait $pid; echo rc=$?; ls -A /sys/fs/bpf | grep -v -x -e maps.debug -e progs.debug; true",
        path.display()
    );
    let (code, out, err) = with_bpffs(&script, d.path());
    assert_eq!(code, 0, "{out}{err}");
    // Interrupted: exit 1 (a test did not pass) and nothing left on bpffs.
    assert_eq!(out.trim(), "rc=1", "SIGTERM left: {out}{err}");
}

#[test]
fn a_rejected_program_is_one_error_with_the_verifiers_words_and_up_refuses_bpf() {
    if !common::require_root!() {
        return;
    }
    let yaml = two_nodes(
        "        - {object: rejected.o, program: xdp_bad, attach: xdp}\n",
        "  - name: never runs\n    steps:\n      - exec: {node: dut, run: 'true'}\n",
    );
    let err = refused("run", &yaml, &[]);
    assert!(
        err.contains("the verifier rejected 'xdp_bad'") && err.contains("invalid access to packet"),
        "{err}"
    );
    // `up` keeps no process to hold programs: refused in one line before anything is made.
    let prefix = common::unique_name("vbB");
    let err = refused("up", &yaml, &["--prefix", &prefix]);
    assert!(
        err.contains("vethbench up cannot keep eBPF programs"),
        "{err}"
    );
    assert!(
        !Path::new(&format!("/run/netns/{prefix}dut")).exists(),
        "up made a namespace"
    );
    // A missing object and an unknown hook: file:line errors at load.
    for (from, to, needle) in [
        ("rejected.o", "missing.o", "missing.o: no such file"),
        ("attach: xdp", "attach: xdp-native", "not a hook"),
    ] {
        let err = refused("run", &yaml.replace(from, to), &[]);
        assert!(err.contains(":7: ") && err.contains(needle), "{err}");
    }
}

#[test]
fn map_steps_by_integer_and_by_struct_member_and_per_cpu_sums() {
    if !common::require_root!() {
        return;
    }
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_flows, attach: xdp}\n",
        &format!(
            "  - name: maps
    steps:
      - map_update: {{node: dut, map: drop_port, key: 0, value: 10}}
      - map_expect: {{node: dut, map: drop_port, key: 0, value: 10}}
      - prog_run: {{node: dut, program: xdp_drop_port, frame: '{p10}', verdict: XDP_DROP}}
      - prog_run: {{node: dut, program: xdp_drop_port, frame: '{p9}', verdict: XDP_PASS}}
      - send: {{port: h1:eth0, frame: '{p9}', count: 3}}
      - expect: {{port: dut:eth0, fields: {{udp.dstport: 9}}}}
      - expect: {{port: dut:eth0, fields: {{udp.dstport: 9}}}}
      - expect: {{port: dut:eth0, fields: {{udp.dstport: 9}}}}
      - map_expect:
          node: dut
          map: flows
          key: {{saddr: 198.18.0.1, daddr: 198.18.0.2, sport: 1000, dport: 9, proto: 17}}
          fields: {{packets: 3}}
      - map_expect:
          node: dut
          map: flows
          key: {{saddr: 198.18.0.1, daddr: 198.18.0.2, sport: 1000, dport: 9, proto: 17}}
          value: {{packets: 3, bytes: 222}}
      - map_expect: {{node: dut, map: flows, key: 'hex:c6120001c612000203e8006311000000', absent: true}}
      - map_expect: {{node: dut, map: pcpu_seen, key: 0, value: 3}}
      - map_update: {{node: dut, map: pcpu_seen, key: 0, value: 0}}
      - map_expect: {{node: dut, map: pcpu_seen, key: 0, value: 0}}
",
            p10 = udp(10),
            p9 = udp(9)
        ),
    );
    run_yaml(&yaml, 0);
    // A wrong member value fails, naming the member, and the report shows the maps.
    let r = run_yaml(
        &yaml.replace("fields: {packets: 3}", "fields: {packets: 4}"),
        1,
    );
    let Step {
        keyword,
        message,
        notes,
        ..
    } = r.failed();
    assert_eq!(keyword, "map_expect");
    assert!(message.contains("packets: expected 4, got 3"), "{message}");
    assert!(
        notes.contains("map flows (dut progs.o): {saddr: ")
            && notes.contains("= {packets: 3, bytes: 222}")
            && notes.contains("map drop_port (dut progs.o): 0 = 10")
            && notes.contains("map pcpu_seen (dut progs.o): 0 = 3 (per CPU: ["),
        "{notes}"
    );
}

#[test]
fn prog_run_verdicts_and_frames_out_and_repeat() {
    if !common::require_root!() {
        return;
    }
    let back = r#"Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")/IP(src="198.18.0.1", dst="198.18.0.2", ttl=63)/UDP(sport=1000, dport=9)/("x"*32)"#;
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_pass, attach: xdp}\n",
        &format!(
            "  - name: verdicts
    steps:
      - prog_run: {{node: dut, program: xdp_drop_port, frame: '{p9}', verdict: XDP_DROP, repeat: 1000}}
      - prog_run: {{node: dut, program: xdp_drop_port, frame: '{p10}', verdict: XDP_PASS, expect: '{p10}'}}
      - prog_run: {{node: dut, program: xdp_tx, frame: '{p9}', verdict: XDP_TX, expect: '{back}'}}
      - prog_run: {{node: dut, program: xdp_tx, frame: '{p9}', fields: {{ip.ttl: 63}}, expect: '{p9}', ignore: [eth.src, eth.dst, ip.ttl, ip.checksum]}}
      - prog_run: {{node: dut, program: tc_drop_port, frame: '{p9}', verdict: TC_ACT_SHOT}}
",
            p10 = udp(10),
            p9 = udp(9),
        ),
    );
    let s = &run_yaml(&yaml, 0).steps;
    assert!(
        s[0].notes
            .starts_with("xdp_drop_port: XDP_DROP (1000 runs, ")
            && s[0].notes.contains(" ns per run, the kernel's figure)"),
        "{:?}",
        s[0]
    );
    // Wrong verdict and wrong frame out: each said.
    let bad = yaml
        .replacen("verdict: XDP_TX", "verdict: XDP_PASS", 1)
        .replacen("ttl=63", "ttl=62", 1);
    let r = run_yaml(&bad, 1);
    let m = &r.failed().message;
    assert!(
        m.contains("expected XDP_PASS, got XDP_TX") && m.contains("ip.ttl"),
        "{m}"
    );
}

#[test]
fn prog_run_checks_the_frame_out_with_a_display_filter() {
    if !common::require_root!() {
        return;
    }
    let step = |flt: &str| {
        two_nodes(
            "        - {object: progs.o, program: xdp_pass, attach: xdp}\n",
            &format!(
                "  - name: filter
    steps:
      - prog_run: {{node: dut, program: xdp_tx, frame: '{}', verdict: XDP_TX, filter: '{flt}'}}
",
                udp(9)
            ),
        )
    };
    // xdp_tx swaps the MACs and decrements the TTL.
    run_yaml(
        &step("ip.ttl == 63 && eth.dst == 02:00:00:00:00:01 && udp.dstport == 9"),
        0,
    );
    let r = run_yaml(&step("ip.ttl == 64 && udp"), 1);
    let m = &r.failed().message;
    assert!(
        m.contains("expected: filter 'ip.ttl == 64 && udp' matches")
            && m.contains("filter: expected ip.ttl == 64 && udp, got no match"),
        "{m}"
    );
    // A filter that does not compile: file:line at load, the column in the filter.
    let err = refused("run", &step("ip.tll == 64"), &[]);
    assert!(err.contains("s.yaml:13: filter: column 1: "), "{err}");
}

#[test]
fn dual_runs_agree_and_a_different_live_program_is_caught() {
    if !common::require_root!() {
        return;
    }
    let tests = format!(
        "  - name: dual
    steps:
      - prog_run: {{node: dut, program: xdp_drop_port, frame: '{p9}', verdict: XDP_DROP, dual: true}}
      - prog_run: {{node: dut, program: xdp_drop_port, frame: '{p10}', verdict: XDP_PASS, dual: true}}
",
        p10 = udp(10),
        p9 = udp(9)
    );
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_drop_port, attach: xdp}\n",
        &tests,
    );
    let s = &run_yaml(&yaml, 0).steps;
    for (step, verdict) in s.iter().zip(["XDP_DROP", "XDP_PASS"]) {
        assert!(
            step.notes
                .contains(&format!("dual: the live link agrees: {verdict}")),
            "{step:?}"
        );
    }
    // The live link runs another program (xdp_drop_other drops port 10, not 9): the first
    // case disagrees, and the step says how.
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_drop_other, attach: xdp}\n",
        &tests.replace("dual: true}", "dual: true, live: xdp_drop_other}"),
    );
    let r = run_yaml(&yaml, 1);
    let m = &r.failed().message;
    assert!(
        m.contains(
            "BPF_PROG_RUN and the live link disagree: PROG_RUN of xdp_drop_port gave XDP_DROP"
        ) && m.contains("the frame out arrived on dut:eth0: passed"),
        "{m}"
    );
}

#[test]
fn dual_at_tc_ingress_looks_past_the_program() {
    if !common::require_root!() {
        return;
    }
    // dut:eth0's receiver sees every frame h1 sends, before tc ingress; dual looks past it
    // (a socket bound to IPv4) and consumes the receiver's copy: expect_none holds after.
    let tests = format!(
        "  - name: dual
    steps:
      - prog_run: {{node: dut, program: tc_drop_port, frame: '{p9}', verdict: TC_ACT_SHOT, dual: true}}
      - prog_run: {{node: dut, program: tc_drop_port, frame: '{p10}', verdict: TC_ACT_OK, dual: true}}
      - expect_none: {{port: dut:eth0}}
      - map_expect: {{node: dut, map: counters, key: 1, value: 2}}
",
        p10 = udp(10),
        p9 = udp(9)
    );
    let yaml = two_nodes(
        "        - {object: progs.o, program: tc_drop_port, attach: tc-ingress}\n",
        &tests,
    );
    let s = &run_yaml(&yaml, 0).steps;
    assert!(
        s[0].notes
            .contains("dual: the live link agrees: TC_ACT_SHOT (the frame arrived on no port"),
        "{:?}",
        s[0]
    );
    assert!(
        s[1].notes.contains(
            "dual: the live link agrees: TC_ACT_OK (the frame arrived on dut:eth0 past tc ingress in"
        ),
        "{:?}",
        s[1]
    );
    // The live link passes everything (tc_pass): PROG_RUN's drop of port 9 disagrees.
    let yaml = two_nodes(
        "        - {object: progs.o, program: tc_pass, attach: tc-ingress}\n",
        &tests.replace("dual: true}", "dual: true, live: tc_pass}"),
    );
    let r = run_yaml(&yaml, 1);
    let m = &r.failed().message;
    assert!(
        m.contains("PROG_RUN of tc_drop_port gave TC_ACT_SHOT (the frame dropped), but on the live link (tc_pass at tc-ingress at dut:eth0, sent from h1:eth0) the frame out arrived on dut:eth0 past tc ingress: passed"),
        "{m}"
    );
}

/// Two hosts over a link with `impair`, and a stream of `count` frames h1 → h2.
fn impaired(impair: &str, count: u64) -> String {
    format!(
        "name: impaired
nodes: {{h1: {{}}, h2: {{}}}}
links:
  - {{ends: [h1:eth0, h2:eth0], impair: {impair}}}
tests:
  - name: stream
    steps:
      - stream: {{from: h1:eth0, to: h2:eth0, count: {count}, rate: 20000, max_loss: 100%, max_reorder: 100%}}
"
    )
}

/// The `lost N` of the stream step's note.
fn lost(r: &Report) -> u64 {
    let note = &r.steps[0].notes;
    let at = note.find("lost ").unwrap_or_else(|| panic!("{note}")) + 5;
    note[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn an_impaired_link_loses_what_its_seed_decides_run_after_run() {
    if !common::require_root!() {
        return;
    }
    let n = 4000;
    let spec = vethbench::impair::ImpairSpec::parse("loss=3%,seed=7").unwrap();
    // The relay decides frame k's fate from the seed, the direction (0: from the first end)
    // and k alone: the frames the stream sends are the only ones on the link.
    let predicted = (0..n)
        .filter(|k| vethbench::impair::Fate::of(&spec, 0, *k).drop)
        .count() as u64;
    let (_d, path) = scenario(&impaired("{loss: 3%, seed: 7}", n));
    let runs: Vec<u64> = (0..2).map(|_| lost(&run_expecting(&path, 0))).collect();
    assert_eq!(runs, [predicted, predicted], "the same seed, other fates");
    // Per sending end: h2 -> h1 impaired only, so h1 -> h2 loses nothing.
    let r = run_yaml(&impaired("{h2:eth0: {loss: 50%, seed: 1}}", 500), 0);
    assert_eq!(lost(&r), 0, "{:#}", r.doc);
    // A key that is not an end of the link, and a bad share: file:line errors.
    for (imp, needle) in [
        (
            "{h3:eth0: {loss: 1%}}",
            "'h3:eth0' is not an end of this link",
        ),
        ("{loss: 120%}", "expected a share from 0% to 100%"),
    ] {
        let err = refused("run", &impaired(imp, 10), &[]);
        assert!(
            err.contains(":4: impair: ") && err.contains(needle),
            "{err}"
        );
    }
    // `up` cannot keep a relay running: refused, one line.
    let err = refused(
        "up",
        &impaired("{loss: 1%}", 10),
        &["--prefix", &common::unique_name("vbI")],
    );
    assert!(
        err.contains("cannot keep the impaired link h1:eth0 - h2:eth0"),
        "{err}"
    );
}

/// examples/bpf-xdp.yaml beside its object built from examples/bpf-xdp.c, with `from`
/// replaced by `to` (a wrong twin) when given, run: it must exit `want`.
fn example(twin: Option<(&str, &str)>, want: i32) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    build(&ex.join("bpf-xdp.c"), &dir.path().join("bpf-xdp.o"));
    let mut yaml = std::fs::read_to_string(ex.join("bpf-xdp.yaml")).unwrap();
    if let Some((from, to)) = twin {
        assert_eq!(yaml.matches(from).count(), 1, "'{from}' must occur once");
        yaml = yaml.replacen(from, to, 1);
    }
    let path = dir.path().join("bpf-xdp.yaml");
    std::fs::write(&path, yaml).unwrap();
    run_expecting(&path, want)
}

#[test]
fn the_xdp_example_passes_and_its_wrong_twin_fails_at_the_dual_run() {
    if !common::require_root!() {
        return;
    }
    example(None, 0);
    // The twin expects the blocked port to pass: PROG_RUN says XDP_DROP.
    let r = example(
        Some((
            "verdict: XDP_DROP\n          dual: true          #",
            "verdict: XDP_PASS\n          dual: true          #",
        )),
        1,
    );
    let f = r.failed();
    assert_eq!(f.keyword, "prog_run");
    assert!(
        f.message.contains("expected XDP_PASS, got XDP_DROP"),
        "{}",
        f.message
    );
    // The report shows the maps: the blocked port and the per-CPU counters' sum (the
    // PROG_RUN that failed counted its drop too).
    assert!(
        f.notes.contains("map blocked (dut bpf-xdp.o): 53 = 1")
            && f.notes
                .contains("map stats (dut bpf-xdp.o): 0 = {passed: 1, dropped: 2} (per CPU: ["),
        "{}",
        f.notes
    );
}

#[test]
fn dual_xdp_tx_agrees_in_the_generic_path_and_shows_native_veths_missing_napi() {
    if !common::require_root!() {
        return;
    }
    let tests = format!(
        "  - name: tx
    steps:
      - prog_run: {{node: dut, program: xdp_tx, frame: '{}', verdict: XDP_TX, dual: true}}
",
        udp(9)
    );
    let generic = two_nodes(
        "        - {object: progs.o, program: xdp_tx, attach: xdp-generic}\n",
        &tests,
    );
    let r = run_yaml(&generic, 0);
    assert!(
        r.steps[0]
            .notes
            .contains("dual: the live link agrees: XDP_TX (the frame out arrived on h1:eth0"),
        "{:#}",
        r.doc
    );
    // Native XDP on veth: XDP_TX needs NAPI on the peer (an XDP program or GRO there), which
    // h1:eth0 has not, so the kernel drops what BPF_PROG_RUN sends back: dual says so.
    let r = run_yaml(&generic.replace("attach: xdp-generic", "attach: xdp"), 1);
    let m = &r.failed().message;
    assert!(
        m.contains("gave XDP_TX (the frame sent back out (XDP_TX), expected on h1:eth0), but on the live link")
            && m.contains("arrived on no port within 1000 ms: dropped"),
        "{m}"
    );
}

#[test]
fn a_missing_capability_is_named() {
    if !common::require_root!() {
        return;
    }
    // Root without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (setpriv drops them from the bounding
    // set, so the exec'd binary has none of them): loading fails with the capabilities named.
    let obj = objects().join("progs.o");
    let o = Command::new("setpriv")
        .args([
            "--bounding-set",
            "-bpf,-perfmon,-sys_admin",
            "--inh-caps",
            "-all",
        ])
        .arg(common::bin_path())
        .args(["bpf", "run"])
        .arg(&obj)
        .args(["-p", "xdp_pass", &udp(9)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs CAP_BPF and CAP_NET_ADMIN"), "{err}");
}

#[test]
fn sigkill_of_the_runner_leaves_no_program_loaded() {
    if !common::require_root!() {
        return;
    }
    // A step writes the attached program's id to a file, then the run waits; it is killed.
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_pass, attach: xdp}\n",
        "  - name: long
    steps:
      - exec: {node: dut, run: \"bpftool net show dev eth0 | sed -n 's/.*driver id \\\\([0-9]*\\\\).*/\\\\1/p' > id.txt\"}
      - exec: {node: dut, run: 'sleep 20', timeout: 30s}
",
    );
    let (d, path) = scenario(&yaml);
    let mut child = common::vethbench().arg("run").arg(&path).spawn().unwrap();
    let idf = d.path().join("id.txt");
    let t0 = std::time::Instant::now();
    let id = loop {
        let s = std::fs::read_to_string(&idf).unwrap_or_default();
        if !s.trim().is_empty() {
            break s.trim().to_string();
        }
        assert!(t0.elapsed().as_secs() < 20, "no program id written");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        common::run_ok("bpftool", &["prog", "show", "id", &id]).contains("xdp_pass"),
        "program {id} not loaded while the run lasts"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // The kernel frees a program once its last reference (our fds, the link) goes.
    let t0 = std::time::Instant::now();
    loop {
        let o = Command::new("bpftool")
            .args(["prog", "show", "id", &id])
            .output()
            .unwrap();
        if !o.status.success() {
            break;
        }
        assert!(
            t0.elapsed().as_secs() < 5,
            "program {id} still loaded after SIGKILL: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
