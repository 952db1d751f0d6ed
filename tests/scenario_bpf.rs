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

/// Every step of every test of the report: (test, keyword, outcome, message, notes joined).
fn steps(doc: &serde_json::Value) -> Vec<(String, String, String, String, String)> {
    let mut v = Vec::new();
    for t in doc["files"][0]["tests"].as_array().into_iter().flatten() {
        for s in t["steps"].as_array().into_iter().flatten() {
            let notes: Vec<String> = s["notes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| n.as_str().unwrap_or("").to_string())
                .collect();
            v.push((
                t["name"].as_str().unwrap_or("").to_string(),
                s["keyword"].as_str().unwrap_or("").to_string(),
                s["outcome"].as_str().unwrap_or("").to_string(),
                s["message"].as_str().unwrap_or("").to_string(),
                notes.join("\n"),
            ));
        }
    }
    v
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
        let (_d, path) = scenario(&yaml);
        let (code, doc, err) = run_json(&path);
        assert_eq!(code, 0, "{hook}: {err}\n{doc:#}");
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
    let (_d, path) = scenario(&yaml);
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 0, "tc-egress: {err}\n{doc:#}");
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
    let (_d, path) = scenario(&yaml);
    let o = common::vethbench().arg("run").arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the verifier rejected 'xdp_bad'") && err.contains("invalid access to packet"),
        "{err}"
    );
    // `up` keeps no process to hold programs: refused in one line before anything is made.
    let prefix = common::unique_name("vbB");
    let o = common::vethbench()
        .arg("up")
        .arg(&path)
        .args(["--prefix", &prefix])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
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
        let (_d, p) = scenario(&yaml.replace(from, to));
        let o = common::vethbench().arg("run").arg(&p).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
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
    let (_d, path) = scenario(&yaml);
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    // A wrong member value fails, naming the member, and the report shows the maps.
    let bad = yaml.replace("fields: {packets: 3}", "fields: {packets: 4}");
    let (_d, path) = scenario(&bad);
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 1, "{err}\n{doc:#}");
    let failed: Vec<_> = steps(&doc)
        .into_iter()
        .filter(|s| s.2 == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{doc:#}");
    let (_, kw, _, msg, notes) = &failed[0];
    assert_eq!(kw, "map_expect");
    assert!(msg.contains("packets: expected 4, got 3"), "{msg}");
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
    let (_d, path) = scenario(&yaml);
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    let s = steps(&doc);
    assert!(
        s[0].4.starts_with("xdp_drop_port: XDP_DROP (1000 runs, ")
            && s[0].4.contains(" ns per run, the kernel's figure)"),
        "{:?}",
        s[0]
    );
    // Wrong verdict and wrong frame out: each said.
    let bad = yaml
        .replacen("verdict: XDP_TX", "verdict: XDP_PASS", 1)
        .replacen("ttl=63", "ttl=62", 1);
    let (_d, path) = scenario(&bad);
    let (code, doc, _) = run_json(&path);
    assert_eq!(code, 1, "{doc:#}");
    let failed: Vec<_> = steps(&doc)
        .into_iter()
        .filter(|s| s.2 == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{doc:#}");
    assert!(
        failed[0].3.contains("expected XDP_PASS, got XDP_TX"),
        "{}",
        failed[0].3
    );
    assert!(failed[0].3.contains("ip.ttl"), "{}", failed[0].3);
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
    let (_d, path) = scenario(&yaml);
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    let s = steps(&doc);
    assert!(
        s[0].4.contains("dual: the live link agrees: XDP_DROP"),
        "{:?}",
        s[0]
    );
    assert!(
        s[1].4.contains("dual: the live link agrees: XDP_PASS"),
        "{:?}",
        s[1]
    );
    // The live link runs another program (xdp_drop_other drops port 10, not 9): the first
    // case disagrees, and the step says how.
    let yaml = two_nodes(
        "        - {object: progs.o, program: xdp_drop_other, attach: xdp}\n",
        &tests.replace("dual: true}", "dual: true, live: xdp_drop_other}"),
    );
    let (_d, path) = scenario(&yaml);
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 1, "{err}\n{doc:#}");
    let failed: Vec<_> = steps(&doc)
        .into_iter()
        .filter(|s| s.2 == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{doc:#}");
    assert!(
        failed[0].3.contains(
            "BPF_PROG_RUN and the live link disagree: PROG_RUN of xdp_drop_port gave XDP_DROP"
        ) && failed[0]
            .3
            .contains("the frame out arrived on dut:eth0: passed"),
        "{}",
        failed[0].3
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
fn lost(doc: &serde_json::Value) -> u64 {
    let s = steps(doc);
    let note = &s[0].4;
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
    let mut runs = Vec::new();
    for _ in 0..2 {
        let (code, doc, err) = run_json(&path);
        assert_eq!(code, 0, "{err}\n{doc:#}");
        runs.push(lost(&doc));
    }
    assert_eq!(runs, [predicted, predicted], "the same seed, other fates");
    // Per sending end: h2 -> h1 impaired only, so h1 -> h2 loses nothing.
    let (_d, path) = scenario(&impaired("{h2:eth0: {loss: 50%, seed: 1}}", 500));
    let (code, doc, err) = run_json(&path);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    assert_eq!(lost(&doc), 0, "{doc:#}");
    // A key that is not an end of the link, and a bad share: file:line errors.
    for (imp, needle) in [
        (
            "{h3:eth0: {loss: 1%}}",
            "'h3:eth0' is not an end of this link",
        ),
        ("{loss: 120%}", "expected a share from 0% to 100%"),
    ] {
        let (_d, path) = scenario(&impaired(imp, 10));
        let (code, _, err) = run_json(&path);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(":4: impair: ") && err.contains(needle),
            "{err}"
        );
    }
    // `up` cannot keep a relay running: refused, one line.
    let (_d, path) = scenario(&impaired("{loss: 1%}", 10));
    let o = common::vethbench()
        .arg("up")
        .arg(&path)
        .args(["--prefix", &common::unique_name("vbI")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot keep the impaired link h1:eth0 - h2:eth0"),
        "{err}"
    );
}

/// examples/bpf-xdp.yaml beside its object built from examples/bpf-xdp.c, with `from`
/// replaced by `to` (a wrong twin) when given: exit code and report.
fn example(twin: Option<(&str, &str)>) -> (i32, serde_json::Value, String) {
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
    run_json(&path)
}

#[test]
fn the_xdp_example_passes_and_its_wrong_twin_fails_at_the_dual_run() {
    if !common::require_root!() {
        return;
    }
    let (code, doc, err) = example(None);
    assert_eq!(code, 0, "{err}\n{doc:#}");
    // The twin expects the blocked port to pass: PROG_RUN says XDP_DROP.
    let (code, doc, err) = example(Some((
        "verdict: XDP_DROP\n          dual: true          #",
        "verdict: XDP_PASS\n          dual: true          #",
    )));
    assert_eq!(code, 1, "{err}\n{doc:#}");
    let failed: Vec<_> = steps(&doc)
        .into_iter()
        .filter(|s| s.2 == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{doc:#}");
    assert_eq!(failed[0].1, "prog_run");
    assert!(
        failed[0].3.contains("expected XDP_PASS, got XDP_DROP"),
        "{}",
        failed[0].3
    );
    // The report shows the maps: the blocked port and the per-CPU counters' sum (the
    // PROG_RUN that failed counted its drop too).
    assert!(
        failed[0].4.contains("map blocked (dut bpf-xdp.o): 53 = 1")
            && failed[0]
                .4
                .contains("map stats (dut bpf-xdp.o): 0 = {passed: 1, dropped: 2} (per CPU: ["),
        "{}",
        failed[0].4
    );
}
