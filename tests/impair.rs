//! `vethbench impair`: the seeded relay between two veth pairs in a private namespace
//! (va ⇄ ra | relay | rb ⇄ vb), measured by `vethbench test` from va to vb: loss within its
//! statistical bounds, the same lost sequence numbers for the same seed, duplicates and
//! reorderings counted by the checker exactly as the relay made them, delay from kernel
//! timestamps.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The tests of this file, one at a time: each runs a relay (a debug build) and a paced
/// `vethbench test` through it, and two at once on a 2-CPU machine starve the relays.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn topology() {
    common::veth_pair("va", "ra");
    common::veth_pair("rb", "vb");
}

/// Start the relay; returns once it says its rings are bound.
fn relay(args: &[&str]) -> Child {
    let mut child = common::vethbench()
        .args(["impair", "ra", "rb", "-j"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "Relaying ra <-> rb\n", "{args:?}");
    child
}

/// Stop the relay (SIGINT, as Ctrl-C) and return its JSON report.
fn stop(child: Child) -> serde_json::Value {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The stamps' sequence numbers in a capture of `vethbench test`'s default frames (UDP payload
/// bytes 8..16).
fn arrived(cap: &std::path::Path) -> std::collections::BTreeSet<u64> {
    common::frames_in(cap)
        .iter()
        .map(|(_, f)| u64::from_be_bytes(f[50..58].try_into().unwrap()))
        .collect()
}

/// `vethbench test` va → vb; its JSON report.
fn test(args: &[&str]) -> serde_json::Value {
    let out = common::vethbench()
        // A drain long enough for a relay (a debug build) that a loaded machine holds back:
        // a frame still in its ring when the checker stops would count as lost.
        .args([
            "test", "--tx", "va", "--rx", "vb", "--json", "--drain", "3s",
        ])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn one_percent_loss_is_within_its_bounds_and_replays_from_the_seed() {
    if !common::require_root!() {
        return;
    }
    let _one_at_a_time = serial();
    common::in_private_netns(|| {
        topology();
        let dir = tempfile::tempdir().unwrap();
        let n = 100_000u64;
        let mut lost_sets = Vec::new();
        for round in 0..2 {
            let r = relay(&["--loss", "1%", "--seed", "7"]);
            let cap = dir.path().join(format!("r{round}.pcapng"));
            // Paced so that the relay (a debug build under `cargo test`) takes every frame: a
            // frame its ring drops would shift the indices the fates are drawn for.
            let rep = test(&[
                "--count",
                &n.to_string(),
                "--rate",
                "50k",
                "-w",
                cap.to_str().unwrap(),
            ]);
            let st = stop(r);
            let dropped = st["a_to_b"]["dropped"].as_u64().unwrap();
            // The checker's loss is the relay's drops, nothing else.
            assert_eq!(rep["lost"].as_u64().unwrap(), dropped, "{rep}\n{st}");
            assert_eq!(st["a_to_b"]["received"].as_u64().unwrap(), n, "{st}");
            assert_eq!(st["a_to_b"]["ring_drops"], 0, "{st}");
            // Binomial(100000, 1%): mean 1000, sd 31.5; within 5 sd.
            assert!((842..=1158).contains(&dropped), "{dropped} dropped");
            let got = arrived(&cap);
            let lost: Vec<u64> = (0..n).filter(|s| !got.contains(s)).collect();
            assert_eq!(lost.len() as u64, dropped);
            lost_sets.push(lost);
        }
        assert_eq!(
            lost_sets[0], lost_sets[1],
            "the same seed lost other frames"
        );
        // Another seed loses others.
        let r = relay(&["--loss", "1%", "--seed", "8"]);
        let cap = dir.path().join("r8.pcapng");
        test(&[
            "--count",
            &n.to_string(),
            "--rate",
            "50k",
            "-w",
            cap.to_str().unwrap(),
        ]);
        stop(r);
        let got = arrived(&cap);
        let lost: Vec<u64> = (0..n).filter(|s| !got.contains(s)).collect();
        assert_ne!(lost, lost_sets[0]);
    });
}

#[test]
fn duplicates_and_reorderings_are_the_checkers_and_clean_forwarding_loses_nothing() {
    if !common::require_root!() {
        return;
    }
    let _one_at_a_time = serial();
    common::in_private_netns(|| {
        topology();
        let r = relay(&["--duplicate", "1%", "--reorder", "1%", "--seed", "3"]);
        let rep = test(&["--count", "20000", "--rate", "50k"]);
        let st = stop(r);
        let ab = &st["a_to_b"];
        assert_eq!(rep["lost"], 0, "{rep}");
        assert_eq!(rep["duplicated"], ab["duplicated"], "{rep}\n{st}");
        assert_eq!(rep["reordered"], ab["reordered"], "{rep}\n{st}");
        assert!(ab["duplicated"].as_u64().unwrap() > 100, "{st}");
        assert!(ab["reordered"].as_u64().unwrap() > 100, "{st}");
        // Nothing impaired: every frame, in order, intact, both ways.
        let r = relay(&[]);
        let rep = test(&["--count", "50000", "--rate", "50k"]);
        let st = stop(r);
        assert_eq!(rep["verdict"], "passed", "{rep}");
        assert_eq!(st["a_to_b"]["forwarded"], 50000, "{st}");
        assert_eq!(st["a_to_b"]["overflow"], 0, "{st}");
    });
}

#[test]
fn a_delay_holds_every_frame_and_corruption_is_counted() {
    if !common::require_root!() {
        return;
    }
    let _one_at_a_time = serial();
    common::in_private_netns(|| {
        topology();
        let r = relay(&["--delay", "2ms", "--seed", "1"]);
        let rep = test(&["--count", "500", "--mode", "latency"]);
        stop(r);
        assert_eq!(rep["lost"], 0, "{rep}");
        // From the sender's stamp to the receiver's kernel timestamp: never under the delay.
        let min = rep["latency"]["min_us"].as_f64().unwrap();
        assert!(min >= 2000.0, "a frame arrived {min} µs after it was sent");
        let r = relay(&["--corrupt", "2%", "--seed", "5"]);
        let rep = test(&["--count", "10000", "--rate", "50k"]);
        let st = stop(r);
        // A flipped bit in the stamp's magic or stream id makes the frame not ours: unexpected
        // (and its sequence number lost); anywhere else, corrupted.
        let seen = rep["corrupted"].as_u64().unwrap() + rep["unexpected"].as_u64().unwrap();
        assert_eq!(
            seen,
            st["a_to_b"]["corrupted"].as_u64().unwrap(),
            "{rep}\n{st}"
        );
        assert_eq!(rep["lost"], rep["unexpected"], "{rep}");
        assert!(st["a_to_b"]["corrupted"].as_u64().unwrap() > 50, "{st}");
    });
}

#[test]
fn bad_input_is_one_line() {
    for (args, needle) in [
        (
            vec!["impair", "ra", "rb", "--loss", "150%"],
            "from 0% to 100%",
        ),
        (vec!["impair", "ra", "rb", "--delay", "2"], "with its unit"),
        (
            vec!["impair", "ra", "rb", "--jitter", "1ms"],
            "jitter needs a delay",
        ),
        (
            vec!["impair", "ra", "rb", "--a-to-b", "los=1%"],
            "known: loss",
        ),
        (vec!["impair", "ra", "ra"], "give two interfaces"),
        (vec!["impair", "nosuch0", "nosuch1"], "nosuch0"),
    ] {
        let o = common::vethbench().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("vethbench: ") && err.lines().count() == 1 && err.contains(needle),
            "{args:?}: {err}"
        );
    }
}
