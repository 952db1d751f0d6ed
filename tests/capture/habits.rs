//! Flags people type by habit (issue 13): tcpdump's filter after the interface, `-s 0` and
//! `-D`; tshark's `-a packets:N` / `-a duration:N`.

use super::*;

/// `capture vethY tcp port 2222 -a packets:2 -s 0`: the words after the interface are the
/// filter (as tcpdump takes them), -a packets:2 is -c 2, -s 0 keeps whole frames.
#[test]
fn tcpdump_filter_after_the_interface_and_tshark_autostop() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/f.pcapng");
        let cap = Capture::start(&[
            "vethY",
            "tcp",
            "port",
            "2222",
            "-w",
            &file,
            "-a",
            "packets:2",
            "-s",
            "0",
        ]);
        let eth = "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')/\
                   IP(src='198.18.0.1', dst='198.18.0.2')";
        scapy_send(
            "vethX",
            &format!(
                "{eth}/UDP(sport=1111, dport=2222), {eth}/TCP(sport=1111, dport=2222)/('a'*1000), \
                 {eth}/ICMP(), {eth}/TCP(sport=2222, dport=40000)/'b'"
            ),
        );
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        let t = tshark_fields(
            &file,
            &["tcp.srcport", "tcp.dstport", "frame.len", "frame.cap_len"],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            ["1111\t2222\t1054\t1054", "2222\t40000\t55\t55"],
            "{t}"
        );
        let info = common::run_ok("capinfos", &[&file]);
        assert!(info.contains("tcp port 2222"), "if_filter missing: {info}");

        // A filter both ways is ambiguous: one line, exit 2.
        let (code, _, err) = run_fail(&["capture", "vethY", "udp", "-f", "tcp", "-c", "1"]);
        assert_one_line_error(code, &err, "two capture filters");
        let (code, _, err) = run_fail(&["capture", "vethY", "-a", "files:3"]);
        assert_one_line_error(code, &err, "-a files");
        let (code, _, err) = run_fail(&["capture", "vethY", "-a", "packets:x"]);
        assert_one_line_error(code, &err, "packets:N");
    });
}

/// `-a duration:0.3` stops the capture by itself, like --duration.
#[test]
fn tshark_autostop_duration() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/d.pcapng");
        let out = common::vethbench()
            .args(["capture", "vethY", "-w", &file, "-a", "duration:0.3"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(capinfos_count(&file), 0);
    });
}

/// `-D` lists this namespace's interfaces, numbered like tcpdump's, with -n naming the place.
#[test]
fn tcpdump_list_interfaces() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let out = common::vethbench()
            .args(["capture", "-D"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().any(|l| l.starts_with("1.lo [")), "{text}");
        assert!(
            text.lines()
                .any(|l| l.contains(".vethY [Up, Running] (veth)")),
            "{text}"
        );
    });
}
