//! Flags: a filter, bad input (one line, exit 2), two interfaces into one file, live fields
//! with `--duration` and SIGTERM, direction, snap length, quiet, a named namespace.

use super::*;

#[test]
fn filter_lets_only_matching_frames_in() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/f.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "-c", "2", "-f", "tcp port 2222"]);
        let eth = "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')/\
                   IP(src='198.18.0.1', dst='198.18.0.2')";
        scapy_send(
            "vethX",
            &format!(
                "{eth}/TCP(sport=1111, dport=3333), {eth}/UDP(sport=1111, dport=2222), \
                 {eth}/TCP(sport=1111, dport=2222)/'a', {eth}/ICMP(), \
                 {eth}/TCP(sport=2222, dport=40000)/'b'"
            ),
        );
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        let t = tshark_fields(&file, &["ip.proto", "tcp.srcport", "tcp.dstport", "data"]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2, "{t}");
        assert_eq!(lines, ["6\t1111\t2222\t61", "6\t2222\t40000\t62"]);
        let info = common::run_ok("capinfos", &[&file]);
        assert!(info.contains("tcp port 2222"), "if_filter missing: {info}");
    });
}

#[test]
fn bad_input_fails_in_one_line_with_exit_2() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let good = format!("{dir}/g.pcapng");

        let (code, _, err) = run_fail(&["capture", "nosuch0", "-w", &good, "-c", "1"]);
        assert_one_line_error(code, &err, "nosuch0");
        assert!(
            !std::path::Path::new(&good).exists(),
            "file created for a bad interface"
        );

        let (code, _, err) = run_fail(&["capture", "vethY", "-f", "tcp prot 22", "-c", "1"]);
        assert_one_line_error(code, &err, "syntax error");

        let (code, _, err) = run_fail(&["capture", "vethY", "-w", "/nonexistent-dir/x.pcapng"]);
        assert_one_line_error(code, &err, "/nonexistent-dir/x.pcapng");

        // A device that is always full: the header write fails at once.
        let (code, _, err) = run_fail(&["capture", "vethY", "-w", "/dev/full", "-c", "1"]);
        assert_one_line_error(code, &err, "No space left on device");

        // Numbers out of range: one line, no panic (1e30 s used to overflow Instant).
        let (code, _, err) = run_fail(&["capture", "vethY", "--duration", "1e30"]);
        assert_one_line_error(code, &err, "--duration");
        let (code, _, err) = run_fail(&["capture", "vethY", "--block-timeout-ms", "70000"]);
        assert_one_line_error(code, &err, "--block-timeout-ms");

        // A non-Ethernet interface (a tun device: frames start at the IP header) is refused
        // rather than written as Ethernet.
        common::run_ok("ip", &["tuntap", "add", "dev", "vbtun0", "mode", "tun"]);
        common::run_ok("ip", &["link", "set", "vbtun0", "up"]);
        let tun_file = format!("{dir}/tun.pcapng");
        let (code, _, err) = run_fail(&["capture", "vbtun0", "-w", &tun_file, "-c", "1"]);
        assert_one_line_error(code, &err, "not Ethernet");
        assert!(
            !std::path::Path::new(&tun_file).exists(),
            "file created for a refused interface"
        );

        let (code, _, err) = run_fail(&["read", &format!("{dir}/missing.pcapng")]);
        assert_one_line_error(code, &err, "missing.pcapng");

        // A truncated file: the good frames print, then the offset of the bad block.
        let cap = Capture::start(&["vethY", "-w", &good, "-c", "3"]);
        scapy_send("vethX", &format!("{ONEPKT}, {ONEPKT}, {ONEPKT}"));
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        let bytes = std::fs::read(&good).unwrap();
        let cut = format!("{dir}/cut.pcapng");
        // Drop the ISB and the tail of the third EPB.
        std::fs::write(&cut, &bytes[..bytes.len() - 120]).unwrap();
        let (code, out, err) = run_fail(&["read", &cut, "-T", "fields", "-e", "tcp.dstport"]);
        assert_eq!(out, "2222\n2222\n", "the good frames first");
        assert_one_line_error(code, &err, "at byte ");

        let junk = format!("{dir}/junk.pcapng");
        std::fs::write(&junk, b"this is not a capture file").unwrap();
        let (code, _, err) = run_fail(&["read", &junk]);
        assert_one_line_error(code, &err, "at byte 0");
    });
}

