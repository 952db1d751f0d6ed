//! `vethbench test`'s flags: bad ones exit 2 on one line, `--help` lists them, `--cpu`, `--json`.

use super::common;

#[test]
fn bad_flags_exit_2_with_one_line() {
    for argv in [
        &["test", "--size", "20"][..],
        &["test", "--rate", "fast"],
        &["test", "--cpu", "x"],
        &["test", "--count", "0"],
    ] {
        let out = common::vethbench().args(argv).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{argv:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{argv:?}: {err}");
        assert!(err.starts_with("vethbench: error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn help_lists_the_flags() {
    let out = common::vethbench()
        .args(["test", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--count",
        "--size",
        "--rate",
        "--duration",
        "--mode",
        "--tx",
        "--rx",
        "--netns",
        "--cpu",
        "--write",
        "--json",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help");
    }
}

/// `--cpu`: a CPU this process may not use is refused up front, naming the usable ones;
/// with the sender alone pinned, the NAPI thread goes elsewhere.
#[test]
fn cpu_flags() {
    if !common::require_root!() {
        return;
    }
    let cpus = vethbench::sys::cpu::allowed();
    let out = common::vethbench()
        .args(["test", "--cpu", "0,4095"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--cpu 0,4095: CPU 4095 is not one this process may use"),
        "{err}"
    );
    if cpus.len() >= 2 {
        let tx = cpus[0].to_string();
        let out = common::vethbench()
            .args(["test", "--count", "2000", "--json", "--cpu", &tx])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["cpus"]["tx"], cpus[0]);
        let napi = v["cpus"]["napi"].as_u64().expect("a pinned NAPI thread");
        assert_ne!(napi as usize, cpus[0], "NAPI thread on the sender's CPU");
    }
}

/// `vethbench test --json`: the report parses and the counts add up.
#[test]
fn json_report_parses_and_adds_up() {
    if !common::require_root!() {
        return;
    }
    let out = common::vethbench()
        .args(["test", "--count", "5000", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(v["schema_version"], 1);
    let n = |k: &str| {
        v[k].as_u64()
            .unwrap_or_else(|| panic!("{k} missing: {text}"))
    };
    assert_eq!(n("sent"), 5000);
    assert_eq!(
        n("received"),
        n("intact") + n("duplicated") + n("corrupted") + n("unexpected")
    );
    assert_eq!(n("sent"), n("intact") + n("corrupted") + n("lost"));
    assert_eq!(v["verdict"], "passed", "{text}");
    assert_eq!(out.status.code(), Some(0));
    for k in ["tx", "rx", "napi"] {
        assert!(v["cpus"].get(k).is_some(), "cpus.{k} missing: {text}");
    }
    assert!(v["latency"]["p50_us"].as_f64().unwrap() > 0.0);
}
