//! Interop with iproute2, both ways (`ip` reads our pairs, we read its), and `-n` like `ip -n`.

use super::*;

#[test]
fn interop_ip_sees_our_pair_across_namespaces() {
    if !common::require_root!() {
        return;
    }
    let ns1 = common::unique_name("vbia");
    let ns2 = common::unique_name("vbib");
    let (v1, v2) = (common::unique_name("via"), common::unique_name("vib"));
    let _cleanup = NetnsCleanup(vec![ns1.clone(), ns2.clone()]);
    vb_ok(&["netns", "add", &ns1]);
    vb_ok(&["netns", "add", &ns2]);
    vb_ok(&[
        "veth",
        "add",
        &v1,
        "--netns",
        &ns1,
        "--peer",
        &v2,
        "--peer-netns",
        &ns2,
        "--mtu",
        "9000",
        "--mac",
        "02:00:00:00:0a:01",
        "--peer-mac",
        "02:00:00:00:0a:02",
    ]);

    let a = json(&common::run_ok(
        "ip",
        &["-n", &ns1, "-d", "-j", "link", "show", &v1],
    ));
    let b = json(&common::run_ok(
        "ip",
        &["-n", &ns2, "-d", "-j", "link", "show", &v2],
    ));
    let (a, b) = (&a[0], &b[0]);
    assert_eq!(a["linkinfo"]["info_kind"], "veth", "{a}");
    assert_eq!(a["address"], "02:00:00:00:0a:01", "{a}");
    assert_eq!(b["address"], "02:00:00:00:0a:02", "{b}");
    assert_eq!(a["mtu"], 9000, "{a}");
    assert_eq!(b["mtu"], 9000, "{b}");
    // The peer relation: each end's link_index is the other's ifindex, and its link_netnsid
    // is the id its namespace gives the other's.
    assert_eq!(a["link_index"], b["ifindex"], "{a}\n{b}");
    assert_eq!(b["link_index"], a["ifindex"], "{a}\n{b}");
    let ids = json(&common::run_ok(
        "ip",
        &["-n", &ns1, "-j", "netns", "list-id"],
    ));
    let id_of_ns2 = ids
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == ns2.as_str())
        .unwrap_or_else(|| panic!("{ns2} has no id in {ns1}: {ids}"));
    assert_eq!(a["link_netnsid"], id_of_ns2["nsid"], "{a}\n{ids}");
    // And `down` as asked (no --up).
    assert_eq!(a["operstate"], "DOWN", "{a}");

    // vethbench agrees with itself from the other side.
    let rows = json(&vb_ok(&["veth", "list", "--json", "-n", &ns2]));
    let r = row(&rows, &v2);
    assert_eq!(r["peer_name"], v1.as_str(), "{r}");
    assert_eq!(r["peer_netns"], ns1.as_str(), "{r}");
    assert_eq!(r["peer_ifindex"], a["ifindex"], "{r}");
}

#[test]
fn interop_ip_sees_our_pair_in_one_namespace() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        vb_ok(&[
            "veth",
            "add",
            "vbx0",
            "--peer",
            "vbx1",
            "--up",
            "--addr",
            "198.18.1.1/24",
        ]);
        let l = json(&common::run_ok("ip", &["-d", "-j", "link", "show", "vbx0"]));
        let l = &l[0];
        assert_eq!(l["linkinfo"]["info_kind"], "veth", "{l}");
        // Same namespace: ip names the peer directly and prints no link_netnsid.
        assert_eq!(l["link"], "vbx1", "{l}");
        assert!(l.get("link_netnsid").is_none(), "{l}");
        assert_eq!(l["operstate"], "UP", "{l}");
        let a = common::run_ok("ip", &["-j", "addr", "show", "vbx0"]);
        assert!(
            a.contains("198.18.1.1") && a.contains("\"prefixlen\":24"),
            "{a}"
        );
    });
}

