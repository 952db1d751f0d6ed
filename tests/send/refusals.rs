//! What `send` refuses, and how: one line and exit 2, a missing CAP_NET_RAW named, fields
//! the frame does not have; a closed output pipe ends it quietly, and so does a closed stderr.

use super::*;

#[test]
fn bad_input_is_one_line_and_exit_two() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("va", "vb");
        let base = ["send", "-i", "va", "-q"];
        fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
            [base, extra].concat()
        }
        refused(
            &with(&base, &["--dst-mac", "02:00:00:00:00"]),
            "invalid MAC address '02:00:00:00:00'",
        );
        refused(
            &with(&base, &["--src-mac", "zz:00:00:00:00:01"]),
            "invalid MAC address",
        );
        refused(
            &with(&base, &["--dst-ip", "198.18.0.300"]),
            "invalid IP address '198.18.0.300'",
        );
        refused(
            &with(&base, &["--src-ip", "2001:2::1", "--dst-ip", "198.18.0.2"]),
            "same IP version",
        );
        refused(&with(&base, &["--flags", "SYN"]), "invalid TCP flags 'SYN'");
        // sendmmsg takes at most 1024 frames a call: a larger batch is refused, not allocated
        // (this one used to abort on a 5 TB allocation with a backtrace).
        refused(
            &with(
                &base,
                &["--count", "100000000000", "--batch", "100000000000"],
            ),
            "--batch",
        );
        refused(
            &with(&base, &["--cpu", "4096"]),
            "CPU 4096 is not one this process may use",
        );
        let first = vethbench::sys::cpu::allowed()[0].to_string();
        let out = common::vethbench()
            .args(with(&base, &["--cpu", &first, "--count", "100"]))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        refused(
            &["send", "-i", "nosuch0", "-q"],
            "interface 'nosuch0' does not exist",
        );
        let big = "x".repeat(1500);
        refused(
            &with(&base, &["--msg", &big]),
            "too large for 'va' (MTU 1500",
        );
        // A bridge is not in the list of virtual kinds: refused like a physical NIC would be.
        common::run_ok("ip", &["link", "add", "br0", "type", "bridge"]);
        common::run_ok("ip", &["link", "set", "br0", "up"]);
        refused(&["send", "-i", "br0", "-q"], "--allow-physical");
        common::run_ok("ip", &["link", "set", "va", "down"]);
        refused(&base, "interface 'va' is down");
    });
}

