//! `vethbench bench send`: no scratch files left when a tool fails; the qdisc-bypass path.

use super::*;

#[test]
fn bench_send_leaves_no_scratch_files_when_a_tool_fails() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = common::vethbench()
        .env("TMPDIR", tmp.path())
        .args([
            "bench",
            "send",
            "--count",
            "10",
            "--tools",
            "tcpreplay,nosuchtool",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown tool 'nosuchtool'"),
        "{}",
        stderr(&out)
    );
    // Refused before anything ran.
    assert!(!stderr(&out).contains("running"), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "scratch files left behind: {left:?}");
    // A tool that cannot run (not on PATH) ends the bench early: the scratch files go too.
    let empty = tempfile::tempdir().unwrap();
    let out = common::vethbench()
        .env("TMPDIR", tmp.path())
        .env("PATH", empty.path())
        .args(["bench", "send", "--count", "10", "--tools", "tcpreplay"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is it installed?"),
        "{}",
        stderr(&out)
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "scratch files left behind: {left:?}");
}

#[test]
fn bench_send_compares_the_qdisc_bypass_path_too() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    // trafgen bypasses the qdisc by default: the bench also runs vethbench that way.
    let out = run(&[
        "bench",
        "send",
        "--count",
        "2000",
        "--tools",
        "vethbench,vethbench-bypass",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for tool in ["vethbench send --count", "vethbench --qdisc-bypass"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(tool))
            .unwrap_or_else(|| panic!("no row for {tool}: {text}"));
        let received: u64 = line[tool.len()..]
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        assert_eq!(received, 2000, "{line}");
    }
}

#[test]
fn bench_replay_prints_each_rounds_gap_errors_and_the_table() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    let out = run(&[
        "bench",
        "replay",
        "--timing-only",
        "--rounds",
        "2",
        "--timing-frames",
        "300",
        "--gaps",
        "50us,200us",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("gaps 50us,200us in turn"), "{text}");
    // One line per round: both tools' p99 in µs and the ratio.
    for round in ["1 ", "2 "] {
        let line = text
            .lines()
            .find(|l| l.starts_with(round) && l.contains("µs"))
            .unwrap_or_else(|| panic!("no line for round {round}: {text}"));
        // "N  ours µs  theirs µs  ratio ...": the ratio is ours / theirs of the unrounded
        // figures, printed to two decimals (0.00 when tcpreplay's tail was huge on a loaded
        // machine); the µs columns are rounded to 0.1, so within 1% and the last digit.
        let cols: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| -> f64 { cols[i].parse().unwrap_or_else(|_| panic!("{line}")) };
        let (ours, theirs, ratio) = (num(1), num(3), num(5));
        assert!(ours > 0.0 && theirs > 0.0 && ratio.is_finite(), "{line}");
        let want = ours / theirs;
        assert!((ratio - want).abs() <= 0.006 + 0.01 * want, "{line}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("replay p99 gap error"))
        .unwrap_or_else(|| panic!("no table row: {text}"));
    assert!(
        row.contains("tcpreplay") && row.contains("<= 0.50"),
        "{row}"
    );
    assert!(!text.contains("topspeed"), "--timing-only: {text}");
    // A bad gap: one line, exit 2.
    let bad = run(&["bench", "replay", "--gaps", "20us,0"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("longer than 0"), "{}", stderr(&bad));
}

#[test]
fn bench_all_prints_one_table_or_json() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    // --quick: every comparison, small (a row each, numeric ratios; no time is asserted).
    let out = run(&["bench", "all", "--quick", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let figs: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let figs = figs.as_array().unwrap();
    let names: Vec<String> = figs
        .iter()
        .map(|f| format!("{} / {}", f["figure"], f["reference_name"]))
        .collect();
    for want in [
        "send (frames/s)",
        "test verifying (frames/s)",
        "test --flows 1000",
        "test latency p50",
        "replay p99 gap error",
        "replay --topspeed",
        "capture -c N CPU per frame",
        "read -Y (frames/s)",
        "diff A B (s)",
        "scenario step filter: p50",
    ] {
        assert!(
            names.iter().any(|n| n.contains(want)),
            "{want} not in {names:?}"
        );
    }
    for f in figs {
        let (v, r, ratio) = (
            f["vethbench"].as_f64().unwrap(),
            f["reference"].as_f64().unwrap(),
            f["ratio"].as_f64().unwrap(),
        );
        assert!(ratio.is_finite() && ratio > 0.0, "{f}");
        assert_eq!(f["rounds"].as_u64(), Some(1), "--quick is one round: {f}");
        assert!((ratio - v / r).abs() <= 1e-6 * ratio.abs().max(1.0), "{f}");
        assert!(f["load_avg"].as_f64().is_some(), "{f}");
    }
    // The benches' own rows went to stderr.
    assert!(
        stderr(&out).contains("== bench replay =="),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bench_diff_checks_the_changed_count_and_prints_its_figure() {
    let _one_at_a_time = exclusive();
    // No root needed: files only. 2,000 frames, every 100th different: the bench itself fails
    // when `diff --json` does not count exactly 20 changed frames.
    let tmp = tempfile::tempdir().unwrap();
    let out = common::vethbench()
        .env("TMPDIR", tmp.path())
        .args([
            "bench", "diff", "--count", "2000", "--every", "100", "--rounds", "2",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("20 differ"), "{text}");
    for round in ["round 1:", "round 2:"] {
        assert!(text.lines().any(|l| l.starts_with(round)), "{text}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("diff A B (s)"))
        .unwrap_or_else(|| panic!("no table row: {text}"));
    assert!(
        row.contains("read A + read B") && row.contains("<= 2.00"),
        "{row}"
    );
    // Scratch files removed.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
