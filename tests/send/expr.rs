//! `vethbench send 'EXPR'` (issue 10): parse errors on one line with the column, `-w` files,
//! an ARP who-has answered by the kernel, `fragment()` reassembled by the kernel, and the
//! interface's MAC and address as the expression's defaults.

use super::*;

/// `send --dry-run EXPR` fails with exit 2 and one line holding the expression, the column and
/// `needle`.
fn bad_expr(expr: &str, col: usize, needle: &str) {
    let out = run(&["send", "--dry-run", expr]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{expr}: {err}");
    assert_eq!(err.lines().count(), 1, "{expr}: not one line: {err}");
    let want = format!("vethbench: error: {expr}: column {col}: ");
    assert!(
        err.starts_with(&want),
        "{expr}: '{want}' does not start: {err}"
    );
    assert!(err.contains(needle), "{expr}: '{needle}' not in: {err}");
    assert!(stdout(&out).is_empty(), "printed a frame: {}", stdout(&out));
}

#[test]
fn expression_errors_are_one_line_with_the_column() {
    bad_expr("Ether()/IPP()", 9, "unknown layer 'IPP'; did you mean 'IP'");
    bad_expr(
        r#"Ether()/IP(dst="198.18.0.2")/TCP(dprot=80)"#,
        34,
        "TCP has no field 'dprot'; did you mean 'dport'?",
    );
    bad_expr(r#"Ether()/IP(ttl="64")"#, 12, "ttl takes an int, not a str");
    bad_expr(
        r#"Ether(dst=5)"#,
        7,
        "dst takes a MAC address string, not an int",
    );
    bad_expr(r#"Ether()/IP(dst="198.18.0.2)"#, 16, "unterminated string");
    bad_expr("Ether()//IP()", 9, "stray '/'");
    bad_expr("Ether()/IP()/", 13, "trailing '/'");
    bad_expr("Ether() IP()", 9, "unexpected character 'I'");
    bad_expr("Ether()/IP(ttl=", 16, "'=' without a value");
    bad_expr("Ether()/IP(ttl=1", 17, "missing ')'");
    bad_expr("Ether()/IP(ttl=256)", 12, "does not fit in 8 bits");
    bad_expr(
        r#"Ether()/IP(dst="198.18.0.2",,ttl=1)"#,
        29,
        "unexpected ',': an argument is missing",
    );
}

/// A frame without its Ethernet header would go on the link as garbage (its IP header read as
/// MACs): refused in one line, sent or not, as Scapy's `sendp` would not guess one either.
#[test]
fn an_expression_without_ether_is_refused() {
    for args in [
        &[
            "send",
            "--dry-run",
            r#"IP(src="198.18.0.1", dst="198.18.0.2")/ICMP()"#,
        ][..],
        &[
            "send",
            "-i",
            "lo",
            r#"IP(src="198.18.0.1", dst="198.18.0.2")/ICMP()"#,
        ][..],
    ] {
        let out = run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("starts with IP, not Ether"), "{err}");
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
}

#[test]
fn flags_and_an_expression_do_not_mix() {
    refused(
        &["send", "--dry-run", "--ttl", "3", "Ether()/IP()"],
        "cannot be used with",
    );
    refused(
        &[
            "send",
            "--dry-run",
            "--fragment",
            "8",
            "fragment(IP()/'x'*100)",
        ],
        "--fragment and fragment()",
    );
}

#[test]
fn write_saves_every_frame_as_pcap_or_pcapng() {
    let dir = tempfile::tempdir().unwrap();
    let expr = r#"fragment(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1, dport=2)/("x"*100), fragsize=40)"#;
    let want = vethbench::frame::expr::parse(expr)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(want.len(), 3);
    for name in ["f.pcap", "f.pcapng"] {
        let path = dir.path().join(name);
        let out = run(&[
            "send",
            "--dry-run",
            "-q",
            "-w",
            path.to_str().unwrap(),
            expr,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("Dry run: 3 packets built"),
            "{}",
            stdout(&out)
        );
        let got: Vec<Vec<u8>> = common::frames_in(&path)
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        assert_eq!(got, want, "{name}");
        let magic = &std::fs::read(&path).unwrap()[..4];
        assert_eq!(
            magic == [0x0a, 0x0d, 0x0d, 0x0a],
            name.ends_with("pcapng"),
            "{name}"
        );
    }
    // The flag-built frame too.
    let path = dir.path().join("flags.pcapng");
    let out = run(&[
        "send",
        "--dry-run",
        "-q",
        "-w",
        path.to_str().unwrap(),
        "--udp",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(common::frames_in(&path).len(), 1);
}

/// The first frame `rx` receives within 3 s that `want` picks (frames of at least 36 bytes;
/// others are passed over).
fn first_frame(rx: &Receiver, what: &str, want: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        assert!(Instant::now() < until, "no {what} arrived");
        let Some(n) = rx.recv(&mut buf, Duration::from_millis(500)) else {
            continue;
        };
        if n >= 36 && want(&buf[..n]) {
            return buf[..n].to_vec();
        }
    }
}

/// The MAC of `iface` in the calling thread's namespace.
fn mac_of(iface: &str) -> String {
    vethbench::frame::MacAddr(vethbench::link::iface::info(iface).unwrap().mac).to_string()
}

#[test]
fn arp_who_has_gets_the_kernels_is_at() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let (a, b) = (common::unique_name("exa"), common::unique_name("exb"));
        common::veth_pair(&a, &b);
        common::run_ok("ip", &["addr", "add", "198.18.7.2/24", "dev", &b]);
        let mac = mac_of(&a);
        let rx = Receiver::open(&a);
        let expr = format!(
            r#"Ether(src="{mac}", dst="ff:ff:ff:ff:ff:ff")/ARP(op=1, hwsrc="{mac}", psrc="198.18.7.1", pdst="198.18.7.2")"#
        );
        let out = run(&["send", "-q", "-i", &a, &expr]);
        assert!(out.status.success(), "{}", stderr(&out));
        let reply = first_frame(&rx, "an ARP reply", |f| {
            f[12..14] == [0x08, 0x06] && f[20..22] == [0, 2]
        });
        let mac_bytes = vethbench::link::iface::info(&a).unwrap().mac;
        assert_eq!(&reply[0..6], &mac_bytes, "is-at not sent to the asker");
        assert_eq!(&reply[28..32], &[198, 18, 7, 2], "sender protocol address");
        assert_eq!(&reply[32..38], &mac_bytes, "target hardware address");
        assert_eq!(&reply[38..42], &[198, 18, 7, 1], "target protocol address");
        let b_mac = vethbench::link::iface::info(&b).unwrap().mac;
        assert_eq!(&reply[22..28], &b_mac, "sender hardware address");
    });
}

#[test]
fn fragments_are_reassembled_by_the_kernel() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let (a, b) = (common::unique_name("exa"), common::unique_name("exb"));
        common::veth_pair(&a, &b);
        common::run_ok("ip", &["addr", "add", "198.18.8.2/24", "dev", &b]);
        let sock = std::net::UdpSocket::bind("198.18.8.2:4000").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let payload: String = (0..3000).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        let expr = format!(
            r#"fragment(Ether(dst="{}")/IP(src="198.18.8.1", dst="198.18.8.2", id=4321)/UDP(sport=3999, dport=4000)/"{payload}", fragsize=1000)"#,
            mac_of(&b)
        );
        let out = run(&["send", "-q", "-i", &a, &expr]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Sent 4 packets."), "{}", stdout(&out));
        let mut buf = vec![0u8; 65536];
        let (n, from) = sock
            .recv_from(&mut buf)
            .expect("the datagram was not reassembled");
        assert_eq!(n, 3000);
        assert_eq!(&buf[..n], payload.as_bytes());
        assert_eq!(from.to_string(), "198.18.8.1:3999");
    });
}

