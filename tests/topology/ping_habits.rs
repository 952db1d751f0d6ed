//! ping(8)'s habits: `0.0.0.0` (this host), `-s`, `-q`, `-I`, `-w`. Each runs in a fresh
//! namespace of its own (`unshare -n`, lo only), so nothing leaves the test.

use super::*;

/// `vethbench ping ARGS` in a new namespace with lo up and a veth pair (IPv6 off) whose end
/// vbd0 owns 198.18.0.1/24 (so 198.18.0.5 is routed there but never answers).
fn ping_in_fresh_netns(args: &[&str]) -> Output {
    let script = format!(
        "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && ip link set lo up && \
         ip link add vbd0 type veth peer name vbd1 && ip addr add 198.18.0.1/24 dev vbd0 && \
         ip link set vbd0 up && ip link set vbd1 up && exec \"$0\" ping {}",
        args.iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .arg(common::bin_path())
        .output()
        .expect("run unshare")
}

fn stdout_ok(out: &Output, args: &[&str]) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ping {args:?} failed ({:?}): {text}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Issue 13, item 12: Linux answers a ping to 0.0.0.0 from 127.0.0.1, and ping(8) counts it.
#[test]
fn ping_zero_address_counts_the_reply_from_loopback() {
    if !common::require_root!() {
        return;
    }
    let args = ["-c", "1", "-W", "2", "0.0.0.0"];
    let out = stdout_ok(&ping_in_fresh_netns(&args), &args);
    assert!(out.contains("64 bytes from 127.0.0.1: icmp_seq=1"), "{out}");
    assert!(
        out.contains("1 packets transmitted, 1 received, 0% packet loss"),
        "{out}"
    );
}

/// `-s`, `-q`, `-I`: the size shows in the header and the reply, -q keeps only the statistics,
/// -I binds to an interface (lo works; a missing one is one line, exit 2).
#[test]
fn ping_size_quiet_and_interface() {
    if !common::require_root!() {
        return;
    }
    let args = [
        "-c",
        "2",
        "-i",
        "0.05",
        "-s",
        "1000",
        "-I",
        "lo",
        "127.0.0.1",
    ];
    let out = stdout_ok(&ping_in_fresh_netns(&args), &args);
    assert!(
        out.contains("PING 127.0.0.1 (127.0.0.1) 1000(1028) bytes of data."),
        "{out}"
    );
    assert!(
        out.contains("1008 bytes from 127.0.0.1: icmp_seq=2"),
        "{out}"
    );
    assert!(out.contains("2 packets transmitted, 2 received"), "{out}");

    let args = [
        "-q",
        "-c",
        "2",
        "-i",
        "0.05",
        "-I",
        "127.0.0.1",
        "127.0.0.1",
    ];
    let out = stdout_ok(&ping_in_fresh_netns(&args), &args);
    assert!(!out.contains("bytes from"), "-q printed replies: {out}");
    assert!(out.contains("2 packets transmitted, 2 received"), "{out}");

    let args = ["-c", "1", "-I", "vbnosuch0", "127.0.0.1"];
    let out = ping_in_fresh_netns(&args);
    assert_bad_output(out, &args, &["vbnosuch0", "does not exist"]);

    let args = ["-s", "65508", "127.0.0.1"];
    assert_bad_output(ping_in_fresh_netns(&args), &args, &["65508"]);
}

/// `-w`: without -c, ping sends until the deadline; with -c, fewer replies than asked by the
/// deadline is exit 1 (here: 198.18.0.5 is behind a dummy link, so nothing answers).
#[test]
fn ping_deadline() {
    if !common::require_root!() {
        return;
    }
    let args = ["-w", "0.5", "-i", "0.1", "127.0.0.1"];
    let out = stdout_ok(&ping_in_fresh_netns(&args), &args);
    let sent: u32 = out
        .split(" packets transmitted")
        .next()
        .and_then(|l| l.rsplit('\n').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statistics: {out}"));
    // Not 4 (the default count): the deadline, not the count, ended it.
    assert!((2..=6).contains(&sent) && sent != 4, "sent {sent}: {out}");

    let args = ["-w", "0.3", "-c", "3", "-W", "0.1", "198.18.0.5"];
    let out = ping_in_fresh_netns(&args);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

/// Issue 21 new-user 10: an IPv6 address is pinged with ICMPv6 echo, printed as iputils
/// prints it (`PING a(a) 56 data bytes`, the hop limit as ttl); across a veth pair between two
/// namespaces (DAD off there, so the addresses are usable at once); host names resolve as
/// ping(8) resolves them (`localhost` from /etc/hosts); a literal is never looked up.
#[test]
fn ping_ipv6_and_host_names() {
    if !common::require_root!() {
        return;
    }
    let (a, b) = (common::unique_name("vb6a"), common::unique_name("vb6b"));
    let _cleanup = NetnsCleanup(vec![a.clone(), b.clone()]);
    vb_ok(&["netns", "add", &a]);
    vb_ok(&["netns", "add", &b]);
    for ns in [&a, &b] {
        common::run_ok(
            "ip",
            &[
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.default.accept_dad=0",
            ],
        );
    }
    let v = common::unique_name("vb6");
    vb_ok(&[
        "veth",
        "add",
        &v,
        "-n",
        &a,
        "--peer",
        "eth0",
        "--peer-netns",
        &b,
        "--addr",
        "2001:db8:6::a/64",
        "--peer-addr",
        "2001:db8:6::b/64",
        "--up",
    ]);
    let out = vb_ok(&[
        "ping",
        "-n",
        &a,
        "-c",
        "2",
        "-i",
        "0.05",
        "-W",
        "2",
        "2001:db8:6::b",
    ]);
    assert!(
        out.starts_with("PING 2001:db8:6::b(2001:db8:6::b) 56 data bytes\n"),
        "{out}"
    );
    assert!(
        out.contains("64 bytes from 2001:db8:6::b: icmp_seq=1 ttl=64 time="),
        "{out}"
    );
    assert!(
        out.contains("--- 2001:db8:6::b ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss"),
        "{out}"
    );
    // -s and -q as for IPv4; nobody there: exit 1.
    let out = vb_ok(&[
        "ping",
        "-n",
        &a,
        "-c",
        "1",
        "-s",
        "100",
        "-q",
        "2001:db8:6::b",
    ]);
    assert!(
        out.starts_with("PING 2001:db8:6::b(2001:db8:6::b) 100 data bytes\n"),
        "{out}"
    );
    assert!(!out.contains("bytes from"), "{out}");
    let o = vb(&["ping", "-n", &a, "-c", "1", "-W", "0.2", "2001:db8:6::99"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // Host names, in the namespace given.
    let out = vb_ok(&["ping", "-n", &a, "-c", "1", "-4", "localhost"]);
    assert!(
        out.starts_with("PING localhost (127.0.0.1) 56(84) bytes of data.\n"),
        "{out}"
    );
    assert!(
        out.contains("64 bytes from localhost (127.0.0.1): icmp_seq=1 ttl=64"),
        "{out}"
    );
    assert!(out.contains("--- localhost ping statistics ---"), "{out}");
    assert_bad_input(
        &["ping", "-n", &a, "999.1.1.1"],
        &["invalid IP address '999.1.1.1'"],
    );
    assert_bad_input(
        &["ping", "-n", &a, "-6", "127.0.0.1"],
        &["'127.0.0.1' is an IPv4 address, but -6 was given"],
    );
    assert_bad_input(
        &["ping", "-n", &a, "nosuch.invalid"],
        &["cannot resolve 'nosuch.invalid'"],
    );
    vb_ok(&["netns", "del", &a]);
    vb_ok(&["netns", "del", &b]);
}
