//! `vethbench read -V` and `vethbench send --dry-run` against Scapy's own `show()`.
//!
//! - `read -V` on the Scapy-made capture (`fixtures/captures/layers.pcap`, see
//!   `make_layers.py`): every frame, one per layer show() prints (Ether, 802.1Q, 802.1ad, ARP,
//!   MPLS, IP options, TCP options, IPv6 extension headers, ICMP and ICMPv6 errors with the
//!   packet they quote, neighbour discovery, GRE, VXLAN, 802.3/LLC/SNAP, Padding), compared
//!   with `Ether(raw(p)).show()` (MPLS loaded with `load_contrib("mpls")`).
//! - `send --dry-run 'EXPR'` prints what Scapy prints for `Ether(raw(EXPR)).show()`: the
//!   built frame, dissected.
//!
//! Scapy runs inside `unshare -n`; every address is given.

mod common;

use common::tshark::NO_DEFRAG;
use std::process::Command;

/// Runs `script` with Debian's Scapy in a network namespace of its own; its stdout.
fn scapy(script: &str) -> String {
    let script = format!(
        "from scapy.all import *\nload_contrib('mpls')\nfrom scapy.contrib.mpls import MPLS\n{script}"
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
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn verbose_read_shows_like_scapy() {
    if !common::require_root!() {
        return;
    }
    // The tunnels' contrib layers (ERSPAN, NSH, PIM, Geneve) are `Raw` with what they carry,
    // as `scapy.all` dissects them. Scapy's rdpcap cuts frames to 65535 bytes: the jumbogram
    // (tunnels.pcap's frame 32) is left out.
    for (name, least, skip) in [("layers.pcap", 38, None), ("tunnels.pcap", 32, Some(32))] {
        let file = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        let scapy = scapy(&format!(
            "for x in rdpcap({file:?}):\n    Ether(raw(x)).show()\n    print('=====')\n"
        ));
        let scapy: Vec<&str> = scapy.split("=====\n").filter(|s| !s.is_empty()).collect();
        let ours = common::vethbench()
            .args(["read", &file, "-V"])
            .args(NO_DEFRAG)
            .output()
            .unwrap();
        assert_eq!(ours.status.code(), Some(0));
        let ours = String::from_utf8(ours.stdout).unwrap();
        // Each frame: its summary line, the show() text, a blank line.
        let blocks: Vec<&str> = ours.split("\n\n").filter(|b| !b.is_empty()).collect();
        assert_eq!(blocks.len(), scapy.len(), "{name}");
        assert!(scapy.len() >= least, "{name}: {}", scapy.len());
        for (k, block) in blocks.iter().enumerate() {
            if skip == Some(k + 1) {
                continue;
            }
            let show = &block[block.find('\n').unwrap() + 1..];
            assert_eq!(
                show.trim_end(),
                scapy[k].trim_end(),
                "{name} frame {}: read -V vs Scapy show()",
                k + 1
            );
        }
    }
}

const A: &str = "02:00:00:00:00:01";
const B: &str = "02:00:00:00:00:02";

/// Expressions Scapy and vethbench both build; `send --dry-run` must show them as Scapy does.
fn expressions() -> Vec<String> {
    let e = format!("Ether(src=\"{A}\", dst=\"{B}\")");
    let ip = "IP(src=\"198.18.0.1\", dst=\"198.18.0.2\")";
    let ip6 = "IPv6(src=\"2001:2::1\", dst=\"2001:2::2\")";
    vec![
        format!("Ether(src=\"{A}\", dst=\"ff:ff:ff:ff:ff:ff\")/ARP(op=1, hwsrc=\"{A}\", psrc=\"198.18.0.1\", pdst=\"198.18.0.2\")"),
        format!("{e}/{ip}/TCP(sport=40000, dport=80, flags=\"S\", options=[(\"MSS\", 1460), (\"NOP\", None), (\"WScale\", 7), (\"SAckOK\", b\"\"), (\"Timestamp\", (1, 0))])"),
        format!("{e}/IP(src=\"198.18.0.254\", dst=\"198.18.0.1\")/ICMP(type=11, code=0)/{ip}/UDP(sport=41000, dport=33434)/\"probe\""),
        format!("Ether(src=\"{A}\", dst=\"33:33:ff:00:00:02\")/IPv6(src=\"2001:2::1\", dst=\"ff02::1:ff00:2\", hlim=255)/ICMPv6ND_NS(tgt=\"2001:2::2\")/ICMPv6NDOptSrcLLAddr(lladdr=\"{A}\")"),
        format!("{e}/{ip}/UDP(sport=49152, dport=4789)/VXLAN(vni=42)/Ether(src=\"{A}\", dst=\"{B}\")/IP(src=\"198.18.3.1\", dst=\"198.18.3.2\")/ICMP()/\"in\""),
        format!("{e}/IP(src=\"198.18.0.1\", dst=\"198.18.0.2\", options=[IPOption_Router_Alert(), IPOption_NOP()])/UDP(sport=1, dport=2)/b\"\\x00\\xb4\\xff'\""),
        format!("{e}/Dot1AD(vlan=200)/Dot1Q(vlan=2001)/{ip}/GRE()/{ip}/\"gre\""),
        format!("{e}/MPLS(label=100, s=0)/MPLS(label=200)/{ip}/TCP(sport=1, dport=2, options=[(\"MSS\", 1220)])"),
        format!("{e}/{ip6}/IPv6ExtHdrHopByHop(options=[RouterAlert()])/IPv6ExtHdrFragment(id=7, m=1)/UDP(sport=1, dport=2)/\"x\""),
        format!("{e}/IPv6(src=\"2002:c612:1::1\", dst=\"2001:0:c612:1:0:f0f0:39ed:fffd\")/UDP(sport=1, dport=2)"),
        format!("{e}/{ip6}/ICMPv6DestUnreach(code=4)/IPv6(src=\"2001:2::2\", dst=\"2001:2::1\")/UDP(sport=3, dport=4)"),
    ]
}

#[test]
fn dry_run_shows_like_scapy() {
    if !common::require_root!() {
        return;
    }
    let exprs = expressions();
    let mut script = String::new();
    for x in &exprs {
        script.push_str(&format!("Ether(raw({x})).show()\nprint('=====')\n"));
    }
    let scapy = scapy(&script);
    let scapy: Vec<&str> = scapy.split("=====\n").collect();
    for (k, x) in exprs.iter().enumerate() {
        let out = common::vethbench()
            .args(["send", "--dry-run", x])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{x}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = String::from_utf8(out.stdout).unwrap();
        let show = ours.rsplit_once("Dry run:").map_or(&ours[..], |(s, _)| s);
        assert_eq!(show.trim_end(), scapy[k].trim_end(), "send --dry-run {x}");
    }
}
