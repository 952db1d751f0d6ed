//! `vethbench capture` and `vethbench read` against the real kernel and the reference tools
//! (tshark, capinfos, dumpcap, Scapy's rdpcap, tcpreplay). Every test runs in its own network
//! namespace with its own veth pair (see `common::in_private_netns`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vethbench::pcapng::{CaptureReader, CaptureWriter, EpbFlags, Format, IfaceDesc};

/// Scapy, from Debian's python3-scapy (plain `python3` may be a Python without it).
const PY: &str = "/usr/bin/python3";

/// onepkt.py's frame: its MACs, 1.1.1.1 -> 2.2.2.2, TCP 1111 -> 2222, payload "123".
const ONEPKT: &str = "Ether(dst='22:22:22:22:22:22', src='22:11:11:11:11:11')/\
                      IP(src='1.1.1.1', dst='2.2.2.2')/TCP(sport=1111, dport=2222)/'123'";

/// A capture running in the background; stderr is collected line by line.
struct Capture {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    done: mpsc::Receiver<()>,
}

impl Capture {
    /// Spawn `vethbench capture ARGS` and wait (at most 10 s) for "Capturing on".
    fn start(args: &[&str]) -> Capture {
        let mut child = common::vethbench()
            .arg("capture")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vethbench capture");
        let err = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let l2 = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if line.starts_with("Capturing on") {
                    let _ = ready_tx.send(());
                }
                l2.lock().unwrap().push(line);
            }
            let _ = done_tx.send(());
        });
        if ready_rx.recv_timeout(Duration::from_secs(10)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("capture never became ready: {:?}", lines.lock().unwrap());
        }
        Capture {
            child,
            stderr: lines,
            done,
        }
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), sig)
            .expect("signal capture");
    }

    /// Wait for the exit (at most 20 s); returns (exit code, stdout, stderr lines).
    fn finish(mut self) -> (i32, String, Vec<String>) {
        for _ in 0..200 {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if self.child.try_wait().unwrap().is_none() {
            let _ = self.child.kill();
            panic!("capture did not stop: {:?}", self.stderr.lock().unwrap());
        }
        let out = self.child.wait_with_output().unwrap();
        let _ = self.done.recv_timeout(Duration::from_secs(5));
        let err = self.stderr.lock().unwrap().clone();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            err,
        )
    }
}

