//! `vethbench test --tx/--rx` on an existing pair, with `-w` a pcapng.

/// `--tx/--rx` on a pair the test made, `-w` a pcapng that capinfos counts, with each
/// frame's direction and reception type as `capture` writes them (tshark reads them).
#[test]
fn existing_pair_and_pcapng() {
    if !super::common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.pcapng");
    let p = path.to_string_lossy().into_owned();
    let out = super::common::in_private_netns(move || {
        super::common::veth_pair("vx0", "vx1");
        super::common::vethbench()
            .args([
                "test", "--tx", "vx0", "--rx", "vx1", "--count", "3000", "-w", &p,
            ])
            .output()
            .unwrap()
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("vx0 -> vx1") && text.contains("PASSED"),
        "{text}"
    );
    let caps = super::common::run_ok("capinfos", &["-c", "-M", &path.to_string_lossy()]);
    assert!(caps.contains("3000"), "{caps}");
    // The stream is addressed to 02:00:00:00:00:02, not to vx1's own (random) MAC: inbound,
    // reception type 4 ("promiscuous"), as the kernel's PACKET_OTHERHOST says.
    let flags = super::common::run_ok(
        "tshark",
        &[
            "-r",
            &path.to_string_lossy(),
            "-T",
            "fields",
            "-e",
            "frame.packet_flags_direction",
            "-e",
            "frame.packet_flags_reception_type",
        ],
    );
    let mut kinds: Vec<&str> = flags.lines().collect();
    kinds.dedup();
    assert_eq!(kinds, ["0x00000001\t4"], "{flags}");
}
