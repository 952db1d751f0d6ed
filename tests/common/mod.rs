//! Helpers shared by the integration tests.
//!
//! Tests that need root run their body on a fresh thread inside a new, anonymous network
//! namespace (`unshare(CLONE_NEWNET)` on that thread only). The kernel destroys the namespace
//! and every link in it when the thread ends, whether the test passed, failed or panicked, so
//! nothing can leak into the host namespace. Child processes spawned from that thread inherit
//! its namespace.
//!
//! Without root a test skips loudly, unless `VETHBENCH_REQUIRE_ROOT=1` (set by `.ci/run`), in
//! which case the skip is a failure: a green CI means the kernel paths ran.
//!
//! `require_root!()` and `skip!(why)` name the calling test themselves; `assert_only_frame`
//! (in `pcap.rs`) checks that a capture file holds one frame, the expected one.
#![allow(dead_code, unused_macros, unused_imports)]

mod pcap;
pub mod tshark;

pub use pcap::{assert_only_frame, frames_in};

use std::path::PathBuf;
use std::process::Command;

/// The path of the test that calls it, inside its test binary (`topic::test_name`, as libtest
/// prints it): from the type name of a function item declared where the macro expands.
macro_rules! test_name {
    () => {{
        fn here() {}
        $crate::common::test_path(std::any::type_name_of_val(&here))
    }};
}
pub(crate) use test_name;

/// `if !common::require_root!() { return; }`: true when the calling test may use the kernel
/// (root); otherwise it prints SKIP with the test's name, or panics under CI.
macro_rules! require_root {
    () => {
        $crate::common::require_root_for(&$crate::common::test_name!())
    };
}
pub(crate) use require_root;

/// `common::skip!("needs X"); return;`: skip the calling test for a missing tool (see [`skip_for`]).
macro_rules! skip {
    ($why:expr) => {
        $crate::common::skip_for(&$crate::common::test_name!(), $why)
    };
}
pub(crate) use skip;

/// `binary::topic::test::here` (or `...::test::{{closure}}::here`) -> `topic::test`.
pub fn test_path(type_name: &str) -> String {
    let mut parts: Vec<&str> = type_name
        .split("::")
        .filter(|p| *p != "{{closure}}")
        .collect();
    parts.pop(); // `here`
    parts.remove(0); // the test binary's crate
    parts.join("::")
}

/// True when the test may use the kernel (root). Otherwise prints SKIP, or panics under CI.
pub fn require_root_for(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    if std::env::var_os("VETHBENCH_REQUIRE_ROOT").is_some_and(|v| v == "1") {
        panic!("{test}: needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN), and VETHBENCH_REQUIRE_ROOT=1 forbids skipping");
    }
    eprintln!("SKIP {test}: needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)");
    false
}

/// Skip a test for a missing tool: loudly, and as a failure under `VETHBENCH_REQUIRE_ROOT=1`
/// (CI installs every tool, so a skip there means the test did not run).
pub fn skip_for(test: &str, why: &str) {
    if std::env::var_os("VETHBENCH_REQUIRE_ROOT").is_some_and(|v| v == "1") {
        panic!("{test}: {why}, and VETHBENCH_REQUIRE_ROOT=1 forbids skipping");
    }
    eprintln!("SKIP {test}: {why}");
}

/// Run `f` on a new thread inside a new anonymous network namespace with `lo` up and IPv6
/// disabled by default (no router solicitations or MLD noise on new links).
pub fn in_private_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
            .expect("unshare(CLONE_NEWNET) failed: needs CAP_SYS_ADMIN");
        // /proc/sys/net is resolved against the opening thread's namespace.
        for knob in ["all", "default"] {
            std::fs::write(format!("/proc/sys/net/ipv6/conf/{knob}/disable_ipv6"), "1")
                .expect("disable IPv6 in the private namespace");
        }
        run_ok("ip", &["link", "set", "lo", "up"]);
        f()
    });
    match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Create a veth pair `a`/`b` in the current thread's namespace, both up.
pub fn veth_pair(a: &str, b: &str) {
    run_ok("ip", &["link", "add", a, "type", "veth", "peer", "name", b]);
    for dev in [a, b] {
        run_ok("ip", &["link", "set", dev, "up"]);
    }
    for dev in [a, b] {
        wait_ready(dev);
    }
}

/// Wait until `dev` can carry frames: the kernel's linkwatch work, which a loaded machine can
/// delay for a while after `up`, has set it UP and given it its qdisc (until then it has
/// `noop`, which drops every frame sent: a test's first frame would be lost).
pub fn wait_ready(dev: &str) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let shown = run_ok("ip", &["-o", "link", "show", "dev", dev]);
        if shown.contains("state UP") && !shown.contains("qdisc noop") {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "{dev} not ready after 10 s: {shown}"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Run a command and panic with its stderr if it fails.
pub fn run_ok(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The built `vethbench` binary.
pub fn vethbench() -> Command {
    Command::new(bin_path())
}

pub fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_vethbench"))
}

/// A name unique to this process and call, short enough for IFNAMSIZ (15 bytes).
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let s = format!("{prefix}{:x}{n}", std::process::id() & 0xffff);
    s[..s.len().min(15)].to_string()
}

/// A golden frame from fixtures/frames (hex, `#` comments).
pub fn golden_frame(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/frames/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let hex: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap())
        .collect::<String>()
        .split_whitespace()
        .collect();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
