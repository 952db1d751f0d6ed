//! `vethbench test --flows/--vary/--size LIST|imix/--threads`: every flow accounted for, IMIX
//! proportions, one flow's loss (an nftables drop) reported on that flow only, the count split
//! between threads with every flow in order; bad values exit 2 on one line.

use serde_json::Value;

use super::common;

fn run_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = common::vethbench().args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}{err}"));
    (out.status.code(), v, err)
}

fn per_flow(v: &Value) -> &Vec<Value> {
    v["per_flow"].as_array().unwrap()
}

/// 1000 flows (source ports 49152..50151) in IMIX sizes over a private pair: each flow sent
/// its 12 frames and all arrived, in order; the sizes in their 7:4:1 proportion.
#[test]
fn thousand_flows_in_imix_all_arrive_in_order() {
    if !common::require_root!() {
        return;
    }
    let (code, v, err) = run_json(&[
        "test", "--flows", "1000", "--size", "imix", "--count", "12000", "--rate", "200k", "--json",
    ]);
    assert_eq!(code, Some(0), "{v}{err}");
    assert_eq!(v["flow_count"], 1000);
    assert_eq!(
        (v["lost"].as_u64(), v["reordered"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(v["flows_with_loss"], 0);
    assert_eq!(v["flows_with_reordering"], 0);
    let flows = per_flow(&v);
    assert_eq!(flows.len(), 1000);
    let mut ports = std::collections::HashSet::new();
    for f in flows {
        assert_eq!(
            (f["sent"].as_u64(), f["intact"].as_u64()),
            (Some(12), Some(12)),
            "{f}"
        );
        assert_eq!(f["reordered"], 0);
        ports.insert(f["sport"].as_u64().unwrap());
    }
    assert_eq!(ports.len(), 1000);
    let sizes: Vec<(u64, u64)> = v["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["len"].as_u64().unwrap(), s["intact"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, vec![(66, 7000), (570, 4000), (1514, 1000)]);
}

/// An nftables rule on the sending veth's egress drops flow 7's source port: that flow, and
/// only it, shows loss (the verdict fails, exit 1).
#[test]
fn an_nftables_drop_shows_on_that_flow_only() {
    if !common::require_root!() {
        return;
    }
    let (a, b) = (common::unique_name("vfa"), common::unique_name("vfb"));
    let out = common::in_private_netns(move || {
        common::veth_pair(&a, &b);
        let chain = format!("{{ type filter hook egress device {a} priority 0; }}");
        common::run_ok("nft", &["add", "table", "netdev", "vbflows"]);
        common::run_ok("nft", &["add", "chain", "netdev", "vbflows", "out", &chain]);
        common::run_ok(
            "nft",
            &[
                "add", "rule", "netdev", "vbflows", "out", "udp", "sport", "49159", "drop",
            ],
        );
        common::vethbench()
            .args([
                "test", "--tx", &a, "--rx", &b, "--flows", "10", "--count", "1000", "--json",
            ])
            .output()
            .unwrap()
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["flows_with_loss"], 1, "{v}");
    assert_eq!(v["worst_loss"]["flow"], 7);
    assert_eq!(v["lost"], 100);
    for f in per_flow(&v) {
        let want = if f["flow"] == 7 { 100 } else { 0 };
        assert_eq!(f["lost"].as_u64(), Some(want), "{f}");
        assert_eq!(f["sent"], 100);
    }
}

/// Two sender threads: the count split in two (the odd frame to thread 0), each flow sent by
/// one thread and received in order, a rate per thread in the report.
#[test]
fn two_threads_split_the_count_and_keep_every_flow_in_order() {
    if !common::require_root!() {
        return;
    }
    let (code, v, err) = run_json(&[
        "test",
        "--flows",
        "100",
        "--threads",
        "2",
        "--count",
        "20001",
        // Paced: the suite runs tests side by side on two CPUs, and two unpaced senders can
        // starve the receiver into ring drops that are not what this test is about.
        "--rate",
        "100k",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{v}{err}");
    let threads = v["threads"].as_array().unwrap();
    let sent: Vec<u64> = threads
        .iter()
        .map(|t| t["sent"].as_u64().unwrap())
        .collect();
    assert_eq!(sent, vec![10001, 10000]);
    assert!(threads.iter().all(|t| t["tx_pps"].as_f64().unwrap() > 0.0));
    assert_eq!(v["flows_with_reordering"], 0);
    for f in per_flow(&v) {
        assert_eq!(f["intact"], f["sent"], "{f}");
        assert_eq!(f["thread"].as_u64(), Some(f["flow"].as_u64().unwrap() % 2));
    }
}

/// The table names the flows and the sizes; a varied field shows in the JSON rows.
#[test]
fn table_and_vary() {
    if !common::require_root!() {
        return;
    }
    let out = common::vethbench()
        .args([
            "test",
            "--vary",
            "src-ip:198.18.0.0/30,dport:7-9",
            "--size",
            "66,200",
            "--count",
            "240",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("flows") && text.contains("12 (0 with loss, 0 with reordering)"),
        "{text}"
    );
    assert!(text.contains("120 × 66 B, 120 × 200 B"), "{text}");
    let (_, v, _) = run_json(&[
        "test",
        "--vary",
        "src-ip:198.18.0.0/30,dport:7-9",
        "--count",
        "24",
        "--json",
    ]);
    let f = &per_flow(&v)[5];
    assert_eq!(
        (f["src_ip"].as_str(), f["dport"].as_u64()),
        (Some("198.18.0.1"), Some(8))
    );
}

#[test]
fn bad_flow_flags_exit_2_with_one_line() {
    for argv in [
        &["test", "--flows", "0"][..],
        &["test", "--flows", "100000"],
        &["test", "--vary", "ttl:1-3"],
        &["test", "--vary", "sport:9-1"],
        &["test", "--size", "64"],
        &["test", "--size", "66,x"],
        &["test", "--size", "66,70000"],
        &["test", "--threads", "2"],
        &["test", "--threads", "0"],
        &[
            "test",
            "--threads",
            "2",
            "--flows",
            "2",
            "--mode",
            "latency",
        ],
    ] {
        let out = common::vethbench().args(argv).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{argv:?}: {err}");
        assert!(err.starts_with("vethbench: error: "), "{err}");
    }
}