#[test]
fn missing_cap_net_raw_is_named() {
    if !common::require_root!() {
        return;
    }
    if std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("setpriv (util-linux) is needed: apt-get install util-linux");
    }
    common::in_private_netns(|| {
        common::veth_pair("va", "vb");
        // Still root, but CAP_NET_RAW is out of the bounding set, so the exec'd binary lacks it.
        let out = std::process::Command::new("setpriv")
            .args(["--inh-caps=-all", "--bounding-set=-net_raw", "--"])
            .arg(common::bin_path())
            .args(["send", "-i", "va", "-q", "--dst-mac", "02:00:00:00:00:02"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("CAP_NET_RAW"), "{err}");
        assert!(err.contains("setcap"), "no hint how to get it: {err}");
        // Without --dst-mac, Scapy's broadcast warning is not printed before the error, nor
        // the frame (issue 13, item 14): the error is the one line.
        let out = std::process::Command::new("setpriv")
            .args(["--inh-caps=-all", "--bounding-set=-net_raw", "--"])
            .arg(common::bin_path())
            .args(["send", "-i", "va"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("CAP_NET_RAW"), "{err}");
        assert_eq!(stdout(&out), "", "the frame was printed before the error");
        // Dry run needs no privilege at all.
        let out = std::process::Command::new("setpriv")
            .args(["--inh-caps=-all", "--bounding-set=-all", "--"])
            .arg(common::bin_path())
            .args(["send", "-i", "va", "--dry-run", "--msg", "123"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("load      = '123'"));
    });
}

#[test]
fn fields_the_frame_does_not_have_are_refused_not_ignored() {
    // Dry runs: no privilege needed. Scapy refuses a field its layer lacks; so do we.
    let dry = ["send", "--dry-run", "-q"];
    let with = |extra: &[&'static str]| [&dry[..], extra].concat();
    refused(
        &with(&["--udp", "--flags", "SA"]),
        "'--udp' cannot be used with",
    );
    refused(
        &with(&["--udp", "--seq", "5"]),
        "'--udp' cannot be used with",
    );
    refused(
        &with(&["--icmp", "--dport", "80"]),
        "'--icmp' cannot be used with",
    );
    refused(
        &with(&["--icmp", "--window", "1"]),
        "'--icmp' cannot be used with",
    );
    refused(
        &with(&["--src-ip", "2001:2::1", "--ip-id", "5"]),
        "--ip-id and --df are IPv4 header fields",
    );
    refused(
        &with(&["--dst-ip", "2001:2::2", "--df"]),
        "--ip-id and --df are IPv4 header fields",
    );
    // What does apply still builds.
    let out = run(&with(&["--udp", "--sport", "5", "--ip-id", "7", "--df"]));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // `vethbench send --dry-run | head -1`, `vethbench veth list | head`: the reader is gone,
    // so writing fails with EPIPE. No panic and no backtrace; exit 0, as ripgrep does.
    use std::os::fd::OwnedFd;
    let (read_end, write_end): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    drop(read_end);
    let out = common::vethbench()
        .args([
            "send",
            "--dry-run",
            "--dst-mac",
            "02:00:00:00:00:02",
            "--hex",
        ])
        .stdout(std::process::Stdio::from(write_end))
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

/// Standard error a closed pipe too (`2>&1 | head -1` once the reader left): an error still
/// exits 2 and a warning ends the command quietly (exit 0), neither with a panic (101).
#[test]
fn errors_into_a_closed_stderr_exit_without_a_panic() {
    use std::os::fd::OwnedFd;
    for (args, code) in [
        (&["read", "/nonexistent/x.pcapng"][..], 2),
        (&["send", "--no-such-flag"][..], 2),
        // The broadcast warning is the first line written.
        (&["send", "--dry-run", "-q"][..], 0),
    ] {
        let (read_end, write_end): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
        drop(read_end);
        let out = common::vethbench()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::from(write_end))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}");
    }
}

/// Issue 21 item 2 and item 4 through the CLI: 8000 parentheses (a stack overflow, exit 134,
/// before) and a wrapped length are one line and exit 2, and the long expression is cut in it.
#[test]
fn deep_nesting_and_lengths_that_do_not_fit_are_one_line() {
    let deep = format!("{}Ether(){}", "(".repeat(8000), ")".repeat(8000));
    refused(&["send", "--dry-run", "-q", &deep], "nested too deeply");
    let out = run(&["send", "--dry-run", "-q", &deep]);
    assert!(stderr(&out).len() < 400, "{}", stderr(&out));
    let list = format!(
        "Ether()/IP(options={}{})",
        "[".repeat(8000),
        "]".repeat(8000)
    );
    refused(&["send", "--dry-run", "-q", &list], "nested too deeply");
    refused(
        &[
            "send",
            "--dry-run",
            "-q",
            r#"Ether()/IPv6()/IPv6ExtHdrHopByHop(options=[PadN(optdata=b"x"*300)])"#,
        ],
        "does not fit",
    );
    refused(
        &[
            "send",
            "--dry-run",
            "-q",
            r#"Ether()/IP()/UDP()/"\N{NO SUCH NAME}""#,
        ],
        "unknown Unicode character name",
    );
}

/// The field flags are a clap group that conflicts with an expression: the refusal names the
/// flag given first, and `--vary` (not a field) now goes with an expression.
#[test]
fn field_flags_conflict_with_an_expression_by_name() {
    for flag in ["--src-ip", "--ttl", "--size"] {
        refused(
            &["send", "--dry-run", "Ether()/IP()/TCP()", flag, "64"],
            &format!("'[EXPR]' cannot be used with: {flag} "),
        );
    }
    let out = run(&[
        "send",
        "--dry-run",
        "-q",
        "Ether()/IP()/TCP()",
        "--vary",
        "seq",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    refused(
        &["send", "--dry-run", "Ether()/IP()/UDP()", "--vary", "seq"],
        "--vary seq needs TCP",
    );
}
