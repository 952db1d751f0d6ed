//! `vethbench test` and paced rates (issue 13, items 3, 4, 11): a stop signal and `--duration`
//! end a paced wait at once whatever the rate; rates below the minimum are refused in `test`
//! and `send`; an absurdly high rate means as fast as possible; an interface deleted mid-run
//! is reported as gone, after a partial report.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::common;

/// `vethbench test ARGS` on a pair `a`/`b` made in the calling thread's namespace.
fn test_cmd(a: &str, b: &str, args: &[&str]) -> Command {
    let mut c = common::vethbench();
    c.args(["test", "--tx", a, "--rx", b]).args(args);
    c
}

#[test]
fn duration_ends_a_slow_paced_wait() {
    if !common::require_root!() {
        return;
    }
    let (out, took) = common::in_private_netns(|| {
        let (a, b) = (common::unique_name("vsda"), common::unique_name("vsdb"));
        common::veth_pair(&a, &b);
        let t = Instant::now();
        // One frame every 5 s, a 1 s run: the wait for the second frame ends with the run.
        let out = test_cmd(
            &a,
            &b,
            &["--rate", "0.2", "-d", "1s", "--drain", "50ms", "--json"],
        )
        .output()
        .unwrap();
        (out, t.elapsed())
    });
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(took < Duration::from_millis(3500), "took {took:?}: {err}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(r["sent"], 1, "{r}");
}

#[test]
fn sigterm_ends_a_slow_paced_wait() {
    if !common::require_root!() {
        return;
    }
    for rate in ["0.1", "0.001"] {
        let (out, took) = common::in_private_netns(move || {
            let (a, b) = (common::unique_name("vssa"), common::unique_name("vssb"));
            common::veth_pair(&a, &b);
            let child = test_cmd(
                &a,
                &b,
                &["--rate", rate, "-c", "5", "--drain", "50ms", "--json"],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
            std::thread::sleep(Duration::from_millis(700));
            let t = Instant::now();
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            )
            .unwrap();
            let out = child.wait_with_output().unwrap();
            (out, t.elapsed())
        });
        let err = String::from_utf8_lossy(&out.stderr);
        // Within the drain and the closing of sockets; the old wait took 10 s (or forever).
        assert!(
            took < Duration::from_millis(2500),
            "--rate {rate}: took {took:?}: {err}"
        );
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
        assert_eq!(r["interrupted"], true, "{r}");
        assert_eq!(r["sent"], 1, "{r}");
    }
}

#[test]
fn rates_below_the_minimum_are_refused_in_test_and_send() {
    for rate in ["1e-10", "0.0005"] {
        for args in [
            vec!["test", "--count", "1", "--rate", rate],
            vec!["send", "--dry-run", "--count", "2", "--rate", rate],
        ] {
            let out = common::vethbench().args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("at least 0.001"), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
}

#[test]
fn an_absurd_rate_means_as_fast_as_possible() {
    if !common::require_root!() {
        return;
    }
    let out = common::in_private_netns(|| {
        let (a, b) = (common::unique_name("vsra"), common::unique_name("vsrb"));
        common::veth_pair(&a, &b);
        test_cmd(&a, &b, &["-r", "1e27", "-c", "10", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    });
    // Run the wait outside the namespace thread: a hang is caught by the deadline below.
    let mut child = out;
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("test -r 1e27 -c 10 did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert!(status.success(), "{stdout}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["intact"], 10, "{r}");
}

#[test]
fn an_interface_deleted_mid_run_is_named_after_a_partial_report() {
    if !common::require_root!() {
        return;
    }
    let out = common::in_private_netns(|| {
        let (a, b) = (common::unique_name("vsxa"), common::unique_name("vsxb"));
        common::veth_pair(&a, &b);
        let child = test_cmd(&a, &b, &["--rate", "2000", "-d", "20s", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(800));
        common::run_ok("ip", &["link", "del", &a]);
        child.wait_with_output().unwrap()
    });
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("disappeared"), "{err}");
    assert!(!err.contains("is down"), "{err}");
    assert!(
        err.starts_with("vethbench: error: ") && err.lines().count() == 1,
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a partial JSON report");
    assert!(r["sent"].as_u64().unwrap() > 100, "{r}");
    assert!(r["error"].as_str().unwrap().contains("disappeared"), "{r}");
}
