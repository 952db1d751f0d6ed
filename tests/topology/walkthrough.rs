//! The first walkthrough, with vethbench alone.

use super::*;

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
