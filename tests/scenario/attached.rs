//! Nodes attached to existing namespaces (`netns: pid:PID`, `/proc/PID/ns/net`): the
//! namespace of an `unshare -n sleep` child of this test, as a container runtime would hold
//! it. The run uses it, removes only the links it made there, and leaves the namespace (and
//! what was already in it) alone.

use std::process::{Child, Command, Stdio};

use super::common;
use super::{text, ScenarioDir};

/// `unshare -n sleep 60`, killed on drop.
struct Holder(Child);

impl Holder {
    fn start() -> Self {
        let c = Command::new("unshare")
            .args(["-n", "sleep", "60"])
            .stdin(Stdio::null())
            .spawn()
            .expect("unshare -n sleep");
        let h = Holder(c);
        // Ready once the child's namespace is no longer ours (it unshares, then execs sleep).
        let ours = std::fs::metadata("/proc/self/ns/net")
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let theirs = std::fs::metadata(format!("/proc/{}/ns/net", h.pid()))
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
                .unwrap_or(ours);
            let exe = std::fs::read_link(format!("/proc/{}/exe", h.pid())).unwrap_or_default();
            if theirs != ours && exe.to_string_lossy().contains("sleep") {
                return h;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "unshare child not ready"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// `ip -o link` inside the child's namespace.
    fn links(&self) -> String {
        common::run_ok(
            "nsenter",
            &["-t", &self.pid().to_string(), "-n", "ip", "-o", "link"],
        )
    }

    fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn scenario(reference: &str) -> String {
    format!(
        r#"name: a node in an existing namespace
nodes:
  h: {{}}
  c: {{netns: "{reference}"}}
links:
  - [h:eth0, c:vc0]
addresses:
  h:eth0: [198.18.7.1/24]
  c:vc0: [198.18.7.2/24]
tests:
  - name: reached in the container's namespace
    steps:
      - ping: {{node: h, to: 198.18.7.2, count: 2}}
      - exec: {{node: c, run: "ip -o link show vc0", expect_output: "vc0"}}
      - exec: {{node: c, run: "echo $(ls /sys/class/net)", expect_output: "^lo vc0$"}}
      - send: {{port: h:eth0, frame: 'Ether(dst=mac("c:vc0"))/IP(dst="198.18.7.2")/UDP(sport=7, dport=7)/"hi"'}}
      - expect: {{port: c:vc0, fields: {{ip.src: 198.18.7.1, udp.dstport: 7}}}}
"#
    )
}

#[test]
fn a_node_in_a_process_held_namespace() {
    if !common::require_root!() {
        return;
    }
    let mut holder = Holder::start();
    let pid = holder.pid().to_string();
    let dir = ScenarioDir::new("attached.yaml");
    for reference in [format!("pid:{pid}"), format!("/proc/{pid}/ns/net")] {
        let o = dir.run(&scenario(&reference), &[]);
        assert_eq!(o.status.code(), Some(0), "{reference}: {}", text(&o));
        // The link it made is gone; the namespace and its process stay.
        assert!(!holder.links().contains("vc0"), "{}", holder.links());
        assert!(holder.alive(), "the namespace's process died");
    }
    // A name already taken there: refused before anything is made, and left alone.
    common::run_ok(
        "nsenter",
        &[
            "-t", &pid, "-n", "ip", "link", "add", "vc0", "type", "veth", "peer", "name", "vc0p",
        ],
    );
    let o = dir.run(&scenario(&format!("pid:{pid}")), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("vc0 already exists"),
        "{}",
        text(&o)
    );
    assert!(
        holder.links().contains("vc0"),
        "the existing vc0 was removed"
    );
    common::run_ok("nsenter", &["-t", &pid, "-n", "ip", "link", "del", "vc0"]);
    // Two nodes on one namespace.
    let two = scenario(&format!("pid:{pid}"))
        .replace("h: {}", &format!("h: {{netns: \"/proc/{pid}/ns/net\"}}"));
    let o = dir.run(&two, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("namespace of node"),
        "{}",
        text(&o)
    );
    // A process that has gone: one line, exit 2.
    drop(holder);
    let o = dir.run(&scenario(&format!("pid:{pid}")), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{}", text(&o));
    assert!(err.contains("node c (netns pid:"), "{}", text(&o));
}

#[test]
fn a_bad_reference_is_a_load_error_with_its_line() {
    let dir = ScenarioDir::new("attached.yaml");
    let o = dir.run(&scenario("pid:x"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("attached.yaml:4: netns: "), "{}", text(&o));
}

impl Holder {
    /// `sh -c CMD` inside the child's namespace; its stdout.
    fn sh(&self, cmd: &str) -> String {
        common::run_ok(
            "nsenter",
            &["-t", &self.pid().to_string(), "-n", "sh", "-c", cmd],
        )
    }

    /// What a run must leave as it was: every link in detail, every address, the bridge's
    /// ports; without the bridge's running timers (`gc_timer 299.94`), which tick anyway.
    fn state(&self) -> String {
        let all = self.sh("ip -d link; ip addr; bridge link");
        let mut out = Vec::new();
        let mut words = all.split_whitespace();
        while let Some(w) = words.next() {
            if w.ends_with("_timer") {
                words.next();
            } else {
                out.push(w);
            }
        }
        out.join(" ")
    }
}

/// A container-style namespace: its own veth pair (`eth0`, the container's end, and `vh0`,
/// the host's end) with `vh0` in a bridge `br0`, addresses on `eth0` and `br0`, all made
/// here as a container runtime would.
fn container() -> Holder {
    let h = Holder::start();
    h.sh(
        "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && \
          ip link add eth0 type veth peer name vh0 && ip link add br0 type bridge && \
          ip link set vh0 master br0 && ip addr add 198.18.9.2/24 dev eth0 && \
          ip addr add 198.18.9.1/24 dev br0 && \
          ip link set lo up && ip link set eth0 up && ip link set vh0 up && ip link set br0 up",
    );
    // Settled: the bridge has carrier once its port forwards.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while h.sh("ip link show br0").contains("NO-CARRIER") {
        assert!(std::time::Instant::now() < deadline, "br0 has no carrier");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    h
}

/// What the tests of a [`container()`] share: its holder, its pid (as `netns: "pid:PID"` names
/// it), its state before the run ([`Holder::state`]), and the scenario file's directory.
struct Container {
    h: Holder,
    pid: String,
    before: String,
    dir: ScenarioDir,
}

impl Container {
    /// A [`container()`] with `then` run in it first (`sh -c`; nothing when empty).
    fn new(then: &str) -> Self {
        let h = container();
        if !then.is_empty() {
            h.sh(then);
        }
        Container {
            pid: h.pid().to_string(),
            before: h.state(),
            h,
            dir: ScenarioDir::new("attached.yaml"),
        }
    }

    /// The namespace holds what it held before `what` (a run) ran.
    fn assert_unchanged(&self, what: &str) {
        assert_eq!(self.h.state(), self.before, "{what} changed the namespace");
    }
}

fn own_ports(pid: &str) -> String {
    format!(
        r#"name: the device's own interfaces as ports
nodes:
  c: {{netns: "pid:{pid}"}}
tests:
  - name: the container's eth0, the host's end of its veth, its bridge
    steps:
      - send: {{port: c:eth0, frame: 'Ether(dst="ff:ff:ff:ff:ff:ff")/IP(src="198.18.9.2", dst="198.18.9.255")/UDP(sport=7, dport=9)/"to the bridge"'}}
      - expect: {{port: c:vh0, fields: {{ip.src: 198.18.9.2, udp.dstport: 9}}}}
      - expect: {{port: c:br0, fields: {{ip.src: 198.18.9.2, udp.dstport: 9}}}}
      # Injected on the bridge: forwarded to eth0 by the MAC it learned.
      - send: {{port: c:br0, frame: 'Ether(dst=mac("c:eth0"))/IP(src="198.18.9.1", dst="198.18.9.2")/UDP(sport=9, dport=7)/"from the bridge"'}}
      - expect: {{port: c:eth0, frame: 'Ether(src=mac("c:br0"), dst=mac("c:eth0"))/IP(src="198.18.9.1", dst="198.18.9.2")/UDP(sport=9, dport=7)/"from the bridge"'}}
      - exec: {{node: c, run: "ip -o link show vh0", expect_output: "master br0"}}
"#
    )
}

#[test]
fn an_existing_namespaces_own_interfaces_are_ports() {
    if !common::require_root!() {
        return;
    }
    let c = Container::new("");
    let (pid, dir) = (&c.pid, &c.dir);
    let o = dir.run(&own_ports(pid), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 passed, 0 failed"),
        "{}",
        text(&o)
    );
    // Nothing of it changed: links, their details, addresses, the bridge's ports.
    c.assert_unchanged("the run");

    // An interface that is not there: exit 2 when the run starts, naming what is there.
    let o = dir.run(&own_ports(pid).replace("port: c:vh0", "port: c:vh9"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no interface 'vh9' there") && err.contains("eth0"),
        "{}",
        text(&o)
    );
    // The runner never configures what it did not make: an address on eth0 is a load error.
    let o = dir.run(
        &own_ports(pid).replace("tests:", "addresses:\n  c:eth0: [198.18.9.3/24]\ntests:"),
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("never reconfigures"),
        "{}",
        text(&o)
    );
    c.assert_unchanged("a refused run");
}

/// The physical-link guard holds for a device's own interfaces: a bridge with a port that is
/// not a virtual link (an ifb stands in for a NIC) is refused, unless the node says
/// `allow_physical: true`.
#[test]
fn a_bridge_that_may_reach_a_nic_needs_allow_physical() {
    if !common::require_root!() {
        return;
    }
    let c = Container::new("ip link add nic0 type ifb && ip link set nic0 master br0");
    let (pid, dir) = (&c.pid, &c.dir);
    let quiet = format!(
        "nodes:\n  c: {{netns: \"pid:{pid}\"}}\ntests:\n  - name: t\n    steps:\n      - expect_none: {{port: c:br0, for: 10ms}}\n"
    );
    let o = dir.run(&quiet, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refusing port c:br0")
            && err.contains("nic0")
            && err.contains("allow_physical: true"),
        "{}",
        text(&o)
    );
    assert_eq!(err.lines().count(), 1, "{}", text(&o));
    let allowed = quiet.replace("{netns:", "{allow_physical: true, netns:");
    let o = dir.run(&allowed, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    c.assert_unchanged("the run");
    // On a private node, there is nothing of its own to allow.
    let o = dir.run(
        "nodes:\n  h: {allow_physical: true}\nlinks: [[h:a, h:b]]\n",
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(":2: allow_physical:"),
        "{}",
        text(&o)
    );
}

/// `ip("c:IFACE")` of an attached node's own interface is the address the kernel has on it
/// (read when the run starts), as is a frame's default source sent from there.
#[test]
fn ip_of_an_existing_interface_is_the_kernels() {
    if !common::require_root!() {
        return;
    }
    let c = Container::new("");
    let pid = &c.pid;
    let yaml = format!(
        r#"nodes:
  c: {{netns: "pid:{pid}"}}
tests:
  - name: the container's addresses, from its kernel
    steps:
      - send: {{port: c:br0, frame: 'Ether(dst=mac("c:eth0"))/IP(src=ip("c:br0"), dst=ip("c:eth0"))/UDP(sport=9, dport=7)/"x"'}}
      - expect: {{port: c:eth0, filter: 'ip.src == 198.18.9.1 && ip.dst == 198.18.9.2 && udp.dstport == 7'}}
      - send: {{port: c:eth0, frame: 'Ether(dst=mac("c:br0"))/IP(dst=ip("c:br0"))/UDP(sport=7, dport=9)/"y"'}}
      - expect: {{port: c:br0, fields: {{ip.src: 198.18.9.2, ip.dst: 198.18.9.1, udp.dstport: 9}}}}
"#
    );
    let o = c.dir.run(&yaml, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    c.assert_unchanged("the run");
}
