//! Issue 13, item 17: `-n` means `--netns` in every subcommand, `veth add` included, and every
//! positional argument has help text.

use super::*;

/// `veth add A --peer B -n NS` and `--netns NS` make the same pair: both ends in NS (like
/// `ip -n NS link add`); `--peer-netns` still moves the peer.
#[test]
fn veth_add_short_and_long_netns_mean_the_same() {
    if !common::require_root!() {
        return;
    }
    let ns = common::unique_name("vbnf");
    let other = common::unique_name("vbng");
    let _cleanup = NetnsCleanup(vec![ns.clone(), other.clone()]);
    vb_ok(&["netns", "add", &ns]);
    vb_ok(&["netns", "add", &other]);
    for (i, flag) in ["-n", "--netns"].into_iter().enumerate() {
        let (a, b) = (format!("vbnf{i}a"), format!("vbnf{i}b"));
        vb_ok(&["veth", "add", &a, "--peer", &b, flag, &ns]);
        for end in [&a, &b] {
            let shown = common::run_ok("ip", &["-n", &ns, "-o", "link", "show", end]);
            assert!(
                shown.contains(end.as_str()),
                "{flag}: {end} not in {ns}: {shown}"
            );
        }
    }
    vb_ok(&[
        "veth",
        "add",
        "vbnf2a",
        "--peer",
        "vbnf2b",
        "-n",
        &ns,
        "--peer-netns",
        &other,
    ]);
    common::run_ok("ip", &["-n", &ns, "-o", "link", "show", "vbnf2a"]);
    common::run_ok("ip", &["-n", &other, "-o", "link", "show", "vbnf2b"]);
}

#[test]
fn positional_arguments_have_help() {
    for (args, needle) in [
        (&["veth", "peer", "--help"][..], "The veth end whose peer"),
        (&["netns", "add", "--help"][..], "The new namespace's name"),
        (&["netns", "del", "--help"][..], "The namespace's name"),
        (&["netns", "exec", "--help"][..], "The namespace: a name"),
    ] {
        let out = vb_ok(args);
        assert!(out.contains(needle), "{args:?}: {out}");
    }
}
