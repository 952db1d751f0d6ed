//! What a node's command sees under `/sys`: the node's own sysfs (its interfaces, its MACs),
//! in exec steps, daemons and setup alike; the bpffs and cgroup hierarchy mounted under the
//! host's `/sys` kept; the host's mount table unchanged afterwards. Nothing here writes to
//! `/sys`.

use std::process::Command;

use super::common;
use super::{text, ScenarioDir};

const MACS: &str = "nodes: {h1: {}, h2: {}}\nlinks:\n  - {ends: [h1:eth0, h2:eth0], macs: [\"02:00:00:00:5f:01\", \"02:00:00:00:5f:02\"]}\n";

/// The host's mounts at or under /sys, from /proc/self/mountinfo (the mount point is the fifth
/// field): other tests may mount elsewhere (/run/netns) meanwhile.
fn sys_mounts() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| {
            l.split(' ')
                .nth(4)
                .is_some_and(|m| m == "/sys" || m.starts_with("/sys/"))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn a_node_sees_its_own_interfaces_in_sys() {
    if !common::require_root!() {
        return;
    }
    let dir = ScenarioDir::new("t.yaml");
    let before = sys_mounts();
    assert!(!before.is_empty(), "no /sys mount on the host?");
    // Setup, a daemon and exec steps all read the node's eth0, not the host's.
    let yaml = format!(
        "{MACS}setup:\n  - {{node: h1, run: 'cat /sys/class/net/eth0/address > setup-mac'}}\ntests:\n  - name: sysfs\n    steps:\n      - daemon: {{node: h2, run: 'cat /sys/class/net/eth0/address > daemon-mac.tmp && mv daemon-mac.tmp daemon-mac; exec sleep 1000', ready: 'file:daemon-mac'}}\n      - exec: {{node: h1, run: 'cat /sys/class/net/eth0/address', expect_output: '^02:00:00:00:5f:01$'}}\n      - exec: {{node: h2, run: 'echo $(ls /sys/class/net)', expect_output: '^eth0 lo$'}}\n      - exec: {{node: h1, run: 'ls /sys/class/net > h1-ifaces'}}\n"
    );
    let o = dir.run(&yaml, &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    assert_eq!(read("setup-mac").trim(), "02:00:00:00:5f:01");
    assert_eq!(read("daemon-mac").trim(), "02:00:00:00:5f:02");
    assert_eq!(read("h1-ifaces"), "eth0\nlo\n");
    // The wrong MAC fails: the step compares what it read.
    let o = dir.run(
        &yaml.replace("'^02:00:00:00:5f:01$'", "'^02:00:00:00:5f:02$'"),
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // Nothing the children mounted is left in (or propagated to) the host's mount table.
    assert_eq!(sys_mounts(), before);
}

#[test]
fn bpffs_and_cgroups_stay_visible_in_a_node() {
    if !common::require_root!() {
        return;
    }
    let dir = ScenarioDir::new("t.yaml");
    let path = dir.write(&format!(
        "{MACS}tests:\n  - name: kept\n    steps:\n      - exec: {{node: h1, run: 'test -d /sys/fs/bpf/vb-sysfs-test && ls /sys/fs/bpf/vb-sysfs-test'}}\n      - exec: {{node: h1, run: 'ls /sys/fs/cgroup > node-cgroup; cat /sys/class/net/eth0/address'}}\n"
    ));
    // In a mount namespace of the test's own, a fresh bpffs with a directory in it, as pins
    // make; the node's command must see the same directory.
    let script = format!(
        "mount -t bpf bpf /sys/fs/bpf || exit 99\nmkdir /sys/fs/bpf/vb-sysfs-test || exit 98\n\"$VB\" run {} || exit $?\nls /sys/fs/cgroup > host-cgroup",
        path.display()
    );
    let o = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env("VB", common::bin_path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    assert_eq!(read("node-cgroup"), read("host-cgroup"));
    // A name that is not there fails the step: the test above could fail.
    let o = Command::new("unshare")
        .args([
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script.replace(
                "mkdir /sys/fs/bpf/vb-sysfs-test",
                "mkdir /sys/fs/bpf/vb-other",
            ),
        ])
        .env("VB", common::bin_path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}
