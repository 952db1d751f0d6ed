//! `vethbench bench send`: no scratch files left when a tool fails; the qdisc-bypass path.

use super::*;

#[test]
fn bench_send_leaves_no_scratch_files_when_a_tool_fails() {
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
