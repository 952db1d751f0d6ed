//! Topology: named namespaces, veth pairs, ping, interop with iproute2, no leaks, bad input.
//!
//! Named namespaces are unique per test (pid-based suffix) and removed by a Drop guard even
//! when the test panics. Everything else runs inside an anonymous namespace (the kernel
//! removes it with the thread). Nothing here creates a link in the host namespace.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Named namespaces to remove on drop (with iproute2, independent of the code under test).
struct NetnsCleanup(Vec<String>);

impl Drop for NetnsCleanup {
    fn drop(&mut self) {
        for n in &self.0 {
            if std::path::Path::new("/run/netns").join(n).exists() {
                let _ = Command::new("ip").args(["netns", "del", n]).status();
            }
        }
    }
}

/// A child process killed on drop.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn vb(args: &[&str]) -> Output {
    common::vethbench()
        .args(args)
        .output()
        .expect("run vethbench")
}

fn vb_ok(args: &[&str]) -> String {
    let out = vb(args);
    assert!(
        out.status.success(),
        "vethbench {args:?} failed ({:?}): {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exit 2, exactly one line on stderr, containing every `needles`.
fn assert_bad_input(args: &[&str], needles: &[&str]) -> String {
    assert_bad_output(vb(args), args, needles)
}

fn assert_bad_output(out: Output, args: &[&str], needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "vethbench {args:?}: expected exit 2, stderr: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "vethbench {args:?}: not one line: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "vethbench {args:?}: '{n}' not in: {err}");
    }
    err
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

fn row<'a>(rows: &'a Value, name: &str) -> &'a Value {
    rows.as_array()
        .expect("an array")
        .iter()
        .find(|r| r["name"] == name || r["ifname"] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {rows}"))
}

/// Everything `ip` can see: the host's links and every named namespace's.
fn ip_everything() -> String {
    let host = common::run_ok("ip", &["-o", "link"]);
    // Not run_ok: a namespace another test deletes meanwhile makes `ip -all` fail for it.
    let all = Command::new("ip")
        .args(["-all", "netns", "exec", "ip", "-o", "link"])
        .output()
        .expect("run ip -all netns exec");
    let all = String::from_utf8_lossy(&all.stdout);
    format!("{host}\n{all}")
}

// ---------------------------------------------------------------------------------------------
// The first walkthrough, with vethbench alone.

