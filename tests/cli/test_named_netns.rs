//! `-n NS`: interfaces in a named namespace the test creates (unique name), deleted by a
//! guard even when the test fails.

use super::common;

/// `ip netns add NAME` now, `ip netns del NAME` on drop.
struct NamedNetnsGuard(String);

impl NamedNetnsGuard {
    fn new(prefix: &str) -> Self {
        let name = common::unique_name(prefix);
        common::run_ok("ip", &["netns", "add", &name]);
        NamedNetnsGuard(name)
    }
}

impl Drop for NamedNetnsGuard {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

#[test]
fn test_with_netns_flag_finds_the_pair_there() {
    if !common::require_root!() {
        return;
    }
    let ns = NamedNetnsGuard::new("vbtn");
    let n = ns.0.clone();
    for args in [
        vec!["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"],
        vec!["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
    ] {
        let mut a = vec!["netns", "exec", &n];
        a.extend(args);
        common::run_ok("ip", &a);
    }
    common::run_ok(
        "ip",
        &[
            "-n", &n, "link", "add", "vn0", "type", "veth", "peer", "name", "vn1",
        ],
    );
    for d in ["vn0", "vn1"] {
        common::run_ok("ip", &["-n", &n, "link", "set", d, "up"]);
    }
    // Run from a fresh namespace where vn0/vn1 do not exist: only -n can find them.
    let outs = common::in_private_netns(move || {
        let run = |extra: &[&str]| {
            common::vethbench()
                .args(["test", "--tx", "vn0", "--rx", "vn1", "--json"])
                .args(extra)
                .output()
                .unwrap()
        };
        (
            run(&["-n", &n, "--count", "2000"]),
            run(&["-n", &n, "--mode", "rtt", "--count", "500"]),
            run(&["--count", "10"]),
        )
    });
    for (out, sent) in [(&outs.0, 2000), (&outs.1, 500)] {
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["sent"], sent, "{text}");
        assert_eq!(v["intact"], sent, "{text}");
        assert_eq!(v["tx_iface"], "vn0");
    }
    let (no_ns, err) = (&outs.2, String::from_utf8_lossy(&outs.2.stderr));
    assert_eq!(no_ns.status.code(), Some(2), "{err}");
    assert!(err.contains("vn0") && err.lines().count() == 1, "{err}");
    drop(ns);
}

#[test]
fn missing_netns_is_an_error_on_one_line() {
    if !common::require_root!() {
        return;
    }
    let name = common::unique_name("vbnone");
    let out = common::vethbench()
        .args(["test", "--tx", "a0", "--rx", "a1", "-n", &name])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&name) && err.lines().count() == 1, "{err}");
}

/// A missing interface in a namespace given with `-n` is named with that namespace, once,
/// by `test`, `send` and `capture` alike.
#[test]
fn missing_interface_names_the_netns() {
    if !common::require_root!() {
        return;
    }
    let ns = NamedNetnsGuard::new("vbmi");
    let want = format!(
        "vethbench: error: in network namespace '{}': interface 'vbnone0' does not exist",
        ns.0
    );
    for args in [
        &["test", "--tx", "vbnone0", "--rx", "vbnone1", "-n", &ns.0][..],
        &["send", "-i", "vbnone0", "-q", "-n", &ns.0],
        &["capture", "vbnone0", "-c", "1", "-n", &ns.0],
        &["veth", "peer", "vbnone0", "-n", &ns.0],
    ] {
        let out = common::vethbench().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end(), want, "{args:?}");
    }
}
