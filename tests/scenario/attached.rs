//! Nodes attached to existing namespaces (`netns: pid:PID`, `/proc/PID/ns/net`): the
//! namespace of an `unshare -n sleep` child of this test, as a container runtime would hold
//! it. The run uses it, removes only the links it made there, and leaves the namespace (and
//! what was already in it) alone.

use std::process::{Child, Command, Stdio};

use super::common;
use super::{text, vethbench};

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
      - send: {{port: h:eth0, frame: 'Ether(dst=mac("c:vc0"))/IP(dst="198.18.7.2")/UDP(sport=7, dport=7)/"hi"'}}
      - expect: {{port: c:vc0, fields: {{ip.src: 198.18.7.1, udp.dstport: 7}}}}
"#
    )
}

fn run(dir: &std::path::Path, yaml: &str) -> std::process::Output {
    let path = dir.join("attached.yaml");
    std::fs::write(&path, yaml).unwrap();
    vethbench(&["run", path.to_str().unwrap()])
}

#[test]
fn a_node_in_a_process_held_namespace() {
    if !common::require_root!() {
        return;
    }
    let mut holder = Holder::start();
    let pid = holder.pid().to_string();
    let dir = tempfile::tempdir().unwrap();
    for reference in [format!("pid:{pid}"), format!("/proc/{pid}/ns/net")] {
        let o = run(dir.path(), &scenario(&reference));
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
    let o = run(dir.path(), &scenario(&format!("pid:{pid}")));
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
    let o = run(dir.path(), &two);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("namespace of node"),
        "{}",
        text(&o)
    );
    // A process that has gone: one line, exit 2.
    drop(holder);
    let o = run(dir.path(), &scenario(&format!("pid:{pid}")));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{}", text(&o));
    assert!(err.contains("node c (netns pid:"), "{}", text(&o));
}

#[test]
fn a_bad_reference_is_a_load_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &scenario("pid:x"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("attached.yaml:4: netns: "), "{}", text(&o));
}
