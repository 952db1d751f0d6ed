//! Printing flags people type by habit (issue 13), on a live capture: tshark's `-T json`
//! (both forms), `-x`, `-E`; tcpdump's `-X` and `-e` (here `--link-header`); `-v`/`-V`.
//! `read` prints the same way (tests/read_habits.rs compares it with tshark and tcpdump).

use super::*;

/// Two UDP frames from vethX, captured on vethY with `extra` printing flags: stdout.
fn capture_printed(extra: &[&str]) -> String {
    let mut args = vec!["vethY", "-c", "2"];
    args.extend_from_slice(extra);
    let cap = Capture::start(&args);
    let eth = "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')/\
               IP(src='198.18.0.1', dst='198.18.0.2')";
    scapy_send(
        "vethX",
        &format!("{eth}/UDP(sport=1111, dport=2222)/'hi', {eth}/UDP(sport=1112, dport=2223)/'yo'"),
    );
    let (code, out, err) = cap.finish();
    assert_eq!(code, 0, "{err:?}");
    out
}

#[test]
fn capture_prints_like_read() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");

        // tshark's -T json: an array of two, layers by tshark's names.
        let out = capture_printed(&["-T", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect(&out);
        let a = v.as_array().expect("an array");
        assert_eq!(a.len(), 2, "{out}");
        assert_eq!(a[0]["_type"], "doc");
        assert!(a[0]["_score"].is_null());
        let l = &a[1]["_source"]["layers"];
        assert_eq!(l["frame"]["frame.number"], "2", "{out}");
        assert_eq!(l["ip"]["ip.src"], "198.18.0.1", "{out}");
        assert_eq!(l["udp"]["udp.dstport"], "2223", "{out}");
        assert_eq!(l["data"]["data.data"], "79:6f", "{out}");

        // Its -e form.
        let out = capture_printed(&["-T", "json", "-e", "udp.srcport", "-e", "tcp.srcport"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect(&out);
        assert_eq!(
            v[0]["_source"]["layers"],
            serde_json::json!({"udp.srcport": ["1111"]}),
            "{out}"
        );

        // -E, as read takes it.
        let out = capture_printed(&[
            "-T",
            "fields",
            "-e",
            "udp.srcport",
            "-e",
            "ip.dst",
            "-E",
            "header=y",
            "-E",
            "separator=,",
            "-E",
            "quote=d",
        ]);
        assert_eq!(
            out,
            "udp.srcport,ip.dst\n\"1111\",\"198.18.0.2\"\n\"1112\",\"198.18.0.2\"\n"
        );

        // -x alone: the hex dump only (as tshark); -X: the line, then the dump (as tcpdump),
        // with --link-header the MACs and EtherType after the time.
        let out = capture_printed(&["-x"]);
        assert!(out.starts_with("0000  02 00 00 00 00 02 02 00"), "{out}");
        assert!(!out.contains("UDP"), "{out}");
        let out = capture_printed(&["-X", "--link-header"]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].contains(
                " 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 44: \
                 198.18.0.1 → 198.18.0.2 UDP 44"
            ),
            "{out}"
        );
        assert!(lines[1].starts_with("0000  02 00 00 00 00 02"), "{out}");

        // -v is -V here: the line, then the per-layer dump.
        let out = capture_printed(&["-v"]);
        assert!(out.contains("###[ UDP ]###"), "{out}");
        assert!(out.contains("###[ IP ]###"), "{out}");

        // Ambiguous or meaningless combinations: one line, exit 2.
        let (code, _, err) = run_fail(&["capture", "vethY", "-e", "ip.src", "-c", "1"]);
        assert_one_line_error(code, &err, "--link-header");
        let (code, _, err) = run_fail(&["capture", "vethY", "-T", "json", "-x", "-c", "1"]);
        assert_one_line_error(code, &err, "not with -T");
        let (code, _, err) = run_fail(&["capture", "vethY", "-T", "json", "-E", "header=y"]);
        assert_one_line_error(code, &err, "-E needs -T fields");
    });
}