#[test]
fn two_interfaces_into_one_file_with_direction_and_csum_flag() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        // The local stack sends UDP out of vethX: its checksum is left partial (offload), so
        // the ring marks it TP_STATUS_CSUMNOTREADY.
        common::run_ok("ip", &["addr", "add", "198.18.0.1/24", "dev", "vethX"]);
        common::run_ok(
            "ip",
            &[
                "neigh",
                "add",
                "198.18.0.2",
                "lladdr",
                "02:00:00:00:00:02",
                "dev",
                "vethX",
            ],
        );
        let (_d, dir) = tmp();
        let file = format!("{dir}/two.pcapng");
        let cap = Capture::start(&[
            "-i",
            "vethX",
            "-i",
            "vethY",
            "--direction",
            "inout",
            "-w",
            &file,
            "-c",
            "2",
        ]);
        let sock = std::net::UdpSocket::bind("198.18.0.1:0").unwrap();
        sock.send_to(b"partial", "198.18.0.2:40000").unwrap();
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        let t = tshark_fields(
            &file,
            &[
                "frame.interface_name",
                "frame.packet_flags_direction",
                "udp.dstport",
                "frame.comment",
            ],
        );
        let mut lines: Vec<&str> = t.lines().collect();
        lines.sort();
        assert_eq!(
            lines,
            [
                "vethX\t0x00000002\t40000\tcsum-not-ready",
                "vethY\t0x00000001\t40000\tcsum-not-ready"
            ],
            "{t}"
        );
        // And the draft's epb_flags bit 9 ("checksum not ready") on both copies.
        let mut r = CaptureReader::open(&file).unwrap();
        let mut n = 0;
        while let Some(f) = r.next() {
            let f = f.unwrap();
            assert_ne!(
                f.flags.unwrap_or(0) & EpbFlags::CSUM_NOT_READY,
                0,
                "{:?}",
                f.flags
            );
            n += 1;
        }
        assert_eq!(n, 2);
    });
}

#[test]
fn prints_fields_live_and_stops_on_duration_and_sigterm() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        // No -w: fields on stdout.
        let cap = Capture::start(&[
            "vethY",
            "-c",
            "1",
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "tcp.dstport",
        ]);
        scapy_send("vethX", ONEPKT);
        let (code, out, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(out, "1.1.1.1\t2222\n");

        // --duration with no traffic: a complete, empty file.
        let file = format!("{dir}/d.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "--duration", "0.3"]);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(summary_count(&err, " packets captured"), 0);
        assert_eq!(capinfos_count(&file), 0);

        // SIGTERM ends like SIGINT; -P prints while writing.
        let file = format!("{dir}/t.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "-P", "-T", "fields", "-e", "eth.src"]);
        scapy_send("vethX", ONEPKT);
        std::thread::sleep(Duration::from_millis(200));
        cap.signal(nix::sys::signal::Signal::SIGTERM);
        let (code, out, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(out, "22:11:11:11:11:11\n");
        assert_eq!(capinfos_count(&file), 1);
    });
}

#[test]
fn default_direction_snaplen_quiet_and_named_netns() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let eth_x = "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')/\
                     IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=1, dport=2)";
        let eth_y = "Ether(dst='02:00:00:00:00:01', src='02:00:00:00:00:02')/\
                     IP(src='198.18.0.2', dst='198.18.0.1')/UDP(sport=3, dport=4)";

        // Default direction on vethX: what vethX itself sends is ignored, what it receives is
        // kept. The outgoing frame goes first, so `-c 1` would keep it if it leaked through.
        let file = format!("{dir}/in.pcapng");
        let cap = Capture::start(&["vethX", "-w", &file, "-c", "1"]);
        scapy_send("vethX", &format!("{eth_x}/'sent by X'"));
        scapy_send("vethY", &format!("{eth_y}/'sent by Y'"));
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(
            tshark_fields(&file, &["udp.dstport", "frame.packet_flags_direction"]),
            "4\t0x00000001\n",
            "only the received frame, marked inbound"
        );

        // --direction out: the reverse.
        let file = format!("{dir}/out.pcapng");
        let cap = Capture::start(&["vethX", "-w", &file, "-c", "1", "--direction", "out"]);
        scapy_send("vethY", &format!("{eth_y}/'sent by Y'"));
        scapy_send("vethX", &format!("{eth_x}/'sent by X'"));
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(
            tshark_fields(&file, &["udp.dstport", "frame.packet_flags_direction"]),
            "2\t0x00000002\n"
        );

        // -s 20: 20 bytes kept, the original length recorded, the IDB says 20.
        let file = format!("{dir}/snap.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "-c", "1", "-s", "20"]);
        scapy_send("vethX", ONEPKT);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(
            tshark_fields(&file, &["frame.len", "frame.cap_len", "eth.src"]),
            "57\t20\t22:11:11:11:11:11\n"
        );
        let info = common::run_ok("capinfos", &[&file]);
        assert!(info.contains("Capture length = 20"), "{info}");

        // -q with no -w: nothing on stdout, the summary still counts the frame.
        let cap = Capture::start(&["vethY", "-q", "-c", "1"]);
        scapy_send("vethX", ONEPKT);
        let (code, out, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(out, "", "-q printed frames");
        assert_eq!(summary_count(&err, " packets captured"), 1);

        // -n NETNS: vethY moved into a named namespace, captured from there.
        let ns = NamedNetns(common::unique_name("vbq4"));
        common::run_ok("ip", &["netns", "add", &ns.0]);
        common::run_ok("ip", &["link", "set", "vethY", "netns", &ns.0]);
        common::run_ok("ip", &["-n", &ns.0, "link", "set", "vethY", "up"]);
        let file = format!("{dir}/ns.pcapng");
        let cap = Capture::start(&["-n", &ns.0, "vethY", "-w", &file, "-c", "1"]);
        scapy_send("vethX", ONEPKT);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(
            tshark_fields(&file, &["frame.interface_name", "tcp.dstport"]),
            "vethY\t2222\n"
        );
        // Without -n, vethY is not in this namespace any more.
        let (code, _, err) = run_fail(&["capture", "vethY", "-c", "1"]);
        assert_one_line_error(code, &err, "vethY");
    });
}

