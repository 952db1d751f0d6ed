//! No leaks under SIGKILL, and the library's private pair as the harness uses it: it pings
//! across and stays out of the host namespace.

use super::*;

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
            .args([
                "--exact",
                "cleanup::holder_child",
                "--nocapture",
                "--test-threads=1",
            ])
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
    // libtest prints "test cleanup::holder_child ... " before it, on the same line.
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
