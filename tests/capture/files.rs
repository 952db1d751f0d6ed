//! What `capture` writes, read back by tshark, capinfos, Scapy and `vethbench read`: the
//! walkthrough, VLAN tags, every field, stdout into stdin, GSO frames.

use super::*;

#[test]
fn second_walkthrough_onepkt_on_vethx_captured_on_vethy() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/out.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "-c", "1"]);
        // onepkt.py 22:11:11:11:11:11 22:22:22:22:22:22 vethX 123
        common::run_ok(
            common::bin_path().to_str().unwrap(),
            &[
                "send",
                "-q",
                "-i",
                "vethX",
                "--src-mac",
                "22:11:11:11:11:11",
                "--dst-mac",
                "22:22:22:22:22:22",
                "--src-ip",
                "1.1.1.1",
                "--dst-ip",
                "2.2.2.2",
                "--msg",
                "123",
            ],
        );
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        assert_eq!(summary_count(&err, " packets captured"), 1);

        let info = common::run_ok("capinfos", &[&file]);
        assert!(info.contains("nanoseconds (9)"), "{info}");
        assert!(info.contains("Name = vethY"), "{info}");
        assert!(info.contains("Number of packets:   1"), "{info}");

        let fields = ["eth.src", "eth.dst", "ip.src", "tcp.dstport", "data"];
        let t = tshark_fields(&file, &fields);
        assert_eq!(
            t,
            "22:11:11:11:11:11\t22:22:22:22:22:22\t1.1.1.1\t2222\t313233\n"
        );
        assert_eq!(vethbench_fields(&file, &fields), t);

        let code = format!("from scapy.all import *\nprint(bytes(rdpcap('{file}')[0]).hex())\n");
        let got = common::run_ok(PY, &["-c", &code]);
        assert_eq!(
            got.trim(),
            scapy_hex(ONEPKT),
            "rdpcap bytes differ from the sent frame"
        );
    });
}

#[test]
fn vlan_tag_is_restored() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/v.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "-c", "1"]);
        let frame =
            "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')/Dot1Q(vlan=10, prio=3)/\
                     IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=7, dport=8)/'tagged'";
        scapy_send("vethX", frame);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        let t = tshark_fields(
            &file,
            &["vlan.id", "vlan.priority", "eth.type", "udp.dstport"],
        );
        assert_eq!(t, "10\t3\t0x8100\t8\n");
        // Byte for byte the frame that was sent.
        common::assert_only_frame(&file, &unhex(&scapy_hex(frame)));
    });
}

// Every field vethbench supports, each checked against tshark's output.
use vethbench::frame::fields::FIELD_NAMES as ALL_FIELDS;

#[test]
fn read_matches_tshark_on_dumpcap_and_own_files() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let dumpcap_file = format!("{dir}/dumpcap.pcapng");
        let own_ng = format!("{dir}/own.pcapng");
        let own_pcap = format!("{dir}/own.pcap");
        let mut dumpcap = Command::new("dumpcap")
            .args(["-q", "-i", "vethY", "-c", "4", "-w", &dumpcap_file])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn dumpcap");
        // dumpcap has no ready line on -q: wait for its file to exist.
        for _ in 0..100 {
            if std::path::Path::new(&dumpcap_file).exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let a = Capture::start(&["vethY", "-w", &own_ng, "-c", "4"]);
        let b = Capture::start(&["vethY", "-w", &own_pcap, "-F", "pcap", "-c", "4"]);
        // Seq 0 so that tshark's relative tcp.seq equals the raw one; ports no tshark
        // dissector claims, so that tshark's `data` is the payload (as ours always is).
        let eth = "Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')";
        scapy_send(
            "vethX",
            &format!(
                "{ONEPKT}, {eth}/Dot1Q(vlan=5)/IP(src='198.18.0.1', dst='198.18.1.1', ttl=9, id=77)/\
                 UDP(sport=40001, dport=40002)/'udp?', {eth}/ARP(), \
                 {eth}/IP(src='198.18.0.1', dst='198.18.0.2')/ICMP()/'ping'"
            ),
        );
        assert!(dumpcap.wait().unwrap().success(), "dumpcap failed");
        for c in [a, b] {
            let (code, _, err) = c.finish();
            assert_eq!(code, 0, "{err:?}");
        }
        for file in [&dumpcap_file, &own_ng, &own_pcap] {
            let want = tshark_fields(file, &ALL_FIELDS);
            assert_eq!(want.lines().count(), 4, "{file}: {want}");
            assert_eq!(vethbench_fields(file, &ALL_FIELDS), want, "{file}");
        }
        // The three files hold the same frames.
        let d = tshark_fields(&dumpcap_file, &["eth.src", "vlan.id", "ip.dst", "data"]);
        assert_eq!(
            tshark_fields(&own_ng, &["eth.src", "vlan.id", "ip.dst", "data"]),
            d
        );
        assert_eq!(
            tshark_fields(&own_pcap, &["eth.src", "vlan.id", "ip.dst", "data"]),
            d
        );
    });
}

