//! The first walkthrough's topology (veth1 in net1, veth2 in net2) tested as it stands, with
//! `test --tx NS:IFACE --rx NS:IFACE`; and `veth add` interrupted at every stage leaves the
//! pair whole or absent, never half-made.

use super::*;

/// Two named namespaces joined by a pair, as the walkthrough makes them.
fn walkthrough_pair() -> (NetnsCleanup, String, String, String, String) {
    let (ns1, ns2) = (common::unique_name("vbx1"), common::unique_name("vbx2"));
    let cleanup = NetnsCleanup(vec![ns1.clone(), ns2.clone()]);
    vb_ok(&["netns", "add", &ns1]);
    vb_ok(&["netns", "add", &ns2]);
    let (v1, v2) = (common::unique_name("vx1"), common::unique_name("vx2"));
    vb_ok(&[
        "veth",
        "add",
        &v1,
        "--netns",
        &ns1,
        "--peer",
        &v2,
        "--peer-netns",
        &ns2,
        "--addr",
        "198.18.4.10/24",
        "--peer-addr",
        "198.18.4.20/24",
        "--up",
        "--no-ipv6",
    ]);
    (cleanup, ns1, ns2, v1, v2)
}

#[test]
fn test_across_two_named_namespaces_passes_and_fails_with_the_rx_end_down() {
    if !common::require_root!() {
        return;
    }
    let (_cleanup, ns1, ns2, v1, v2) = walkthrough_pair();
    let tx = format!("{ns1}:{v1}");
    let rx = format!("{ns2}:{v2}");
    let out = vb(&["test", "--tx", &tx, "--rx", &rx, "-c", "2000", "--json"]);
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["intact"], 2000, "{report}");
    // The other way, -n giving the default namespace and NS: the other one.
    let back = format!("{ns1}:{v1}");
    let out = vb_ok(&["test", "-n", &ns2, "--tx", &v2, "--rx", &back, "-c", "500"]);
    assert!(out.contains("PASSED"), "{out}");

    // The receiving end set down: nothing arrives, the run fails (exit 1, frames lost).
    common::run_ok("ip", &["-n", &ns2, "link", "set", &v2, "down"]);
    let out = vb(&["test", "--tx", &tx, "--rx", &rx, "-c", "100"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAILED: 100 frame(s) lost"), "{text}");
}

/// `timeout -s SIG T vethbench veth add ...` for T from 1 to 30 ms, 50 times with SIGTERM
/// and 50 with SIGINT: after each, the pair is absent, or whole (both ends, addresses, up).
#[test]
fn veth_add_interrupted_at_any_stage_leaves_nothing_half_made() {
    if !common::require_root!() {
        return;
    }
    let (ns1, ns2) = (common::unique_name("vbk1"), common::unique_name("vbk2"));
    let _cleanup = NetnsCleanup(vec![ns1.clone(), ns2.clone()]);
    vb_ok(&["netns", "add", &ns1]);
    vb_ok(&["netns", "add", &ns2]);
    let (a, b) = (common::unique_name("qka"), common::unique_name("qkb"));
    let bin = common::bin_path();
    let (mut whole, mut absent) = (0, 0);
    for i in 0..100 {
        let sig = if i % 2 == 0 { "TERM" } else { "INT" };
        let after = format!("0.{:03}", 1 + (i / 2) % 30);
        let _ = Command::new("timeout")
            .args(["-s", sig, &after])
            .arg(&bin)
            .args([
                "veth",
                "add",
                &a,
                "--netns",
                &ns1,
                "--peer",
                &b,
                "--peer-netns",
                &ns2,
                "--addr",
                "198.18.5.1/24",
                "--peer-addr",
                "198.18.5.2/24",
                "--up",
                "--no-ipv6",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run timeout");
        let end_a = end_state(&ns1, &a);
        let end_b = end_state(&ns2, &b);
        match (&end_a, &end_b) {
            (None, None) => absent += 1,
            (Some(sa), Some(sb)) => {
                for (s, addr) in [(sa, "198.18.5.1/24"), (sb, "198.18.5.2/24")] {
                    assert!(
                        s.contains(",UP") || s.contains("<UP"),
                        "run {i} (SIG{sig} after {after} s) left an end down: {s}"
                    );
                    assert!(s.contains(addr), "run {i} (SIG{sig} after {after} s): {s}");
                }
                whole += 1;
                common::run_ok("ip", &["-n", &ns1, "link", "del", &a]);
            }
            _ => panic!("run {i}: one end without the other: {end_a:?} {end_b:?}"),
        }
    }
    eprintln!("veth add interrupted 100 times: {whole} whole, {absent} absent");
}

/// `ip -o link` and `ip -o addr` of `dev` in `ns`, or None when it does not exist.
fn end_state(ns: &str, dev: &str) -> Option<String> {
    let link = Command::new("ip")
        .args(["-n", ns, "-o", "link", "show", "dev", dev])
        .output()
        .unwrap();
    if !link.status.success() {
        return None;
    }
    let addr = common::run_ok("ip", &["-n", ns, "-o", "addr", "show", "dev", dev]);
    Some(format!("{}{addr}", String::from_utf8_lossy(&link.stdout)))
}
