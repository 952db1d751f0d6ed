//! `--frame FILE`: a frame built with Scapy and saved with `wrpcap` is the stream's template.

use super::common;

/// Scapy (Debian's python3-scapy) writes `frames` (a Python list expression) to `path`.
fn wrpcap(path: &std::path::Path, frames: &str) {
    let script = format!(
        "from scapy.all import *\nwrpcap({:?}, {frames})\n",
        path.to_string_lossy()
    );
    common::run_ok("/usr/bin/python3", &["-c", &script]);
}

#[test]
fn a_scapy_frame_is_streamed_stamped_and_intact() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (frame, out) = (dir.path().join("f.pcap"), dir.path().join("run.pcapng"));
    wrpcap(
        &frame,
        "[Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')/Dot1Q(vlan=100)\
         /IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=1111, dport=2222, flags='PA')\
         /Raw(b'x' * 100)]",
    );
    let res = common::vethbench()
        .args(["test", "--count", "5000", "--json", "--frame"])
        .arg(&frame)
        .arg("-w")
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&res.stdout);
    assert_eq!(
        res.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // 14 + 4 (802.1Q) + 20 + 20 + 100.
    assert_eq!(v["frame_len"], 158, "{text}");
    assert_eq!(v["intact"], 5000, "{text}");
    // What arrived is Scapy's frame, stamped: the tag, the flags, a TCP checksum tshark
    // finds right (the stamp's incremental update), 5000 times.
    let t = common::run_ok(
        "tshark",
        &[
            "-r",
            &out.to_string_lossy(),
            "-o",
            "tcp.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "vlan.id",
            "-e",
            "tcp.flags",
            "-e",
            "tcp.checksum.status",
        ],
    );
    let mut lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 5000);
    lines.dedup();
    assert_eq!(lines, ["100\t0x0018\t1"], "{t}");
}

/// `--frame -`: the pcap comes on stdin, straight from Scapy.
#[test]
fn a_frame_on_stdin() {
    if !common::require_root!() {
        return;
    }
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let frame = dir.path().join("v6.pcap");
    wrpcap(
        &frame,
        "[Ether(dst='02:00:00:00:00:02')/IPv6(src='2001:2::1', dst='2001:2::2')\
         /UDP(sport=1, dport=2)/Raw(b'y' * 64)]",
    );
    let mut child = common::vethbench()
        .args(["test", "--count", "1000", "--json", "--frame", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&frame).unwrap())
        .unwrap();
    let res = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&res.stdout);
    assert_eq!(
        res.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // 14 + 40 + 8 + 64.
    assert_eq!(
        (v["frame_len"].as_u64(), v["intact"].as_u64()),
        (Some(126), Some(1000))
    );
}

#[test]
fn a_frame_without_room_for_the_stamp_is_refused() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let frame = dir.path().join("short.pcap");
    wrpcap(&frame, "[Ether()/IP()/TCP()/Raw(b'123')]");
    // Each refused on one line, exit 2, saying why.
    let refused = |file: &std::path::Path, why: &str| {
        let res = common::vethbench()
            .args(["test", "--frame"])
            .arg(file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(why), "{why}: {err}");
    };
    refused(&frame, "payload of at least 24 bytes");
    // GRE: the stamp would overwrite its header.
    let gre = dir.path().join("gre.pcap");
    wrpcap(&gre, "[Ether()/IP()/GRE()/IP()/UDP()/Raw(b'x' * 40)]");
    refused(&gre, "protocol 47");
    let empty = dir.path().join("empty.pcap");
    wrpcap(&empty, "[]");
    refused(&empty, "holds no frame");
}
