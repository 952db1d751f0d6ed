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

/// Frames arriving on `iface` until 300 ms pass without one.
fn drain(rx: &mut vethbench::sock::recvmsg::RecvSocket) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(f) = rx.recv(std::time::Duration::from_millis(300)).unwrap() {
        out.push(f.data().to_vec());
    }
    out
}

fn rx_on(iface: &str) -> vethbench::sock::recvmsg::RecvSocket {
    vethbench::sock::recvmsg::RecvSocket::open(
        iface,
        &vethbench::sock::recvmsg::RecvConfig {
            rcvbuf: 64 << 20,
            ..Default::default()
        },
    )
    .unwrap()
}

/// `send 'EXPR' --threads 2` (issue 22): an expression goes through the same pipeline as the
/// field flags, so the count is split between two threads (it used to run on one, silently),
/// and `--vary seq` varies the expression's TCP sequence number from its own value.
#[test]
fn an_expression_splits_its_count_between_threads_and_varies() {
    if !common::require_root!() {
        return;
    }
    const EXPR: &str = r#"Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="198.18.0.1", dst="198.18.0.2", options=[IPOption_NOP()]*4)/TCP(seq=1000, options=[("MSS", 1460)])/"x""#;
    let (out, frames) = common::in_private_netns(|| {
        common::veth_pair("vsx0", "vsx1");
        let mut rx = rx_on("vsx1");
        let out = common::vethbench()
            .args(["send", "-i", "vsx0", "-q", EXPR])
            .args(["--count", "3001", "--vary", "seq", "--threads", "2"])
            .output()
            .unwrap();
        (out, drain(&mut rx))
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Sent 3001 packets."), "{text}");
    assert!(text.contains("thread 0: 1501 packets"), "{text}");
    assert!(text.contains("thread 1: 1500 packets"), "{text}");
    assert_eq!(frames.len(), 3001, "frames counted on the peer");
    // IP header with 4 bytes of options: TCP at 14 + 24, its sequence number 4 bytes in.
    let mut seqs: Vec<u32> = frames
        .iter()
        .map(|d| u32::from_be_bytes([d[42], d[43], d[44], d[45]]))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1000..1000 + 3001).collect::<Vec<u32>>());
    // Every copy's checksums hold: rebuild copy k with seq=1000+k and compare.
    for d in frames.iter().take(50) {
        let seq = u32::from_be_bytes([d[42], d[43], d[44], d[45]]);
        let want = vethbench::frame::expr::parse(&EXPR.replace("seq=1000", &format!("seq={seq}")))
            .unwrap()
            .build()
            .unwrap()
            .remove(0);
        assert_eq!(d, &want, "copy with seq {seq}");
    }
}

/// `--count` of a fragmented datagram with `--threads 2` and `--vary ip-id`: each copy is its
/// fragments in order, all with the copy's IP id; copies are split, never fragments.
#[test]
fn fragments_are_copied_whole_across_threads() {
    if !common::require_root!() {
        return;
    }
    let expr = r#"fragment(Ether(dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2", id=50)/UDP()/("x"*100), fragsize=48)"#;
    let (out, frames) = common::in_private_netns(|| {
        common::veth_pair("vsf0", "vsf1");
        let mut rx = rx_on("vsf1");
        let out = common::vethbench()
            .args(["send", "-i", "vsf0", "-q", expr])
            .args(["--count", "7", "--vary", "ip-id", "--threads", "2"])
            .output()
            .unwrap();
        (out, drain(&mut rx))
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 108 bytes of UDP in 48-byte loads: 3 fragments per copy.
    assert_eq!(frames.len(), 21, "{}", String::from_utf8_lossy(&out.stdout));
    let mut per_id = std::collections::BTreeMap::<u16, Vec<u16>>::new();
    for d in &frames {
        let id = u16::from_be_bytes([d[18], d[19]]);
        let off = u16::from_be_bytes([d[20], d[21]]) & 0x1fff;
        per_id.entry(id).or_default().push(off);
    }
    assert_eq!(
        per_id.keys().copied().collect::<Vec<_>>(),
        (50..57).collect::<Vec<_>>()
    );
    for offs in per_id.values() {
        assert_eq!(offs, &[0, 6, 12], "fragments of one copy in order");
    }
}
