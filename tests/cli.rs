//! The binary's contract: help works, bad usage exits 2 with one line.

mod common;

#[test]
fn help_exits_zero_and_lists_subcommands() {
    let out = common::vethbench().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "send", "capture", "read", "veth", "netns", "ping", "test", "bench",
    ] {
        assert!(text.contains(sub), "--help does not list '{sub}':\n{text}");
    }
}

#[test]
fn unknown_subcommand_exits_two() {
    let out = common::vethbench().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
