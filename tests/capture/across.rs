//! Interfaces in different namespaces into one file (`-i NS:IFACE`), frames in time order.

use super::*;

/// The walkthrough's pair (one end in each of two named namespaces), captured on both ends
/// while `test` runs across it each way at once: one file, one IDB per end named as given,
/// and timestamps that never go backwards (capinfos and tshark say so). (Within one
/// interface the order is the kernel's: with `--direction inout`, a frame sent and one
/// received on different CPUs can be stamped a few hundred ns out of ring order.)
#[test]
fn two_namespace_capture_is_in_strict_time_order_with_both_names() {
    if !common::require_root!() {
        return;
    }
    let (ns1, ns2) = (common::unique_name("vbo1"), common::unique_name("vbo2"));
    let _g1 = NamedNetns(ns1.clone());
    let _g2 = NamedNetns(ns2.clone());
    let (a, b) = (common::unique_name("voa"), common::unique_name("vob"));
    for args in [
        vec!["netns", "add", &ns1],
        vec!["netns", "add", &ns2],
        vec![
            "veth",
            "add",
            &a,
            "--netns",
            &ns1,
            "--peer",
            &b,
            "--peer-netns",
            &ns2,
            "--up",
            "--no-ipv6",
        ],
    ] {
        let (code, _, err) = run_fail(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (_d, dir) = tmp();
    let file = format!("{dir}/both.pcapng");
    let ia = format!("{ns1}:{a}");
    let ib = format!("{ns2}:{b}");
    // A deeper ring than the default's 128 ms of trickling blocks: this machine is shared.
    let cap = Capture::start(&[
        "-i",
        &ia,
        "-i",
        &ib,
        "-w",
        &file,
        "--blocks",
        "256",
        "--block-size",
        "65536",
    ]);
    // Both ways at once: frames of the two rings interleave closely.
    let fwd = common::vethbench()
        .args([
            "test", "--tx", &ia, "--rx", &ib, "-c", "20000", "--rate", "40k",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let back = common::vethbench()
        .args([
            "test", "--tx", &ib, "--rx", &ia, "-c", "20000", "--rate", "40k",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for mut c in [fwd, back] {
        assert!(c.wait().unwrap().success());
    }
    cap.signal(nix::sys::signal::Signal::SIGINT);
    let (code, _, err) = cap.finish();
    assert_eq!(code, 0, "{err:?}");
    let captured = summary_count(&err, " packets captured");
    let received = summary_count(&err, " packets received by filter");
    let dropped = summary_count(&err, " packets dropped by kernel");
    assert_eq!(received, 40_000, "{err:?}");
    assert_eq!(captured + dropped, received, "{err:?}");
    let info = common::run_ok("capinfos", &["-o", "-I", &file]);
    assert!(info.contains("Strict time order:   True"), "{info}");
    assert!(info.contains(&format!("Name = {ia}")), "{info}");
    assert!(info.contains(&format!("Name = {ib}")), "{info}");
    // tshark's own reading: per-frame epoch times in file order, never decreasing, and both
    // interfaces present.
    let rows = common::run_ok(
        "tshark",
        &[
            "-r",
            &file,
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.interface_id",
        ],
    );
    let mut last = 0u128;
    let mut ids = [0u64; 2];
    for (n, l) in rows.lines().enumerate() {
        let (t, id) = l.split_once('\t').unwrap();
        let (s, ns) = t.split_once('.').unwrap();
        let t: u128 = s.parse::<u128>().unwrap() * 1_000_000_000 + ns.parse::<u128>().unwrap();
        assert!(t >= last, "frame {} goes back in time: {t} < {last}", n + 1);
        last = t;
        ids[id.parse::<usize>().unwrap()] += 1;
    }
    assert!(ids[0] > 0 && ids[1] > 0, "{ids:?}");
}

/// Issue 21 new-user 12: `-i any` (and `NS:any`) captures every interface of the namespace,
/// one ring and one interface block each (not tcpdump's cooked SLL: frames keep their
/// Ethernet headers); naming another interface beside it is refused.
#[test]
fn any_captures_every_interface_of_the_namespace() {
    if !common::require_root!() {
        return;
    }
    let (ns1, ns2) = (common::unique_name("vby1"), common::unique_name("vby2"));
    let _g1 = NamedNetns(ns1.clone());
    let _g2 = NamedNetns(ns2.clone());
    let (a, b) = (common::unique_name("vya"), common::unique_name("vyb"));
    for args in [
        vec!["netns", "add", &ns1],
        vec!["netns", "add", &ns2],
        vec![
            "veth",
            "add",
            &a,
            "--netns",
            &ns1,
            "--peer",
            &b,
            "--peer-netns",
            &ns2,
            "--up",
            "--no-ipv6",
        ],
    ] {
        let (code, _, err) = run_fail(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (_d, dir) = tmp();
    let any_of = format!("{ns2}:any");
    for (k, how) in [vec!["-n", &ns2, "-i", "any"], vec!["-i", &any_of]]
        .into_iter()
        .enumerate()
    {
        let file = format!("{dir}/any{k}.pcapng");
        let mut args = how.clone();
        args.extend(["-c", "2", "-w", &file]);
        let cap = Capture::start(&args);
        let (code, _, err) = run_fail(&["send", "-n", &ns1, "-i", &a, "--count", "2"]);
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{how:?}: {err:?}");
        let prefix = if k == 1 {
            format!("{ns2}:")
        } else {
            String::new()
        };
        assert!(
            err[0].contains(&format!("'{prefix}lo' and '{prefix}{b}'")),
            "{how:?}: {err:?}"
        );
        let info = common::run_ok("capinfos", &["-I", &file]);
        assert!(info.contains(&format!("Name = {prefix}lo")), "{info}");
        assert!(info.contains(&format!("Name = {prefix}{b}")), "{info}");
        let on = common::run_ok(
            "tshark",
            &["-r", &file, "-T", "fields", "-e", "frame.interface_name"],
        );
        let want = format!("{prefix}{b}");
        assert_eq!(on.lines().collect::<Vec<_>>(), [want.as_str(); 2], "{on}");
    }
    let (code, _, err) = run_fail(&["capture", "-n", &ns2, "-i", "any", "-i", &b, "-c", "1"]);
    assert_one_line_error(
        code,
        &err,
        "-i any captures every interface of the namespace already",
    );
}
