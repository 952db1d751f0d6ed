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

/// `read FILE ARGS` refuses the `-z` argument `bad`: exit 2, one `invalid -z argument` line.
fn refused_one_line(file: &str, args: &[&str], bad: &str) -> std::process::Output {
    let o = common::vethbench()
        .arg("read")
        .arg(captures_dir().join(file))
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
    assert!(
        err.starts_with(&format!("vethbench: error: invalid -z argument '{bad}': "))
            && err.lines().count() == 1,
        "{err}"
    );
    o
}

#[test]
fn every_table_equals_tsharks_on_the_kept_captures() {
    assert!(
        have("tshark"),
        "tshark is needed (tests/run.sh installs it)"
    );
    for file in [
        "dumpcap-vethY.pcapng",
        "tcpdump-vethY.pcap",
        "layers.pcap",
        "tunnels.pcap",
    ] {
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
        let o = refused_one_line("layers.pcap", &["-z", bad], bad);
        assert!(o.stdout.is_empty(), "{bad}: printed frames before refusing");
    }
}

/// `-z io,stat`: intervals with and without decimals, the whole capture (0 and longer than the
/// capture), filter columns and empty columns, on a capture with uneven gaps (timed.pcap,
/// fixtures/captures/make_timed.py) and the kept ones. (tshark 4.0 crashes or mis-sizes
/// `io,stat,1.0` with no filter after it; that form is left out, docs/read.md says so.)
#[test]
fn io_stat_equals_tsharks() {
    let zs = [
        "io,stat,1",
        "io,stat,0.5",
        "io,stat,0",
        "io,stat,10",
        "io,stat,100",
        "io,stat,1000",
        "io,stat,0.25",
        "io,stat,3",
        "io,stat,1.0,udp",
        "io,stat,5,udp,tcp",
        "io,stat,20,ip.src == 198.18.0.3 && frame.len > 1000,,tcp.dstport == 42080",
        "io,stat,2,ip.len > 100 && udp && !(udp.srcport == 41002) && ip.dst == 198.18.0.2",
    ];
    for file in ["timed.pcap", "dumpcap-vethY.pcapng", "layers.pcap"] {
        for z in zs {
            assert_eq!(ours(file, &[z]), tshark(file, &[z]), "{file} -z {z}");
        }
    }
    // Several tables, io,stat among them, in tshark's order.
    let z = ["io,stat,60", "conv,udp", "io,stat,0.5,tcp"];
    assert_eq!(ours("timed.pcap", &z), tshark("timed.pcap", &z));
}

#[test]
fn io_stat_json_counts_every_frame_once() {
    let out = stdout({
        let mut c = common::vethbench();
        c.arg("read").arg(captures_dir().join("timed.pcap")).args([
            "-q",
            "-z",
            "io,stat,10,,udp",
            "--json",
        ]);
        c
    });
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let t = &j[0];
    assert_eq!(t["stat"], "io,stat,10,,udp");
    assert_eq!(t["interval"], 10.0);
    assert_eq!(t["duration"], 271.2);
    let sum = |col: usize, key: &str| -> u64 {
        t["columns"][col]["intervals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[key].as_u64().unwrap())
            .sum()
    };
    assert_eq!(t["columns"][0]["filter"], serde_json::Value::Null);
    assert_eq!(t["columns"][1]["filter"], "udp");
    assert_eq!(sum(0, "frames"), 65);
    let udp = stdout({
        let mut c = Command::new("tshark");
        c.arg("-r").arg(captures_dir().join("timed.pcap")).args([
            "-Y",
            "udp",
            "-T",
            "fields",
            "-e",
            "frame.len",
        ]);
        c
    });
    let (n, bytes) = udp.lines().fold((0u64, 0u64), |(n, b), l| {
        (n + 1, b + l.trim().parse::<u64>().unwrap())
    });
    assert_eq!(sum(1, "frames"), n);
    assert_eq!(sum(1, "bytes"), bytes);
    assert_eq!(t["columns"][0]["intervals"].as_array().unwrap().len(), 28);
}

#[test]
fn io_stat_refusals_are_one_line() {
    for bad in [
        "io,stat,x",
        "io,stat,-1",
        "io,stat,1,",
        "io,stat,1,nosuch.field == 1",
        "io,stat,1,COUNT(ip.ttl)ip",
        "io,stat,0.0000001",
    ] {
        refused_one_line("timed.pcap", &["-q", "-z", bad], bad);
    }
}
