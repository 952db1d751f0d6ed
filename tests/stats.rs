//! `read -z`: statistics equal to tshark 4.0's, table for table, on the kept captures
//! (dumpcap's and tcpdump's of the seed walkthrough, Scapy's layers.pcap). tshark runs without
//! reassembly (`ip.defragment:FALSE`): vethbench does not reassemble (docs/read.md).

mod common;

use std::process::Command;

use common::tshark::{captures_dir, have, stdout};

const TABLES: [&str; 9] = [
    "conv,ip",
    "conv,ipv6",
    "conv,tcp",
    "conv,udp",
    "endpoints,ip",
    "endpoints,ipv6",
    "endpoints,tcp",
    "endpoints,udp",
    "io,phs",
];

fn tshark(file: &str, z: &[&str]) -> String {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(captures_dir().join(file)).args([
        "-o",
        "ip.defragment:FALSE",
        "-o",
        "ipv6.defragment:FALSE",
        "-q",
    ]);
    for s in z {
        cmd.args(["-z", s]);
    }
    stdout(cmd)
}

fn ours(file: &str, z: &[&str]) -> String {
    let mut cmd = common::vethbench();
    cmd.arg("read").arg(captures_dir().join(file)).arg("-q");
    for s in z {
        cmd.args(["-z", s]);
    }
    stdout(cmd)
}

#[test]
fn every_table_equals_tsharks_on_the_kept_captures() {
    assert!(
        have("tshark"),
        "tshark is needed (tests/run.sh installs it)"
    );
    for file in ["dumpcap-vethY.pcapng", "tcpdump-vethY.pcap", "layers.pcap"] {
        for z in TABLES {
            // Scapy's 802.3 frames make tshark's hierarchy name CDP and malformed packets,
            // protocols the packet view does not decode.
            if file == "layers.pcap" && z == "io,phs" {
                continue;
            }
            assert_eq!(ours(file, &[z]), tshark(file, &[z]), "{file} -z {z}");
        }
    }
}

#[test]
fn several_tables_come_in_tsharks_order_after_the_frames() {
    let z = ["conv,ip", "endpoints,tcp", "io,phs"];
    let file = "dumpcap-vethY.pcapng";
    assert_eq!(ours(file, &z), tshark(file, &z));
    // Without -q the frames come first, then the tables.
    let out = stdout({
        let mut c = common::vethbench();
        c.arg("read")
            .arg(captures_dir().join(file))
            .args(["-z", "conv,ip"]);
        c
    });
    let first_table = out.find("IPv4 Conversations").unwrap();
    assert!(
        out[..first_table].contains("1.1.1.1 → 2.2.2.2 TCP"),
        "{out}"
    );
}

#[test]
fn the_hierarchy_of_layers_pcap_differs_only_where_tshark_decodes_more() {
    let (a, b) = (
        ours("layers.pcap", &["io,phs"]),
        tshark("layers.pcap", &["io,phs"]),
    );
    let extra: Vec<&str> = b.lines().filter(|l| !a.lines().any(|m| m == *l)).collect();
    assert!(
        extra
            .iter()
            .all(|l| l.contains("cdp") || l.contains("_ws.malformed")),
        "{extra:?}"
    );
    assert!(
        a.lines().all(|l| b.lines().any(|m| m == l)),
        "ours:\n{a}\ntshark:\n{b}"
    );
}

#[test]
fn json_and_errors() {
    let out = stdout({
        let mut c = common::vethbench();
        c.arg("read")
            .arg(captures_dir().join("layers.pcap"))
            .args(["-q", "-z", "conv,udp", "-z", "io,phs", "--json"]);
        c
    });
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j[0]["stat"], "conv,udp");
    let udp = tshark("layers.pcap", &["conv,udp"]);
    let rows = udp.lines().filter(|l| l.contains(" <-> ")).count();
    assert_eq!(j[0]["conversations"].as_array().unwrap().len(), rows);
    assert_eq!(j[1]["protocols"][0]["protocol"], "eth");
    assert_eq!(j[1]["protocols"][0]["frames"], 38);
    for bad in [
        "io,stat,1,2,3",
        "conv,sctp",
        "conv,ip,ip.src==1.1.1.1",
        "bogus",
    ] {
        let o = common::vethbench()
            .arg("read")
            .arg(captures_dir().join("layers.pcap"))
            .args(["-z", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.starts_with(&format!("vethbench: error: invalid -z argument '{bad}': "))
                && err.lines().count() == 1,
            "{err}"
        );
        assert!(o.stdout.is_empty(), "{bad}: printed frames before refusing");
    }
}
