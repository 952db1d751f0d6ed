//! The binary's contract: help works, bad usage exits 2 with one line; and `vethbench test`
//! from the command line, one module per topic (`test_*`). The other subcommands are tested
//! in their own binaries (`send`, `capture`, `read`, `topology`); the `Testbench` API in
//! `harness`.

#[path = "../common/mod.rs"]
mod common;

mod conventions;
mod test_cmd;
mod test_existing;
mod test_flows;
mod test_frame;
mod test_interrupt;
mod test_named_netns;

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
