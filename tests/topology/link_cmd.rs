//! `vethbench link show|set` and the addresses of `veth list` (issue 21, new-user item 11):
//! the walkthrough's `ip addr` and `ip link set` steps without `ip`, checked against `ip -j`.

use super::*;

#[test]
fn link_show_and_set_up_down_mtu_like_ip() {
    if !common::require_root!() {
        return;
    }
    let ns = common::unique_name("vblk");
    let (v1, v2) = (common::unique_name("vla"), common::unique_name("vlb"));
    let _cleanup = NetnsCleanup(vec![ns.clone()]);
    vb_ok(&["netns", "add", &ns]);
    vb_ok(&[
        "veth",
        "add",
        &v1,
        "-n",
        &ns,
        "--peer",
        &v2,
        "--addr",
        "198.18.7.1/24",
        "--peer-addr",
        "198.18.7.2/24",
        "--no-ipv6",
    ]);
    // Made down: link show says so, with the address and the MTU.
    let rows = json(&vb_ok(&["link", "show", "-n", &ns, "--json"]));
    let r = row(&rows, &v1);
    assert_eq!(r["admin_up"], false, "{r}");
    assert_eq!(r["state"], "DOWN", "{r}");
    assert_eq!(r["kind"], "veth", "{r}");
    assert_eq!(r["addresses"], serde_json::json!(["198.18.7.1/24"]), "{r}");
    assert_eq!(row(&rows, "lo")["addresses"][0], "127.0.0.1/8", "{rows}");
    // The text table, one interface.
    let t = vb_ok(&["link", "show", &v1, "-n", &ns]);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 2, "{t}");
    assert!(
        lines[0].starts_with("NAME") && lines[0].ends_with("ADDRESSES"),
        "{t}"
    );
    assert!(
        lines[1].starts_with(&v1) && lines[1].ends_with("198.18.7.1/24"),
        "{t}"
    );
    // veth list shows the addresses too.
    let veths = json(&vb_ok(&["veth", "list", "-n", &ns, "--json"]));
    assert_eq!(
        row(&veths, &v2)["addresses"],
        serde_json::json!(["198.18.7.2/24"])
    );
    let t = vb_ok(&["veth", "list", "-n", &ns]);
    assert!(t.lines().next().unwrap().ends_with("ADDRESSES"), "{t}");

    // set: MTU and up in one go, as `ip link set` takes them; iproute2 sees it.
    vb_ok(&["link", "set", &v1, "-n", &ns, "mtu", "9000", "up"]);
    vb_ok(&["link", "set", "-n", &ns, &v2, "up"]);
    let ip = json(&common::run_ok(
        "ip",
        &["-n", &ns, "-j", "link", "show", &v1],
    ));
    assert_eq!(ip[0]["mtu"], 9000, "{ip}");
    assert!(ip[0]["flags"].to_string().contains("\"UP\""), "{ip}");
    let rows = json(&vb_ok(&["link", "show", "-n", &ns, "-j"]));
    assert_eq!(row(&rows, &v1)["state"], "UP");
    assert_eq!(row(&rows, &v1)["mtu"], 9000);
    // The tool's own "is down" error now names this command.
    vb_ok(&["link", "set", &v2, "down", "-n", &ns]);
    let ip = json(&common::run_ok(
        "ip",
        &["-n", &ns, "-j", "link", "show", &v2],
    ));
    assert!(!ip[0]["flags"].to_string().contains("\"UP\""), "{ip}");
    assert_bad_input(
        &["send", "-n", &ns, "-i", &v2, "--count", "1"],
        &[&format!(
            "bring it up with `vethbench link set -n {ns} {v2} up`"
        )],
    );

    // Refusals: one line, exit 2, nothing changed.
    assert_bad_input(
        &["link", "set", &v1, "-n", &ns, "mtu", "10"],
        &[&format!(
            "MTU 10 is out of range for '{v1}': it takes 68..=65535"
        )],
    );
    assert_bad_input(
        &["link", "set", &v1, "-n", &ns, "sideways"],
        &["unknown change 'sideways': expected up, down or mtu N"],
    );
    assert_bad_input(
        &["link", "set", "vbnosuch0", "-n", &ns, "up"],
        &["interface 'vbnosuch0' does not exist", &ns],
    );
    assert_bad_input(
        &["link", "show", "vbnosuch0", "-n", &ns],
        &["interface 'vbnosuch0' does not exist"],
    );
    let ip = json(&common::run_ok(
        "ip",
        &["-n", &ns, "-j", "link", "show", &v1],
    ));
    assert_eq!(ip[0]["mtu"], 9000, "{ip}");
    vb_ok(&["netns", "del", &ns]);
}