#[test]
fn the_interfaces_mac_and_address_are_the_defaults() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let (a, b) = (common::unique_name("exa"), common::unique_name("exb"));
        common::veth_pair(&a, &b);
        common::run_ok("ip", &["addr", "add", "198.18.9.1/24", "dev", &a]);
        let rx = Receiver::open(&b);
        let expr = r#"Ether(dst="02:00:00:00:00:02")/IP(dst="198.18.9.2")/"defaults""#;
        let out = run(&["send", "-q", "-c", "3", "-i", &a, expr]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Sent 3 packets."), "{}", stdout(&out));
        let env = vethbench::frame::expr::IfaceEnv {
            mac: Some(vethbench::frame::MacAddr(
                vethbench::link::iface::info(&a).unwrap().mac,
            )),
            addrs: vec!["198.18.9.1".parse().unwrap()],
        };
        let want = vethbench::frame::expr::parse(expr)
            .unwrap()
            .build_with(&env)
            .unwrap()
            .remove(0);
        assert_eq!(&want[26..30], &[198, 18, 9, 1]);
        let mut buf = [0u8; 2048];
        for i in 0..3 {
            let n = rx
                .recv(&mut buf, Duration::from_secs(2))
                .unwrap_or_else(|| panic!("copy {i} did not arrive"));
            assert_eq!(&buf[..n], &want[..], "copy {i}");
        }
    });
}

