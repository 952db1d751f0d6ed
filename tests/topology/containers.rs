//! Container-style namespaces: a process-held namespace (`unshare -n sleep`, what a runtime
//! makes) with a veth's peer inside, found by `veth peer`; namespaces by path and `pid:PID`
//! for every subcommand that takes one; bad references; a fake container id from a cgroup.
//!
//! Every test runs in an anonymous namespace of its own; the "container" is a child process
//! of the test (killed on drop), so its namespace and links go with it.

use super::*;

/// `unshare -n sleep 600`: a process holding a fresh network namespace, like a container's
/// init. Returns once the process is in its own namespace.
fn container() -> (KillOnDrop, u32) {
    let child = Command::new("unshare")
        .args(["-n", "sleep", "600"])
        .spawn()
        .expect("run unshare -n sleep");
    let pid = child.id();
    let guard = KillOnDrop(child);
    let ours = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if theirs.is_some_and(|t| t != ours) && comm.trim() == "sleep" {
            return (guard, pid);
        }
        assert!(Instant::now() < deadline, "unshare -n sleep did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A runtime's veth: `HOST` here, `eth0` inside the container's namespace.
fn container_veth(host: &str, pid: u32) {
    common::run_ok(
        "ip",
        &[
            "link",
            "add",
            host,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            &pid.to_string(),
        ],
    );
}

#[test]
fn veth_peer_names_the_container_process_and_fails_cleanly_once_it_is_gone() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let (mut child, pid) = container();
        let host = common::unique_name("vc");
        container_veth(&host, pid);

        let text = vb_ok(&["veth", "peer", &host]);
        assert!(
            text.starts_with(&format!("{host}: peer eth0 ifindex ")),
            "{text}"
        );
        assert!(text.contains(&format!("netns pid {pid} (sleep)")), "{text}");

        let j = json(&vb_ok(&["veth", "peer", &host, "--json"]));
        assert_eq!(j["peer_name"], "eth0", "{j}");
        assert_eq!(j["peer_pid"], pid, "{j}");
        assert_eq!(j["peer_comm"], "sleep", "{j}");
        assert_eq!(j["peer_netns_label"], format!("pid {pid} (sleep)"), "{j}");
        assert!(j["peer_netns"].is_null(), "{j}");
        let inode = std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap();
        assert_eq!(
            format!("net:[{}]", j["peer_netns_inode"]),
            inode.to_string_lossy(),
            "{j}"
        );
        // The table of this namespace says the same.
        let table = vb_ok(&["veth", "list"]);
        assert!(table.contains(&format!("pid {pid} (sleep)")), "{table}");
        // --all-netns includes the process-held namespace, its eth0 pointing back at us.
        let all = json(&vb_ok(&["veth", "list", "--all-netns", "--json"]));
        let eth0 = all
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "eth0" && r["netns_pid"] == pid)
            .unwrap_or_else(|| panic!("no eth0 of pid {pid}: {all}"));
        assert_eq!(eth0["peer_name"], host.as_str(), "{eth0}");
        // netns list --all shows it like lsns.
        let ns = vb_ok(&["netns", "list", "--all"]);
        assert!(
            ns.lines()
                .any(|l| l.contains(&format!(" {pid} ")) && l.contains("sleep")),
            "{ns}"
        );

        // The container goes: its namespace, eth0 and so our end with it. The lookup then
        // fails in one line, exit 2 (the kernel removes the namespace asynchronously).
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = vb(&["veth", "peer", &host]);
            if !out.status.success() {
                assert_bad_output(
                    out,
                    &["veth", "peer", &host],
                    &[&format!("interface '{host}' does not exist")],
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{host} outlived its peer's namespace"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The namespace by pid is gone too.
        assert_bad_input(
            &["veth", "list", "-n", &format!("pid:{pid}")],
            &[&format!("process {pid} does not exist")],
        );
    });
}