/// The number before `suffix` in the summary ("N packets captured").
fn summary_count(lines: &[String], suffix: &str) -> u64 {
    lines
        .iter()
        .find_map(|l| l.strip_suffix(suffix).and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no '{suffix}' in {lines:?}"))
}

/// Send Scapy frames (a Python list expression) on `iface`.
fn scapy_send(iface: &str, frames: &str) {
    let code = format!("from scapy.all import *\nsendp([{frames}], iface='{iface}', verbose=0)\n");
    common::run_ok(PY, &["-c", &code]);
}

/// Scapy's raw bytes of a frame expression, as hex.
fn scapy_hex(frame: &str) -> String {
    let code = format!("from scapy.all import *\nprint(bytes({frame}).hex())\n");
    common::run_ok(PY, &["-c", &code]).trim().to_string()
}

fn tshark_fields(file: &str, fields: &[&str]) -> String {
    let mut args = vec!["-r", file, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    common::run_ok("tshark", &args)
}

fn vethbench_fields(file: &str, fields: &[&str]) -> String {
    let mut args = vec!["read", file, "-T", "fields"];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let out = common::vethbench().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "vethbench {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Packet count according to capinfos (which fails on a file it does not accept).
fn capinfos_count(file: &str) -> u64 {
    let out = common::run_ok("capinfos", &["-M", "-c", file]);
    out.lines()
        .find_map(|l| l.strip_prefix("Number of packets:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("capinfos -c {file}: {out}"))
}

/// An interface's rx_packets, read inside the namespace (`/sys` is not per-netns).
fn rx_packets(iface: &str) -> u64 {
    let j = common::run_ok("ip", &["-s", "-j", "link", "show", iface]);
    let v: serde_json::Value = serde_json::from_str(&j).expect("ip -j output");
    v[0]["stats64"]["rx"]["packets"]
        .as_u64()
        .unwrap_or_else(|| panic!("no rx packets in {j}"))
}

/// A 60-byte UDP frame (64 on the wire with the FCS), 198.18.0.1 -> 198.18.0.2.
fn small_udp_frame() -> Vec<u8> {
    let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
        .udp(4000, 5000);
    let payload = [0xabu8; 18];
    let mut v = Vec::with_capacity(b.size(payload.len()));
    b.write(&mut v, &payload).unwrap();
    assert_eq!(v.len(), 60);
    v
}

/// A one-frame pcap file for tcpreplay, written with our own writer.
fn one_frame_pcap(path: &str) {
    let ifs = [IfaceDesc {
        name: "x".into(),
        snaplen: 65535,
        filter: None,
    }];
    let mut w = CaptureWriter::create(path, Format::Pcap, &ifs).unwrap();
    let f = small_udp_frame();
    w.write_frame(0, 1_000_000_000, &f, f.len() as u32, EpbFlags(0), false)
        .unwrap();
    w.finish(&[]).unwrap();
}

/// (isb_ifrecv, isb_ifdrop) of the file's ISB, read with the pcap-file crate.
fn isb_counts(file: &str) -> (u64, u64) {
    use pcap_file::pcapng::blocks::interface_statistics::InterfaceStatisticsOption as O;
    use pcap_file::pcapng::{Block, PcapNgReader};
    let mut r = PcapNgReader::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut out = None;
    while let Some(b) = r.next_block() {
        if let Block::InterfaceStatistics(isb) = b.unwrap().0 {
            let (mut recv, mut drop) = (None, None);
            for o in &isb.options {
                match o {
                    O::IsbIfRecv(n) => recv = Some(*n),
                    O::IsbIfDrop(n) => drop = Some(*n),
                    _ => {}
                }
            }
            out = Some((recv.expect("isb_ifrecv"), drop.expect("isb_ifdrop")));
        }
    }
    out.expect("no ISB in the file")
}

fn tmp() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap().to_string();
    (d, s)
}

#[test]
fn second_walkthrough_onepkt_on_vethx_captured_on_vethy() {
    if !common::require_root("second_walkthrough") {
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
fn blast_of_200k_frames_is_fully_accounted_for() {
    if !common::require_root("blast_200k") {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let one = format!("{dir}/one.pcap");
        one_frame_pcap(&one);
        // The default ring, then a tiny one (128 KiB, ~1000 frames) that may overflow: either
        // way every frame that arrived is either in the file or counted as dropped.
        for ring in [&[][..], &["--block-size", "65536", "--blocks", "2"][..]] {
            let file = format!("{dir}/blast.pcapng");
            let rx0 = rx_packets("vethY");
            let mut args = vec!["vethY", "-w", &file];
            args.extend_from_slice(ring);
            let cap = Capture::start(&args);
            let sent: u64 = 200_000;
            common::run_ok(
                "tcpreplay",
                &[
                    "-q",
                    "-i",
                    "vethX",
                    "-t",
                    "-K",
                    "-l",
                    &sent.to_string(),
                    &one,
                ],
            );
            let arrived = rx_packets("vethY") - rx0;
            // Let the last block retire, then stop as a user would.
            std::thread::sleep(Duration::from_millis(100));
            cap.signal(nix::sys::signal::Signal::SIGINT);
            let (code, _, err) = cap.finish();
            assert_eq!(code, 0, "{err:?}");
            let captured = summary_count(&err, " packets captured");
            let dropped = summary_count(&err, " packets dropped by kernel");
            eprintln!(
                "ring {ring:?}: sent {sent}, arrived {arrived}, captured {captured}, dropped {dropped}"
            );
            assert_eq!(
                captured + dropped,
                arrived,
                "captured + dropped must equal what vethY received"
            );
            assert_eq!(capinfos_count(&file), captured, "file and summary disagree");
            if dropped == 0 {
                assert_eq!(captured, sent);
            }
            // The closing ISB carries the same counts (read with pcap-file, independently).
            assert_eq!(isb_counts(&file), (captured + dropped, dropped));
        }
    });
}

#[test]
fn sigint_halfway_through_a_blast_leaves_a_valid_file() {
    if !common::require_root("sigint_halfway") {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let one = format!("{dir}/one.pcap");
        one_frame_pcap(&one);
        let file = format!("{dir}/half.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file]);
        let mut sender = Command::new("tcpreplay")
            .args(["-q", "-i", "vethX", "-t", "-K", "-l", "0", &one])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tcpreplay");
        // Halfway: once frames are reaching the file (flushed every 250 ms), not after a
        // fixed sleep that a loaded machine could outrun.
        for _ in 0..200 {
            if std::fs::metadata(&file).map_or(0, |m| m.len()) > 64 * 1024 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        cap.signal(nix::sys::signal::Signal::SIGINT);
        let (code, _, err) = cap.finish();
        let _ = sender.kill();
        let _ = sender.wait();
        assert_eq!(code, 0, "{err:?}");
        let captured = summary_count(&err, " packets captured");
        assert!(captured > 0, "nothing captured during the blast: {err:?}");
        assert_eq!(capinfos_count(&file), captured);
        // And the closing ISB is there: capinfos sees its statistics.
        let info = common::run_ok("capinfos", &[&file]);
        assert!(info.contains("Number of stat entries = 1"), "{info}");
    });
}

#[test]
fn filter_lets_only_matching_frames_in() {
    if !common::require_root("filter") {
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
fn vlan_tag_is_restored() {
    if !common::require_root("vlan") {
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
        let mut r = CaptureReader::open(&file).unwrap();
        let f = r.next().unwrap().unwrap();
        assert_eq!(hex(f.data), scapy_hex(frame));
        assert_eq!(f.orig_len as usize, f.data.len());
    });
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// Every field vethbench supports, each checked against tshark's output.
use vethbench::frame::fields::FIELD_NAMES as ALL_FIELDS;

#[test]
fn read_matches_tshark_on_dumpcap_and_own_files() {
    if !common::require_root("round_trip") {
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

fn run_fail(args: &[&str]) -> (i32, String, String) {
    let out = common::vethbench().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_line_error(code: i32, err: &str, needle: &str) {
    assert_eq!(code, 2, "exit code, stderr: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.contains(needle), "'{needle}' not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_fails_in_one_line_with_exit_2() {
    if !common::require_root("bad_input") {
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
    if !common::require_root("two_interfaces") {
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
    if !common::require_root("print_duration_sigterm") {
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
fn rx_ring_api_moved_to_another_thread() {
    use vethbench::sock::ring::{Direction, RxConfig, RxRing};
    if !common::require_root("rx_ring_api") {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        // Small ring, to exercise geometry other than the default.
        let cfg = RxConfig {
            block_size: 1 << 16,
            block_count: 4,
            direction: Direction::In,
            ..RxConfig::default()
        };
        let ring = RxRing::open("vethY", &cfg).unwrap();
        // Ready barrier: frames sent after open() returns are in the ring.
        let receiver = std::thread::spawn(move || {
            let mut ring = ring;
            let mut got = Vec::new();
            let t0 = std::time::Instant::now();
            while got.len() < 5 && t0.elapsed() < Duration::from_secs(10) {
                if ring.poll(Duration::from_millis(100)).unwrap() {
                    ring.for_each(|f| {
                        got.push((
                            f.data().to_vec(),
                            f.wire_len(),
                            f.ts_ns(),
                            f.vlan().map(|v| v.id()),
                            f.outgoing(),
                        ))
                    });
                }
            }
            (got, ring.stats().unwrap())
        });
        common::run_ok(
            common::bin_path().to_str().unwrap(),
            &[
                "send",
                "-q",
                "-i",
                "vethX",
                "--dst-mac",
                "02:00:00:00:00:02",
                "--udp",
                "--vlan",
                "10",
                "-c",
                "5",
                "--vary",
                "ip-id",
            ],
        );
        let (got, stats) = receiver.join().unwrap();
        assert_eq!(got.len(), 5);
        let mut last_ts = 0;
        for (i, (data, wire_len, ts, vlan, outgoing)) in got.iter().enumerate() {
            assert_eq!(*vlan, Some(10));
            assert!(!outgoing);
            // The tag is back in the bytes: TPID 0x8100, then VLAN 10.
            assert_eq!(&data[12..16], &[0x81, 0x00, 0x00, 0x0a]);
            assert_eq!(*wire_len as usize, data.len());
            // ip-id varies per copy (bytes 18 + 4..6 of the IPv4 header).
            assert_eq!(u16::from_be_bytes([data[22], data[23]]), 1 + i as u16);
            assert!(*ts >= last_ts, "timestamps go backwards");
            last_ts = *ts;
        }
        assert!(last_ts > 0);
        assert_eq!(stats.packets, 5);
        assert_eq!(stats.drops, 0);
    });
}

#[test]
fn interface_that_disappears_ends_the_capture_with_a_complete_file() {
    if !common::require_root("iface_gone") {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/gone.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file]);
        scapy_send("vethX", ONEPKT);
        // Down and up again: the capture goes on.
        common::run_ok("ip", &["link", "set", "vethY", "down"]);
        std::thread::sleep(Duration::from_millis(200));
        common::run_ok("ip", &["link", "set", "vethY", "up"]);
        scapy_send("vethX", ONEPKT);
        std::thread::sleep(Duration::from_millis(100));
        common::run_ok("ip", &["link", "del", "vethX"]);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 2, "{err:?}");
        assert!(
            err.last().unwrap().contains("'vethY' disappeared"),
            "{err:?}"
        );
        assert_eq!(summary_count(&err, " packets captured"), 2);
        assert_eq!(capinfos_count(&file), 2);
    });
}

/// Deletes a named network namespace (`ip netns add`) on drop, even when the test panics.
struct NamedNetns(String);

impl Drop for NamedNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn default_direction_snaplen_quiet_and_named_netns() {
    if !common::require_root("direction_snaplen_quiet_netns") {
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

#[test]
fn write_to_stdout_piped_into_read_from_stdin() {
    if !common::require_root("stdout_stdin") {
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

/// Kills (and reaps) a helper process on drop, even when the test panics.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn gso_frames_larger_than_the_mtu_are_kept_whole() {
    if !common::require_root("gso_whole") {
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