/// Issue 13, item 2: printed frames that cannot be written (a full disk) are an error naming
/// stdout, exit 2, not lost with exit 0.
#[test]
fn printing_to_a_full_disk_is_an_error() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let full = std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let cap = Capture::start_to(&["vethY", "-c", "1"], full.into());
        scapy_send(
            "vethX",
            "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')/\
             IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=1111, dport=2222)/'x'",
        );
        let (code, _, err) = cap.finish();
        assert_eq!(code, 2, "{err:?}");
        let last = err.last().map(String::as_str).unwrap_or("");
        assert!(
            last.starts_with("vethbench: error: writing to stdout: No space left"),
            "{err:?}"
        );
    });
}

/// Issue 21, defect 11: whichever open runs out of descriptors (a namespace, a socket, the
/// lookup of an interface, the output file), the error is EMFILE with the limit, one line,
/// exit 2; never "interface ... does not exist" (glibc's if_nametoindex leaves ENOENT when it
/// cannot open its socket). A limit high enough captures.
#[test]
fn each_open_out_of_descriptors_is_emfile_with_the_limit() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/f.pcapng");
        let mut failed = 0;
        let mut captured = false;
        for k in 4..=16 {
            let o = Command::new("prlimit")
                .arg(format!("--nofile={k}"))
                .arg(common::bin_path())
                .args([
                    "capture",
                    "-i",
                    "vethX",
                    "-i",
                    "vethY",
                    "-a",
                    "duration:0.05",
                ])
                .args(["-w", &file])
                .output()
                .expect("prlimit (util-linux)");
            let err = String::from_utf8_lossy(&o.stderr);
            if o.status.success() {
                captured = true;
                continue;
            }
            failed += 1;
            assert_eq!(o.status.code(), Some(2), "limit {k}: {err}");
            assert_eq!(err.lines().count(), 1, "limit {k}: {err}");
            assert!(
                err.contains("too many open files (EMFILE)")
                    && err.contains(&format!("may open {k}")),
                "limit {k}: {err}"
            );
        }
        assert!(
            failed > 0 && captured,
            "{failed} limits failed, captured {captured}"
        );
    });
}
