//! The `compare` step: what a port received during the test, field by field against a golden
//! capture; `run --update-golden` records it. The frames cross a router (h1 → r1 → h2), so the
//! golden file holds rewritten MACs and a TTL of 63 that no one wrote by hand.

use super::common;
use super::{text, vethbench};

const FILE: &str = r#"
nodes:
  h1: {}
  h2: {}
  r1: {sysctl: {net.ipv4.ip_forward: 1}}
links:
  # Fixed MACs: the golden file holds the router's rewrite, the same in every run.
  - {ends: [h1:eth0, r1:eth0], macs: ["02:00:00:00:01:01", "02:00:00:00:01:fe"]}
  - {ends: [r1:eth1, h2:eth0], macs: ["02:00:00:00:02:fe", "02:00:00:00:02:01"]}
addresses:
  h1:eth0: [198.18.1.1/24]
  r1:eth0: [198.18.1.254/24]
  r1:eth1: [198.18.2.254/24]
  h2:eth0: [198.18.2.1/24]
routes:
  h1: [default via 198.18.1.254]
  h2: [default via 198.18.2.254]
tests:
  - name: routed frames as recorded
    noise: [ipv6, arp]
    steps:
      - send: {port: h1:eth0, count: 3, frame: 'Ether(dst=mac("r1:eth0"))/IP(dst="198.18.2.1", ttl=TTL, id=7)/UDP(sport=4000, dport=5000)/"golden"'}
      - compare: {port: h2:eth0, golden: golden.pcapng, ignore: [IGNORE], settle: 200ms}
"#;

fn scenario(dir: &std::path::Path, ttl: u8, ignore: &str) -> String {
    let path = dir.join("compare.yaml");
    std::fs::write(
        &path,
        FILE.replace("TTL", &ttl.to_string())
            .replace("IGNORE", ignore),
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn update_golden_records_then_compare_passes_and_a_changed_ttl_fails() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // r1's ARP request for h2 is noise in this test (noise: [ipv6, arp]): not compared.
    let f = scenario(dir.path(), 64, "ip.checksum");
    let o = vethbench(&["run", "--update-golden", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let golden = dir.path().join("golden.pcapng");
    let rows = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&golden)
        .args([
            "-Y",
            "udp",
            "-T",
            "fields",
            "-e",
            "ip.ttl",
            "-e",
            "udp.dstport",
        ])
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&rows.stdout).into_owned();
    assert_eq!(
        rows, "63\t5000\n63\t5000\n63\t5000\n",
        "golden as tshark reads it"
    );

    let o = vethbench(&["run", "-v", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("equal golden golden.pcapng"),
        "{}",
        text(&o)
    );

    // A TTL of 9 leaves the router as 8: every UDP frame differs from the golden 63.
    let f = scenario(dir.path(), 9, "ip.checksum");
    let o = vethbench(&["run", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("differs from golden golden.pcapng"),
        "{}",
        text(&o)
    );
    assert!(out.contains("ip.ttl 63 → 8"), "{}", text(&o));
    assert!(out.contains("3 changed"), "{}", text(&o));

    // Ignoring the TTL (and the checksum that follows it) makes it pass again.
    let f = scenario(dir.path(), 9, "ip.checksum, ip.ttl");
    let o = vethbench(&["run", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_missing_golden_file_says_how_to_record_it_and_a_bad_ignore_is_a_load_error() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = scenario(dir.path(), 64, "ip.id");
    let o = vethbench(&["run", &f]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("golden golden.pcapng") && all.contains("--update-golden"),
        "{all}"
    );
    assert!(!dir.path().join("golden.pcapng").exists());

    let f = scenario(dir.path(), 64, "ip.tll");
    let o = vethbench(&["run", &f]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("compare.yaml:") && err.contains("ip.tll"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