#[test]
fn write_to_stdout_piped_into_read_from_stdin() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        // `capture -w - | read -`, as with `tcpdump -w - | tshark -r -`: a pipe, not a file.
        let bin = common::bin_path();
        let bin = bin.to_str().unwrap();
        let mut sh = Command::new("sh")
            .args([
                "-c",
                &format!(
                    "{bin} capture vethY -w - -c 2 | {bin} read - -T fields -e eth.src -e data"
                ),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let err = BufReader::new(sh.stderr.take().unwrap());
        let (tx, rx) = mpsc::channel();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                if line.starts_with("Capturing on") {
                    let _ = tx.send(());
                }
                l2.lock().unwrap().push(line);
            }
        });
        if rx.recv_timeout(Duration::from_secs(10)).is_err() {
            let _ = sh.kill();
            panic!("capture never became ready: {:?}", lines.lock().unwrap());
        }
        scapy_send("vethX", &format!("{ONEPKT}, {ONEPKT}"));
        let out = sh.wait_with_output().unwrap();
        assert!(out.status.success(), "{:?}", lines.lock().unwrap());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "22:11:11:11:11:11\t313233\n22:11:11:11:11:11\t313233\n"
        );
        // -P would mix printed lines into the file: refused.
        let (code, _, err) = run_fail(&["capture", "vethY", "-w", "-", "-P"]);
        assert_one_line_error(code, &err, "-P");
    });
}

#[test]
fn gso_frames_larger_than_the_mtu_are_kept_whole() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        // vethX goes into a second private namespace (held by a `sleep`), so TCP really
        // crosses the pair: the sender's TSO hands veth 64 KiB segments, which vethY receives
        // as they are (no segmentation on a veth).
        let peer = KillOnDrop(
            Command::new("unshare")
                .args(["-n", "sleep", "60"])
                .spawn()
                .expect("spawn unshare -n sleep"),
        );
        let pid = peer.0.id().to_string();
        let mut moved = false;
        for _ in 0..50 {
            // Until unshare has exec'd sleep, its pid is still in our namespace: retry.
            std::thread::sleep(Duration::from_millis(20));
            let own = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
            if std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|l| l != own) {
                common::run_ok("ip", &["link", "set", "vethX", "netns", &pid]);
                moved = true;
                break;
            }
        }
        assert!(moved, "the peer namespace never appeared");
        let peer_sh = "ip link set lo up && ip addr add 198.18.0.1/24 dev vethX && \
                       ip link set vethX up";
        common::run_ok("nsenter", &["-t", &pid, "-n", "sh", "-c", peer_sh]);
        common::run_ok("ip", &["addr", "add", "198.18.0.2/24", "dev", "vethY"]);
        let listener = std::net::TcpListener::bind("198.18.0.2:5001").unwrap();
        let sink = std::thread::spawn(move || {
            use std::io::Read;
            let (mut c, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0usize;
            loop {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break total,
                    Ok(n) => total += n,
                }
            }
        });

        let (_d, dir) = tmp();
        let file = format!("{dir}/gso.pcapng");
        // Default snaplen: whole frames (the test fails with e.g. `-s 1000`).
        let cap = Capture::start(&["vethY", "-w", &file]);
        let send = "import socket\nc=socket.create_connection(('198.18.0.2',5001))\n\
                    c.sendall(b'x'*4000000)\nc.close()\n";
        common::run_ok("nsenter", &["-t", &pid, "-n", PY, "-c", send]);
        assert_eq!(sink.join().unwrap(), 4_000_000);
        std::thread::sleep(Duration::from_millis(100));
        cap.signal(nix::sys::signal::Signal::SIGINT);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");

        let t = tshark_fields(&file, &["frame.len", "frame.cap_len"]);
        let mut biggest = 0u64;
        for l in t.lines() {
            let (len, cap_len) = l.split_once('\t').unwrap();
            assert_eq!(len, cap_len, "a frame was truncated: {l}");
            biggest = biggest.max(len.parse().unwrap());
        }
        assert!(biggest > 1514, "no frame above the MTU; largest {biggest}");
    });
}
