//! Large topologies and the open-file limit (issue 21, defect 11): a limit too low for the
//! topology is EMFILE, said with the limit and how to raise it, never "interface ... does not
//! exist"; a soft limit below the hard one is raised for the run (and given back to the
//! commands it runs); and the run's exit follows its reported duration (the sockets and
//! namespaces go inside it, and fast: closing 400 packet sockets one after another took 11 s).

use std::process::Command;
use std::time::Instant;

use super::common;
use super::text;

/// A scenario of `n` nodes in a chain (`nI:r` - `nI+1:l`), one frame across the first link,
/// and `extra` appended to its tests.
fn chain(n: usize, extra: &str) -> String {
    let mut y = format!("name: chain of {n}\nnodes:\n");
    for i in 0..n {
        y += &format!("  n{i}: {{}}\n");
    }
    y += "links:\n";
    for i in 0..n - 1 {
        y += &format!("  - [n{i}:r, n{}:l]\n", i + 1);
    }
    let f = r#"'Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(dport=9)/"hi"'"#;
    y += &format!(
        "tests:\n  - name: one frame\n    steps:\n      - send: {{port: n0:r, frame: {f}}}\n      - expect: {{port: n1:l, frame: {f}}}\n"
    );
    y + extra
}

/// `prlimit --nofile=SOFT:HARD vethbench ARGS`.
fn limited(soft: u32, hard: u32, args: &[&str]) -> std::process::Output {
    Command::new("prlimit")
        .arg(format!("--nofile={soft}:{hard}"))
        .arg(common::bin_path())
        .args(args)
        .output()
        .expect("prlimit (util-linux)")
}

#[test]
fn a_limit_too_low_for_the_topology_is_emfile_with_the_limit() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.yaml");
    // 12 nodes, 22 ports: more than 64 files; and its commands see the soft limit given.
    let extra = "  - name: the commands get the soft limit back\n    steps:\n      - exec: {node: n0, run: 'ulimit -Sn', expect_output: '^64$'}\n";
    std::fs::write(&path, chain(12, extra)).unwrap();
    let p = path.to_str().unwrap();
    let o = limited(64, 64, &["run", p]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{}", text(&o));
    assert!(err.starts_with("vethbench: "), "{}", text(&o));
    for want in ["too many open files (EMFILE)", "may open 64", "ulimit -Hn"] {
        assert!(err.contains(want), "no {want:?}: {}", text(&o));
    }
    assert!(!err.contains("does not exist"), "{}", text(&o));
    // The hard limit allows it: the soft one is raised for the run, the commands get 64.
    let o = limited(64, 4096, &["run", p]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn the_exit_follows_the_reported_duration() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.yaml");
    std::fs::write(&path, chain(200, "")).unwrap();
    let t0 = Instant::now();
    let o = common::vethbench()
        .args(["run", "--json", path.to_str().unwrap()])
        .output()
        .unwrap();
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let reported = v["files"][0]["duration_s"].as_f64().unwrap();
    // Before: 1.5 s reported, 12.7 s to exit (the sockets closed after the report, one by one).
    assert!(
        wall < 1.5 * reported,
        "the run said {reported:.3} s and took {wall:.3} s to exit"
    );
    // And the teardown (what is neither setup nor a test) is quick: less than the setup.
    let file = &v["files"][0];
    let setup = file["setup_s"].as_f64().unwrap();
    let tests: f64 = file["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["duration_s"].as_f64().unwrap())
        .sum();
    let teardown = reported - setup - tests;
    assert!(
        teardown < setup,
        "setup {setup:.3} s, tests {tests:.3} s, teardown {teardown:.3} s"
    );
}