#[test]
fn interop_we_read_pairs_made_by_ip() {
    if !common::require_root!() {
        return;
    }
    let ns1 = common::unique_name("vbra");
    let ns2 = common::unique_name("vbrb");
    let (p1, p2) = (common::unique_name("vra"), common::unique_name("vrb"));
    let _cleanup = NetnsCleanup(vec![ns1.clone(), ns2.clone()]);
    common::run_ok("ip", &["netns", "add", &ns1]);
    common::run_ok("ip", &["netns", "add", &ns2]);
    common::run_ok(
        "ip",
        &[
            "link", "add", &p1, "netns", &ns1, "type", "veth", "peer", "name", &p2, "netns", &ns2,
        ],
    );
    common::run_ok("ip", &["-n", &ns1, "link", "set", &p1, "up"]);
    let p2_ifindex = json(&common::run_ok(
        "ip",
        &["-n", &ns2, "-j", "link", "show", &p2],
    ))[0]["ifindex"]
        .clone();
    let p1_ip = json(&common::run_ok(
        "ip",
        &["-n", &ns1, "-j", "link", "show", &p1],
    ));
    let p1_ifindex = p1_ip[0]["ifindex"].clone();

    let rows = json(&vb_ok(&["veth", "list", "--json", "-n", &ns1]));
    let r = row(&rows, &p1);
    assert_eq!(r["netns"], ns1.as_str(), "{r}");
    assert_eq!(r["ifindex"], p1_ifindex, "{r}");
    assert_eq!(r["peer_name"], p2.as_str(), "{r}");
    assert_eq!(r["peer_ifindex"], p2_ifindex, "{r}");
    assert_eq!(r["peer_netns"], ns2.as_str(), "{r}");
    assert!(r["peer_netnsid"].is_i64(), "{r}");
    // p1 is up, its peer is down: no carrier, and the same operstate as ip's.
    assert_eq!(r["admin_up"], true, "{r}");
    assert_eq!(r["state"], p1_ip[0]["operstate"], "{r}");
    assert!(
        p1_ip[0]["flags"].to_string().contains("NO-CARRIER"),
        "{p1_ip}"
    );
    assert_eq!(r["mac"], p1_ip[0]["address"], "{r}");

    let peer = vb_ok(&["veth", "peer", &p2, "-n", &ns2]);
    assert!(
        peer.contains(&format!("peer {p1} ifindex {p1_ifindex} netns {ns1}")),
        "{peer}"
    );
    // --all-netns sees both ends.
    let all = json(&vb_ok(&["veth", "list", "--json", "--all-netns"]));
    assert_eq!(row(&all, &p2)["peer_name"], p1.as_str());

    // A same-namespace pair made by ip, inside an anonymous namespace.
    common::in_private_netns(|| {
        common::veth_pair("vbq0", "vbq1");
        let rows = json(&vb_ok(&["veth", "list", "--json"]));
        assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
        let r = row(&rows, "vbq0");
        assert_eq!(r["peer_name"], "vbq1", "{r}");
        assert!(r["peer_netnsid"].is_null(), "{r}");
        let peer = vb_ok(&["veth", "peer", "vbq1"]);
        assert!(peer.starts_with("vbq1: peer vbq0 ifindex "), "{peer}");
    });
}

#[test]
fn veth_add_with_n_puts_both_ends_in_the_namespace_like_ip_n() {
    if !common::require_root!() {
        return;
    }
    let ns = common::unique_name("vbnn");
    let (a, b) = (common::unique_name("vna"), common::unique_name("vnb"));
    let _cleanup = NetnsCleanup(vec![ns.clone()]);
    vb_ok(&["netns", "add", &ns]);
    // `ip -n NS link add A type veth peer name B` makes both ends in NS; so does `-n`.
    vb_ok(&["veth", "add", &a, "--peer", &b, "-n", &ns, "--up"]);
    let links = common::run_ok("ip", &["-n", &ns, "-o", "link"]);
    assert!(links.contains(&a) && links.contains(&b), "{links}");
    let host = common::run_ok("ip", &["-o", "link"]);
    assert!(!host.contains(&a) && !host.contains(&b), "{host}");
    let rows = json(&vb_ok(&["veth", "list", "--json", "-n", &ns]));
    assert_eq!(row(&rows, &a)["peer_netns"], Value::String(ns.clone()));
    vb_ok(&["netns", "del", &ns]);
}
