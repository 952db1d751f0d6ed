//! Topology: named namespaces, veth pairs, ping, interop with iproute2, no leaks, bad input.
//!
//! Named namespaces are unique per test (pid-based suffix) and removed by a Drop guard even
//! when the test panics. Everything else runs inside an anonymous namespace (the kernel
//! removes it with the thread). Nothing here creates a link in the host namespace.
//!
//! One module per topic: `walkthrough`, `interop`, `cleanup`, `bad_input`; the helpers below.

#[path = "../common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Named namespaces to remove on drop (with iproute2, independent of the code under test).
struct NetnsCleanup(Vec<String>);

impl Drop for NetnsCleanup {
    fn drop(&mut self) {
        for n in &self.0 {
            if std::path::Path::new("/run/netns").join(n).exists() {
                let _ = Command::new("ip").args(["netns", "del", n]).status();
            }
        }
    }
}

/// A child process killed on drop.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn vb(args: &[&str]) -> Output {
    common::vethbench()
        .args(args)
        .output()
        .expect("run vethbench")
}

fn vb_ok(args: &[&str]) -> String {
    let out = vb(args);
    assert!(
        out.status.success(),
        "vethbench {args:?} failed ({:?}): {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exit 2, exactly one line on stderr, containing every `needles`.
fn assert_bad_input(args: &[&str], needles: &[&str]) -> String {
    assert_bad_output(vb(args), args, needles)
}

fn assert_bad_output(out: Output, args: &[&str], needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "vethbench {args:?}: expected exit 2, stderr: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "vethbench {args:?}: not one line: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "vethbench {args:?}: '{n}' not in: {err}");
    }
    err
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

fn row<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .expect("an array")
        .iter()
        .find(|r| r["name"] == name || r["ifname"] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {rows}"))
}

/// Everything `ip` can see: the host's links and every named namespace's.
fn ip_everything() -> String {
    let host = common::run_ok("ip", &["-o", "link"]);
    // Not run_ok: a namespace another test deletes meanwhile makes `ip -all` fail for it.
    let all = Command::new("ip")
        .args(["-all", "netns", "exec", "ip", "-o", "link"])
        .output()
        .expect("run ip -all netns exec");
    let all = String::from_utf8_lossy(&all.stdout);
    format!("{host}\n{all}")
}

mod across;
mod bad_input;
mod cleanup;
mod containers;
mod interop;
mod link_cmd;
mod netns_flag;
mod ping_habits;
mod run_dir;
mod walkthrough;