#[test]
fn test_frame_expr_sends_copies_of_the_expression() {
    if !common::require_root!() {
        return;
    }
    let expr = r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1, dport=9)/("x"*64)"#;
    let out = common::vethbench()
        .args(["test", "-c", "50", "--frame-expr", expr])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("PASSED"), "{}", stdout(&out));
    // No room for the stamp: refused on one line naming the flag.
    let out = common::vethbench()
        .args(["test", "-c", "5", "--frame-expr", "Ether()/IP()/'x'"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("vethbench: error: --frame-expr"),
        "{}",
        stderr(&out)
    );
    let out = common::vethbench()
        .args(["test", "--frame-expr", "Ether()/IP(tll=1)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("column 12: IP has no field 'tll'"),
        "{}",
        stderr(&out)
    );
}

/// Issue 10's end-to-end SYN: a TCP SYN with an MSS option, sent to a port listening in the
/// namespace, gets the kernel's SYN-ACK (ack = seq + 1, with its own MSS option).
#[test]
fn a_syn_with_mss_gets_a_syn_ack() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let (a, b) = (common::unique_name("exa"), common::unique_name("exb"));
        common::veth_pair(&a, &b);
        common::run_ok("ip", &["addr", "add", "198.18.9.2/24", "dev", &b]);
        // The SYN-ACK goes back to 198.18.9.1 through b: its neighbour is a, statically.
        let a_mac = mac_of(&a);
        common::run_ok(
            "ip",
            &["neigh", "add", "198.18.9.1", "lladdr", &a_mac, "dev", &b],
        );
        let _listener = std::net::TcpListener::bind("198.18.9.2:8080").unwrap();
        let rx = Receiver::open(&a);
        let expr = format!(
            r#"Ether(src="{a_mac}", dst="{}")/IP(src="198.18.9.1", dst="198.18.9.2")/TCP(sport=40000, dport=8080, seq=1000, flags="S", options=[("MSS", 1400)])"#,
            mac_of(&b)
        );
        let out = run(&["send", "-q", "-i", &a, &expr]);
        assert!(out.status.success(), "{}", stderr(&out));
        // IPv4 (no options) carrying TCP from port 8080.
        let reply = first_frame(&rx, "a SYN-ACK", |f| {
            f[12..14] == [0x08, 0x00] && f[23] == 6 && f[34..36] == [0x1f, 0x90]
        });
        let tcp = &reply[34..];
        assert_eq!(tcp[13] & 0x3f, 0x12, "flags: not SYN-ACK");
        assert_eq!(
            u32::from_be_bytes(tcp[8..12].try_into().unwrap()),
            1001,
            "ack"
        );
        let hdr_len = usize::from(tcp[12] >> 4) * 4;
        assert!(
            tcp[20..hdr_len].windows(2).any(|w| w == [2, 4]),
            "no MSS option in the SYN-ACK: {:02x?}",
            &tcp[20..hdr_len]
        );
    });
}
