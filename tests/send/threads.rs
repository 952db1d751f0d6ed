//! `send --threads N` (issue 14): each thread its own socket, the count split, copies distinct
//! across threads, a rate per thread reported.

use super::common;

#[test]
fn threads_split_the_count_and_each_reports_its_rate() {
    if !common::require_root!() {
        return;
    }
    let (out, ids) = common::in_private_netns(|| {
        common::veth_pair("vst0", "vst1");
        let rx = vethbench::sock::recvmsg::RecvSocket::open(
            "vst1",
            &vethbench::sock::recvmsg::RecvConfig {
                rcvbuf: 64 << 20,
                ..Default::default()
            },
        )
        .unwrap();
        let out = common::vethbench()
            .args([
                "send",
                "-i",
                "vst0",
                "-q",
                "--udp",
                "--dst-mac",
                "02:00:00:00:00:02",
            ])
            .args(["--count", "10001", "--vary", "ip-id", "--threads", "2"])
            .output()
            .unwrap();
        let mut rx = rx;
        let mut ids = Vec::new();
        while let Some(f) = rx.recv(std::time::Duration::from_millis(300)).unwrap() {
            let d = f.data();
            ids.push(u16::from_be_bytes([d[18], d[19]]));
        }
        (out, ids)
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Sent 10001 packets."), "{text}");
    assert!(text.contains("thread 0: 5001 packets"), "{text}");
    assert!(text.contains("thread 1: 5000 packets"), "{text}");
    assert_eq!(ids.len(), 10001);
    // Copy i has ip-id 1 + i: every copy once, across both threads.
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 10001, "copies are distinct across threads");
}

#[test]
fn threads_are_refused_with_cpu_and_out_of_range() {
    for args in [
        vec!["send", "--dry-run", "--threads", "0"],
        vec!["send", "--dry-run", "--threads", "65"],
        vec!["send", "--dry-run", "--threads", "2", "--cpu", "0"],
    ] {
        let out = common::vethbench().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    }
}