#[test]
fn walkthrough_000_with_vethbench_alone() {
    if !common::require_root!() {
        return;
    }
    let ns1 = common::unique_name("vbwa");
    let ns2 = common::unique_name("vbwb");
    let v1 = common::unique_name("vwa");
    let v2 = common::unique_name("vwb");
    let _cleanup = NetnsCleanup(vec![ns1.clone(), ns2.clone()]);

    // 1. Two named namespaces, visible to iproute2, with lo up.
    vb_ok(&["netns", "add", &ns1]);
    vb_ok(&["netns", "add", &ns2]);
    let listed = common::run_ok("ip", &["netns", "list"]);
    assert!(listed.contains(&ns1) && listed.contains(&ns2), "{listed}");
    let ours = vb_ok(&["netns", "list"]);
    assert!(
        ours.lines().any(|l| l == ns1) && ours.lines().any(|l| l == ns2),
        "{ours}"
    );
    let lo = common::run_ok("ip", &["-n", &ns1, "-j", "link", "show", "lo"]);
    assert!(json(&lo)[0]["flags"].to_string().contains("\"UP\""), "{lo}");

    // 2 and 3. A pair across them, addressed from 198.18.0.0/15, up.
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
        "--addr",
        "198.18.0.10/16",
        "--peer-addr",
        "198.18.0.20/16",
        "--up",
        "--no-ipv6",
    ]);
    let a = common::run_ok("ip", &["-n", &ns1, "-j", "addr", "show", &v1]);
    assert!(a.contains("198.18.0.10"), "{a}");

    // 4. Ping both ways.
    for (ns, dst) in [(&ns1, "198.18.0.20"), (&ns2, "198.18.0.10")] {
        let out = vb_ok(&["ping", "-n", ns, "-c", "3", "-i", "0.05", "-W", "2", dst]);
        assert!(
            out.contains(&format!("PING {dst} ({dst}) 56(84) bytes of data.")),
            "{out}"
        );
        assert!(
            out.contains(&format!("64 bytes from {dst}: icmp_seq=1 ttl=64 time=")),
            "{out}"
        );
        assert!(
            out.contains("3 packets transmitted, 3 received, 0% packet loss"),
            "{out}"
        );
        assert!(out.contains("rtt min/avg/max/mdev = "), "{out}");
    }

    // 5. An HTTP server in the second namespace, a real GET from the first.
    let dir = tempfile::tempdir().unwrap();
    let token = format!("vethbench-{}", std::process::id());
    std::fs::write(dir.path().join("token.txt"), &token).unwrap();
    let _server = KillOnDrop(
        common::vethbench()
            .args([
                "netns",
                "exec",
                &ns2,
                "--",
                "/usr/bin/python3",
                "-m",
                "http.server",
            ])
            .args(["8000", "--bind", "198.18.0.20", "--directory"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ns1_for_get = ns1.clone();
    let body = std::thread::spawn(move || {
        vethbench::link::netns::enter(&ns1_for_get).expect("enter ns1");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match TcpStream::connect("198.18.0.20:8000") {
                Ok(mut s) => {
                    s.write_all(b"GET /token.txt HTTP/1.0\r\nHost: 198.18.0.20\r\n\r\n")
                        .unwrap();
                    let mut resp = String::new();
                    s.read_to_string(&mut resp).unwrap();
                    return resp;
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("HTTP server in the second namespace never answered: {e}"),
            }
        }
    })
    .join()
    .unwrap();
    assert!(body.starts_with("HTTP/1.0 200"), "{body}");
    assert!(body.ends_with(&token), "{body}");
    drop(_server);

    // Delete everything and check that nothing is left.
    vb_ok(&["veth", "del", &v1, "-n", &ns1]);
    let left = json(&vb_ok(&["veth", "list", "--json", "-n", &ns2]));
    assert_eq!(left, Value::Array(vec![]), "deleting one end removes both");
    vb_ok(&["netns", "del", &ns1]);
    vb_ok(&["netns", "del", &ns2]);
    let listed = common::run_ok("ip", &["netns", "list"]);
    assert!(!listed.contains(&ns1) && !listed.contains(&ns2), "{listed}");
    let links = ip_everything();
    assert!(!links.contains(&v1) && !links.contains(&v2), "{links}");
}

// ---------------------------------------------------------------------------------------------
// Interop with iproute2, both ways.

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

// ---------------------------------------------------------------------------------------------
// No leaks under SIGKILL.

const HOLDER_ENV: &str = "VETHBENCH_TOPOLOGY_HOLDER";

/// Not a test on its own: the child of `no_leak_under_sigkill` (the test binary re-executed
/// with HOLDER_ENV set). Holds a private pair across two anonymous namespaces until killed.
#[test]
fn holder_child() {
    if std::env::var_os(HOLDER_ENV).is_none() {
        return;
    }
    let pair = vethbench::link::PrivatePair::across(&vethbench::link::VethPairSpec::new(
        "vbhold0", "vbhold1",
    ))
    .expect("private pair");
    println!(
        "HOLDER {} {} {}",
        pair.netns_a().inode(),
        pair.netns_b().inode(),
        pair.a.ifindex
    );
    std::io::stdout().flush().unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// Every nsfs reference to `inode` that /proc shows: open fds, threads' namespaces, mounts.
fn references_to(inode: u64) -> Vec<String> {
    let needle = format!("net:[{inode}]");
    let mut found = Vec::new();
    for p in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = p.file_name();
        if !pid.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let base = p.path();
        for sub in ["fd", "task"] {
            let Ok(entries) = std::fs::read_dir(base.join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let link = if sub == "fd" {
                    e.path()
                } else {
                    e.path().join("ns/net")
                };
                if let Ok(t) = std::fs::read_link(&link) {
                    if t.to_string_lossy() == needle {
                        found.push(link.display().to_string());
                    }
                }
            }
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    found.extend(
        mounts
            .lines()
            .filter(|l| l.contains(&needle))
            .map(String::from),
    );
    found
}

#[test]
fn no_leak_under_sigkill() {
    if !common::require_root!() {
        return;
    }
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "holder_child", "--nocapture", "--test-threads=1"])
            .env(HOLDER_ENV, "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id();
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let line = lines
        .find_map(|l| Some(l.ok()?.split_once("HOLDER ")?.1.to_string()))
        .expect("the holder never reported its namespaces");
    // libtest prints "test holder_child ... " before it, on the same line.
    let f: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let (ino_a, ino_b) = (f[0], f[1]);
    assert_ne!(ino_a, ino_b);
    // Held by the child's fds only: no thread is in them, nothing is bind-mounted.
    for ino in [ino_a, ino_b] {
        let refs = references_to(ino);
        assert!(
            !refs.is_empty(),
            "namespace {ino} not found before the kill"
        );
        assert!(
            refs.iter()
                .all(|r| r.starts_with(&format!("/proc/{pid}/fd/"))),
            "namespace {ino} held by something else than the child's fds: {refs:?}"
        );
    }

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::SIGKILL,
    )
    .unwrap();
    child.0.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(5);
    for ino in [ino_a, ino_b] {
        loop {
            let refs = references_to(ino);
            if refs.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "namespace {ino} still referenced after SIGKILL: {refs:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // No named namespace is either of them (other tests add named ones concurrently, so
    // compare inodes, not lists).
    for n in vethbench::link::netns::list().unwrap() {
        if let Ok(m) = std::fs::metadata(std::path::Path::new("/run/netns").join(&n)) {
            use std::os::unix::fs::MetadataExt;
            assert!(
                m.ino() != ino_a && m.ino() != ino_b,
                "{n} is the holder's namespace"
            );
        }
    }
    let links = ip_everything();
    assert!(!links.contains("vbhold"), "{links}");
}

// ---------------------------------------------------------------------------------------------
// The library's private pair, as the harness uses it.

#[test]
fn private_pair_pings_across_and_stays_out_of_the_host() {
    if !common::require_root!() {
        return;
    }
    use vethbench::link::{ping::Pinger, Cidr, PrivatePair, VethPairSpec};
    let mut spec = VethPairSpec::new("vbpp0", "vbpp1");
    spec.a.addr = Some(Cidr::parse("198.18.2.1/24").unwrap());
    spec.b.addr = Some(Cidr::parse("198.18.2.2/24").unwrap());
    spec.mtu = Some(4000);
    let pair = PrivatePair::across(&spec).unwrap();
    assert!(pair.a.admin_up && pair.b.admin_up);
    assert_eq!(pair.a.mtu, 4000);
    assert!(
        vethbench::link::iface::info("vbpp0").is_err(),
        "end a leaked into the caller"
    );
    let reply = pair
        .run_a(|| {
            let mut p = Pinger::new("198.18.2.2".parse().unwrap())?;
            p.ping(1, Duration::from_secs(2))
        })
        .unwrap();
    assert!(reply.is_some(), "no echo reply across the private pair");
    // IPv6 was disabled before up: no link-local address on either end.
    let v6 = pair
        .run_b(|| {
            Ok(
                std::fs::read_to_string("/proc/sys/net/ipv6/conf/vbpp1/disable_ipv6")
                    .unwrap_or_default(),
            )
        })
        .unwrap();
    assert_eq!(v6.trim(), "1");
    let peer = pair.run_a(|| {
        let ns = vethbench::link::Netns::current()?;
        vethbench::link::veth::peer("vbpp0", &ns)
    });
    let peer = peer.unwrap();
    assert_eq!(peer.peer_ifindex, Some(pair.b.ifindex));
    assert!(peer.peer_netnsid.is_some(), "{peer:?}");
}

// ---------------------------------------------------------------------------------------------
// Bad input: one line, exit 2, nothing half-made.

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
