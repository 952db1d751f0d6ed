//! Bad input: one line, exit 2, nothing half-made.

use super::*;

#[test]
fn bad_name_too_long() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        assert_bad_input(
            &["veth", "add", "a234567890123456", "--peer", "b"],
            &["a234567890123456", "15 bytes"],
        );
        assert_bad_input(
            &["veth", "add", "a", "--peer", "b234567890123456"],
            &["b234567890123456", "15 bytes"],
        );
        assert!(vethbench::link::iface::info("a").is_err());
    });
}

#[test]
fn bad_name_already_exists() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        vb_ok(&["veth", "add", "vbe0", "--peer", "vbe1"]);
        assert_bad_input(
            &["veth", "add", "vbe2", "--peer", "vbe1"],
            &["interface 'vbe1' already exists"],
        );
        assert_bad_input(
            &["veth", "add", "vbe0", "--peer", "vbe3"],
            &["interface 'vbe0' already exists"],
        );
        assert!(vethbench::link::iface::info("vbe2").is_err());
        assert!(vethbench::link::iface::info("vbe3").is_err());
    });
    let ns = common::unique_name("vbee");
    let _cleanup = NetnsCleanup(vec![ns.clone()]);
    vb_ok(&["netns", "add", &ns]);
    assert_bad_input(
        &["netns", "add", &ns],
        &[&format!("network namespace '{ns}' already exists")],
    );
}

#[test]
fn bad_netns_does_not_exist() {
    if !common::require_root!() {
        return;
    }
    let missing = common::unique_name("vbnone");
    let msg = format!("network namespace '{missing}' does not exist");
    common::in_private_netns(move || {
        for args in [
            vec!["veth", "add", "vbn0", "--peer", "vbn1", "--netns", &missing],
            vec![
                "veth",
                "add",
                "vbn0",
                "--peer",
                "vbn1",
                "--peer-netns",
                &missing,
            ],
            vec!["veth", "list", "-n", &missing],
            vec!["veth", "del", "vbn0", "-n", &missing],
            vec!["ping", "-n", &missing, "198.18.0.1"],
            vec!["netns", "del", &missing],
            vec!["netns", "exec", &missing, "--", "true"],
        ] {
            assert_bad_input(&args, &[&msg]);
        }
        assert!(vethbench::link::iface::info("vbn0").is_err());
    });
}

#[test]
fn bad_cidr_and_mac() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        for cidr in [
            "198.18.0.10/33",
            "198.18.0/16",
            "not-an-ip/8",
            "198.18.0.10/x",
        ] {
            assert_bad_input(
                &["veth", "add", "vbc0", "--peer", "vbc1", "--addr", cidr],
                &["invalid CIDR", cidr],
            );
        }
        assert_bad_input(
            &[
                "veth",
                "add",
                "vbc0",
                "--peer",
                "vbc1",
                "--peer-mac",
                "02:00:00:00:00",
            ],
            &["invalid MAC"],
        );
        assert_bad_input(
            &[
                "veth",
                "add",
                "vbc0",
                "--peer",
                "vbc1",
                "--mac",
                "01:00:5e:00:00:01",
            ],
            &["invalid MAC", "not a unicast address"],
        );
        assert!(
            vethbench::link::iface::info("vbc0").is_err(),
            "nothing was created"
        );
    });
}

#[test]
fn failure_in_the_address_step_leaves_nothing() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        // The pair is created, then the peer's IPv6 address is refused by the kernel
        // (IPv6 disabled on the link): the whole pair must go.
        assert_bad_input(
            &[
                "veth",
                "add",
                "vbh0",
                "--peer",
                "vbh1",
                "--addr",
                "198.18.3.1/24",
                "--peer-addr",
                "fd00::2/64",
                "--no-ipv6",
                "--up",
            ],
            &["fd00::2/64", "vbh1", "IPv6 is disabled"],
        );
        let links = common::run_ok("ip", &["-o", "link"]);
        assert!(
            !links.contains("vbh0") && !links.contains("vbh1"),
            "{links}"
        );
    });
}

#[test]
fn bad_delete_not_a_veth() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        // A bridge: always there (dummy is often a module that is not installed).
        common::run_ok("ip", &["link", "add", "vbd0", "type", "bridge"]);
        assert_bad_input(
            &["veth", "del", "vbd0"],
            &["'vbd0' is not a veth (kind: bridge)"],
        );
        assert_bad_input(&["veth", "del", "lo"], &["'lo' is not a veth"]);
        assert_bad_input(&["veth", "peer", "vbd0"], &["'vbd0' is not a veth"]);
        assert_bad_input(
            &["veth", "del", "vbd9"],
            &["interface 'vbd9' does not exist"],
        );
        // Still there.
        assert!(vethbench::link::iface::info("vbd0").is_ok());
    });
}

fn without_caps(caps: &str, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args(["--inh-caps=-all", &format!("--bounding-set=-{caps}"), "--"])
        .arg(common::bin_path())
        .args(args)
        .output()
        .expect("run setpriv")
}

#[test]
fn bad_missing_capabilities() {
    if !common::require_root!() {
        return;
    }
    let ns = common::unique_name("vbcap");
    common::in_private_netns(move || {
        let args = ["veth", "add", "vbk0", "--peer", "vbk1"];
        let out = without_caps("net_admin", &args);
        assert_bad_output(out, &args, &["CAP_NET_ADMIN", "permission denied"]);
        assert!(vethbench::link::iface::info("vbk0").is_err());

        let args = ["netns", "add", ns.as_str()];
        let out = without_caps("sys_admin", &args);
        assert_bad_output(out, &args, &["CAP_SYS_ADMIN", "permission denied"]);
        assert!(!std::path::Path::new("/run/netns").join(&ns).exists());
    });
}

/// Issue 13, items 12 and 13: a ping wait of 0 could never see a reply, and a huge number is
/// echoed in short, not as 300 digits. Refused before any socket is opened: no root needed.
#[test]
fn ping_times_out_of_range() {
    assert_bad_input(
        &["ping", "-W", "0", "198.18.0.1"],
        &["invalid timeout '0'", "0 < s <= 3600"],
    );
    assert_bad_input(
        &["ping", "-i", "1e300", "198.18.0.1"],
        &["invalid interval '1e300'"],
    );
    assert_bad_input(
        &["ping", "-W", "1e300", "198.18.0.1"],
        &["invalid timeout '1e300'"],
    );
}
