//! Rewriting, checked on what the peer received: against frames the builder made with the new
//! values (byte-exact with Scapy), and by tshark's checksum validation.

use super::*;

const SRC_MAP: &str = "10.0.0.0/8:198.18.0.0/15,2001:db8::/32:2001:2::/48";
const DST_MAP: &str = "10.0.0.0/8:198.19.0.0/16,2001:db8::/32:2001:2:0:1::/64";

fn build(vlan: Option<u16>, macs: (MacAddr, MacAddr), src: &str, dst: &str, l4: L4Spec) -> Vec<u8> {
    FrameSpec {
        src_mac: macs.0,
        dst_mac: macs.1,
        vlan,
        src_ip: src.parse().unwrap(),
        dst_ip: dst.parse().unwrap(),
        dont_fragment: src.contains('.'),
        l4,
        payload: b"rewritten".to_vec(),
        ..FrameSpec::default()
    }
    .build()
    .unwrap()
}

/// (before, after) for every case: v4/v6 × tagged or not × TCP/UDP/ICMP.
fn cases() -> Vec<(Vec<u8>, Vec<u8>)> {
    let old = (MacAddr([2, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 0, 2]));
    let new = (MacAddr([2, 0, 0, 0, 0, 0xc]), MacAddr([2, 0, 0, 0, 0, 0xd]));
    let mut v = Vec::new();
    for vlan in [None, Some(7)] {
        for l4 in [L4Spec::TCP, L4Spec::Udp, L4Spec::ICMP_ECHO] {
            v.push((
                build(vlan, old, "10.1.2.3", "10.9.9.9", l4),
                build(vlan, new, "198.19.2.3", "198.19.9.9", l4),
            ));
            v.push((
                build(vlan, old, "2001:db8::7", "2001:db8::9", l4),
                build(vlan, new, "2001:2::7", "2001:2:0:1::9", l4),
            ));
        }
    }
    v
}

/// Write `frames` as a pcap and return tshark's checksum statuses (ip, tcp, udp, icmp, icmpv6;
/// 1 good, 0 bad, empty when absent), one line per frame.
fn tshark_checksums(frames: &[Vec<u8>]) -> Vec<String> {
    let (_d, path) = tmp("got.pcap");
    let v: Vec<(u64, Vec<u8>)> = frames.iter().map(|f| (1, f.clone())).collect();
    write_capture(&path, Format::Pcap, false, &v);
    let out = common::run_ok(
        "tshark",
        &[
            "-r",
            &path,
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "ip.checksum.status",
            "-e",
            "tcp.checksum.status",
            "-e",
            "udp.checksum.status",
            "-e",
            "icmp.checksum.status",
            "-e",
            "icmpv6.checksum.status",
        ],
    );
    out.lines().map(str::to_string).collect()
}

/// Replay `file` with `args` (at top speed) and return (report, frames received).
fn run(
    file: &[(u64, Vec<u8>)],
    args: &'static [&'static str],
) -> (serde_json::Value, Vec<Vec<u8>>) {
    let (_d, path) = tmp("in.pcapng");
    write_capture(&path, Format::Pcapng, false, file);
    common::in_private_netns(move || {
        let a = common::unique_name("vrra");
        let b = common::unique_name("vrrb");
        pair(&a, &b);
        let mut rx = receiver(&b);
        let mut all = vec!["-i", &a, "--topspeed", &path];
        all.extend_from_slice(args);
        let r = replay_json(&all);
        (r, drain(&mut rx).into_iter().map(|f| f.1).collect())
    })
}

#[test]
fn macs_and_address_maps_v4_v6_with_and_without_a_tag() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let cases = cases();
    let file: Vec<(u64, Vec<u8>)> = cases.iter().map(|c| (1, c.0.clone())).collect();
    let args: &'static [&'static str] = &[
        "--src-mac",
        "02:00:00:00:00:0c",
        "--dst-mac",
        "02:00:00:00:00:0d",
        "--srcip-map",
        SRC_MAP,
        "--dstip-map",
        DST_MAP,
    ];
    let (r, got) = run(&file, args);
    assert_eq!(r["rewritten"], cases.len());
    for (k, (c, g)) in cases.iter().zip(&got).enumerate() {
        assert_eq!(
            g, &c.1,
            "case {k}: what the builder makes with the new values"
        );
    }
    assert_eq!(got.len(), cases.len());
    for line in tshark_checksums(&got) {
        assert!(
            !line.split('\t').any(|s| s == "0"),
            "a bad checksum: {line}"
        );
        assert!(line.contains('1'), "a checksum verified: {line}");
    }
}