/// The first 64-hex-digit run of a cgroup path names the container (docker, podman... all
/// put the id there): a child moved into such a cgroup is reported with it.
#[test]
fn a_fake_container_id_from_the_cgroup_path_is_reported() {
    if !common::require_root!() {
        return;
    }
    let Some(root) = cgroup2_root() else {
        common::skip!("no cgroup2 mount");
        return;
    };
    let id = format!(
        "{:08x}{:056x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let dir = root.join(format!("vbtest-{id}.scope"));
    if std::fs::create_dir(&dir).is_err() {
        common::skip!("the cgroup2 tree is read-only");
        return;
    }
    struct Rmdir(std::path::PathBuf);
    impl Drop for Rmdir {
        fn drop(&mut self) {
            for _ in 0..100 {
                if std::fs::remove_dir(&self.0).is_ok() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    let _rm = Rmdir(dir.clone());
    let ok = common::in_private_netns(move || {
        let (child, pid) = container();
        if std::fs::write(dir.join("cgroup.procs"), pid.to_string()).is_err() {
            return false;
        }
        let host = common::unique_name("vcc");
        container_veth(&host, pid);
        let j = json(&vb_ok(&["veth", "peer", &host, "--json"]));
        assert_eq!(j["peer_container_id"], id.as_str(), "{j}");
        let text = vb_ok(&["veth", "peer", &host]);
        assert!(text.contains(&format!("container {}", &id[..12])), "{text}");
        let ns = vb_ok(&["netns", "list", "--all"]);
        assert!(ns.contains(&id[..12]), "{ns}");
        drop(child);
        true
    });
    if !ok {
        common::skip!("cannot move a process into a new cgroup");
    }
}

fn cgroup2_root() -> Option<std::path::PathBuf> {
    let mi = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mi.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        (right.split_whitespace().next()? == "cgroup2")
            .then(|| left.split_whitespace().nth(4).map(std::path::PathBuf::from))?
    })
}

/// `-n pid:PID` and `-n /proc/PID/ns/net` on veth add/list, send, capture, test and ping.
#[test]
fn namespaces_by_pid_and_path_everywhere() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let (_child, pid) = container();
        let by_pid = format!("pid:{pid}");
        let by_path = format!("/proc/{pid}/ns/net");
        let (a, b) = (common::unique_name("vpa"), common::unique_name("vpb"));
        vb_ok(&[
            "veth",
            "add",
            &a,
            "--peer",
            &b,
            "-n",
            &by_pid,
            "--addr",
            "198.18.9.1/24",
            "--peer-addr",
            "198.18.9.2/24",
            "--up",
            "--no-ipv6",
        ]);
        // veth list, by either reference.
        for r in [&by_pid, &by_path] {
            let rows = json(&vb_ok(&["veth", "list", "--json", "-n", r]));
            assert_eq!(row(&rows, &a)["peer_name"], b.as_str(), "{rows}");
            assert_eq!(row(&rows, &a)["netns_pid"], pid, "{rows}");
        }
        // Nothing of it here.
        let here = common::run_ok("ip", &["-o", "link"]);
        assert!(!here.contains(&a), "{here}");

        // capture by pid, send by path: the frame arrives.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("one.pcapng");
        let mut cap = KillOnDrop(
            common::vethbench()
                .args(["capture", "-n", &by_pid, &b, "-c", "1", "-w"])
                .arg(&file)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut line = String::new();
        BufReader::new(cap.0.stderr.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("Capturing on"), "{line}");
        vb_ok(&[
            "send",
            "-n",
            &by_path,
            "-i",
            &a,
            "--src-mac",
            "02:00:00:00:09:01",
            "--dst-mac",
            "02:00:00:00:09:02",
            "--src-ip",
            "198.18.9.1",
            "--dst-ip",
            "198.18.9.2",
        ]);
        let status = cap.0.wait().unwrap();
        assert!(status.success(), "capture failed");
        assert_eq!(common::frames_in(&file).len(), 1);

        // test across the pair, by pid.
        let out = vb_ok(&["test", "-n", &by_pid, "--tx", &a, "--rx", &b, "-c", "200"]);
        assert!(out.contains("PASSED"), "{out}");
        // ... and written NS:IFACE on each end, by path.
        let tx = format!("{by_path}:{a}");
        let rx = format!("{by_path}:{b}");
        let out = vb_ok(&["test", "--tx", &tx, "--rx", &rx, "-c", "200"]);
        assert!(out.contains("PASSED"), "{out}");

        // ping from inside it (the kernel answers its own address, through lo).
        common::run_ok(
            "nsenter",
            &[
                "-t",
                &pid.to_string(),
                "-n",
                "ip",
                "link",
                "set",
                "lo",
                "up",
            ],
        );
        let out = vb_ok(&["ping", "-n", &by_path, "-c", "1", "-W", "2", "198.18.9.2"]);
        assert!(out.contains("1 received"), "{out}");
    });
}

#[test]
fn bad_namespace_references_are_one_line_errors() {
    if !common::require_root!() {
        return;
    }
    // Beyond any pid_max (at most 2^22): never a process.
    let gone = "pid:99999999";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["veth", "list"], "process 99999999 does not exist"),
        (
            vec!["send", "--dry-run", "-i", "x"],
            "process 99999999 does not exist",
        ),
        (
            vec!["capture", "x", "-c", "1"],
            "process 99999999 does not exist",
        ),
        (
            vec!["test", "--tx", "a", "--rx", "b"],
            "process 99999999 does not exist",
        ),
        (
            vec!["ping", "-c", "1", "198.18.0.1"],
            "process 99999999 does not exist",
        ),
    ];
    for (args, needle) in &cases {
        for (r, msg) in [
            (gone, *needle),
            (
                "/etc/hostname",
                "'/etc/hostname' is not a network namespace",
            ),
            (
                "/proc/self/ns/mnt",
                "is not a network namespace (a mount namespace)",
            ),
            (
                "/surely/not/here",
                "network namespace '/surely/not/here' does not exist",
            ),
            ("pid:abc", "expected pid:PID"),
        ] {
            let mut full = args.clone();
            full.extend(["-n", r]);
            assert_bad_input(&full, &[msg]);
        }
    }
    // NS:IFACE with a bad namespace, in capture -i and test --tx.
    assert_bad_input(
        &["capture", "-i", "pid:99999999:eth0", "-c", "1"],
        &["process 99999999 does not exist"],
    );
    assert_bad_input(
        &["test", "--tx", "/etc/hostname:a", "--rx", "b", "-c", "1"],
        &["'/etc/hostname' is not a network namespace"],
    );
}
