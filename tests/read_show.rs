//! `vethbench read -V` against Scapy's own `show()` on the Scapy-made capture
//! (`fixtures/captures/layers.pcap`, see `make_layers.py`), for the frames whose layers
//! vethbench's show() prints as Scapy does: Ether, 802.1Q (stacked), IPv4 (the reserved "evil"
//! flag), IPv6, TCP (reserved bits), UDP (bytes after a short UDP length are Padding), ICMP and
//! ICMPv6 echo. Scapy runs inside `unshare -n`.

mod common;

use std::process::Command;

/// 1-based frame numbers of layers.pcap compared (the others hold layers show() prints as Raw).
const FRAMES: [usize; 10] = [1, 2, 3, 11, 13, 14, 16, 21, 24, 38];

#[test]
fn verbose_read_shows_like_scapy() {
    if !common::require_root!() {
        return;
    }
    let file = format!(
        "{}/fixtures/captures/layers.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let idx: Vec<String> = FRAMES.iter().map(|n| (n - 1).to_string()).collect();
    let script = format!(
        "from scapy.all import *\n\
         p = rdpcap({file:?})\n\
         for i in [{}]:\n    Ether(raw(p[i])).show()\n    print('=====')\n",
        idx.join(", ")
    );
    let out = Command::new("unshare")
        .args(["-n", "/usr/bin/python3", "-c", &script])
        .output()
        .expect("run scapy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scapy = String::from_utf8(out.stdout).unwrap();
    let scapy: Vec<&str> = scapy.split("=====\n").collect();
    let ours = common::vethbench()
        .args(["read", &file, "-V"])
        .output()
        .unwrap();
    assert_eq!(ours.status.code(), Some(0));
    let ours = String::from_utf8(ours.stdout).unwrap();
    // Each frame: its summary line, the show() text, a blank line.
    let blocks: Vec<&str> = ours.split("\n\n").collect();
    for (k, n) in FRAMES.iter().enumerate() {
        let block = blocks[n - 1];
        let show = &block[block.find('\n').unwrap() + 1..];
        assert_eq!(
            show.trim_end(),
            scapy[k].trim_end(),
            "frame {n}: read -V vs Scapy show()"
        );
    }
}