#[test]
fn fix_checksums_with_a_tag_keeps_the_ip_flags() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    // tcpreplay #583: fixing checksums of 802.1Q frames overwrote the IPv4 flags.
    let macs = (MAC_A, MAC_B);
    let good = [
        build(Some(3), macs, "198.18.0.1", "198.18.0.2", L4Spec::TCP),
        build(None, macs, "198.18.0.1", "198.18.0.2", L4Spec::Udp),
        build(Some(3), macs, "2001:2::1", "2001:2::2", L4Spec::ICMP_ECHO),
    ];
    let broken: Vec<(u64, Vec<u8>)> = good
        .iter()
        .map(|f| {
            let mut b = f.clone();
            let n = b.len();
            b[n - 12] ^= 0xff; // the payload: every transport checksum now wrong
            let l3 = if b[12] == 0x81 { 18 } else { 14 };
            if b[l3] >> 4 == 4 {
                b[l3 + 10] ^= 0x0f; // the IPv4 header checksum too
            }
            (1, b)
        })
        .collect();
    let before = tshark_checksums(&broken.iter().map(|f| f.1.clone()).collect::<Vec<_>>());
    assert!(
        before.iter().all(|l| l.split('\t').any(|s| s == "0")),
        "{before:?}"
    );
    let (r, got) = run(&broken, &["--fix-checksums"]);
    assert_eq!(r["rewritten"], 3);
    for (k, g) in got.iter().enumerate() {
        let mut want = good[k].clone();
        let n = want.len();
        want[n - 12] ^= 0xff;
        let l3 = if g[12] == 0x81 { 18 } else { 14 };
        assert_eq!(
            &g[..l3 + 10],
            &want[..l3 + 10],
            "frame {k}: headers (IPv4 flags) kept"
        );
        if g[l3] >> 4 == 4 {
            assert_eq!(g[l3 + 6], 0x40, "frame {k}: DF kept");
        }
    }
    for line in tshark_checksums(&got) {
        assert!(
            !line.split('\t').any(|s| s == "0"),
            "a bad checksum: {line}"
        );
    }
}

#[test]
fn vlan_add_strip_set() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let macs = (MAC_A, MAC_B);
    let v4 = |vlan, size| {
        let mut f = build(vlan, macs, "198.18.0.1", "198.18.0.2", L4Spec::Udp);
        if let Some(s) = size {
            f = FrameSpec {
                src_mac: MAC_A,
                dst_mac: MAC_B,
                vlan,
                l4: L4Spec::Udp,
                payload: vec![0x5a; s],
                ..FrameSpec::default()
            }
            .build()
            .unwrap();
        }
        f
    };
    // A full-MTU frame (1514 bytes) gets its tag and keeps every byte (tcpreplay #990).
    let full = v4(None, Some(1500 - 28));
    assert_eq!(full.len(), 1514);
    let plain = v4(None, None);
    let file = vec![
        (1, full.clone()),
        (2, plain.clone()),
        (3, v4(Some(9), None)),
    ];
    let (r, got) = run(&file, &["--vlan", "add:100"]);
    let full_tagged = FrameSpec {
        src_mac: MAC_A,
        dst_mac: MAC_B,
        vlan: Some(100),
        l4: L4Spec::Udp,
        payload: vec![0x5a; 1500 - 28],
        ..FrameSpec::default()
    }
    .build()
    .unwrap();
    assert_eq!(got[0].len(), 1518);
    assert_eq!(got[0], full_tagged);
    assert_eq!(got[1], v4(Some(100), None));
    assert_eq!(got[2], v4(Some(9), None), "already tagged: sent as read");
    assert_eq!(r["unchanged_already_tagged"], 1);
    let (_, got) = run(&file, &["--vlan", "strip"]);
    assert_eq!(got, vec![full.clone(), plain.clone(), plain.clone()]);
    let (_, got) = run(&file, &["--vlan", "set:42"]);
    assert_eq!(got[1], v4(Some(42), None));
    assert_eq!(got[2], v4(Some(42), None));
}

#[test]
fn frames_over_the_mtu_are_skipped_and_counted_or_truncated() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let file = vec![
        (1, udp(1, Some(1600))),
        (2, udp(2, None)),
        (3, udp(3, Some(1514))),
    ];
    let (r, got) = run(&file, &[]);
    assert_eq!(r["skipped_over_mtu"], 1);
    assert_eq!(r["sent"], 2);
    assert_eq!(got, vec![file[1].1.clone(), file[2].1.clone()]);
    let (r, got) = run(&file, &["--truncate-to-mtu"]);
    assert_eq!(r["truncated_to_mtu"], 1);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].len(), 1514);
    assert_eq!(&got[0][..14], &file[0].1[..14]);
}
