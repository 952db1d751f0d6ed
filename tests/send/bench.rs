//! `vethbench bench send`: no scratch files left when a tool fails; the qdisc-bypass path.
//! `vethbench bench xdp`: both rows, finite ratios, no XDP program left behind.

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
        "AF_XDP receive (frames/s)",
        "AF_XDP transmit, at the peer (frames/s)",
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

/// `bpftool prog show name xsk_redirect` (the bench's XDP program), or None without bpftool.
fn xsk_progs() -> Option<String> {
    let out = std::process::Command::new("bpftool")
        .args(["prog", "show", "name", "xsk_redirect"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The XDP programs attached in the host's namespace (`ip -d link`'s "prog/xdp" lines).
fn host_xdp() -> Vec<String> {
    let out = std::process::Command::new("ip")
        .args(["-d", "link", "show"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("xdp"))
        .map(str::to_string)
        .collect()
}

#[test]
fn bench_xdp_prints_both_directions_and_leaves_no_program() {
    if !common::require_root!() {
        return;
    }
    if std::process::Command::new("clang")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: bench xdp builds its XDP program with clang");
        return;
    }
    let host_before = host_xdp();
    let out = run(&["bench", "xdp", "--count", "20000", "--rounds", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // Each path's row: rx takes exactly N, tx's peer count is at most N (AF_XDP copy mode
    // completes a frame the peer's backlog dropped).
    for (dir, path) in [
        ("rx", "AF_XDP"),
        ("rx", "AF_PACKET"),
        ("tx", "AF_XDP"),
        ("tx", "AF_PACKET"),
        ("tx", "AF_PACKET-bypass"),
    ] {
        let row: Vec<&str> = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|t| t.len() == 7 && t[1] == dir && t[2] == path)
            .unwrap_or_else(|| panic!("no {dir} {path} row: {text}"));
        let frames: u64 = row[3].parse().unwrap();
        let pps: f64 = row[4].parse().unwrap();
        let ns: f64 = row[5].parse().unwrap();
        if dir == "rx" {
            assert_eq!(frames, 20000, "{row:?}");
        } else {
            assert!(frames > 0 && frames <= 20000, "{row:?}");
        }
        assert!(pps > 0.0 && pps.is_finite(), "{row:?}");
        assert!(ns > 0.0 && ns.is_finite(), "{row:?}");
    }
    // The table's rows, one per direction, with finite ratios (the token before the spread).
    for fig in [
        "AF_XDP receive (frames/s)",
        "AF_XDP transmit, at the peer (frames/s)",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(fig))
            .unwrap_or_else(|| panic!("no table row {fig}: {text}"));
        let t: Vec<&str> = line.split_whitespace().collect();
        let spread = t
            .iter()
            .position(|w| {
                w.split_once('-')
                    .is_some_and(|(a, b)| a.parse::<f64>().is_ok() && b.parse::<f64>().is_ok())
            })
            .unwrap_or_else(|| panic!("no spread in {line}"));
        let ratio: f64 = t[spread - 1].parse().unwrap();
        assert!(ratio.is_finite() && ratio > 0.0, "{line}");
    }
    assert!(
        text.contains("XDP native") || text.contains("XDP generic"),
        "{text}"
    );
    // Nothing attached: the pair's namespace is gone with its links, the host's links carry
    // what they did before, and the program is not loaded anywhere (its link and fds went
    // with the process).
    assert_eq!(host_xdp(), host_before);
    if let Some(left) = xsk_progs() {
        assert!(left.trim().is_empty(), "XDP program left loaded: {left}");
    }
}
