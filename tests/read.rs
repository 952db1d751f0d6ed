//! `vethbench read` on golden captures written by dumpcap and tcpdump (`fixtures/captures/`):
//! no root, no network. Compared with what tshark printed for the same files.

mod common;

// Every field vethbench supports, each checked against tshark's output below.
use vethbench::frame::fields::FIELD_NAMES as FIELDS;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read_fields(file: &str, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = common::vethbench();
    cmd.args(["read", file]).args(extra).args(["-T", "fields"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn dumpcap_and_tcpdump_files_read_like_tshark() {
    for name in ["dumpcap-vethY.pcapng", "tcpdump-vethY.pcap"] {
        let file = fixture(name);
        let want = std::fs::read_to_string(fixture(&format!("{name}.fields.txt"))).unwrap();
        let (code, got, err) = read_fields(&file, &[]);
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn count_limits_and_verbose_prints_every_frame() {
    let file = fixture("dumpcap-vethY.pcapng");
    let (code, got, _) = read_fields(&file, &["-c", "2"]);
    assert_eq!(code, 0);
    assert_eq!(got.lines().count(), 2);
    let out = common::vethbench()
        .args(["read", &file, "-V"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for n in 1..=4 {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{n} "))),
            "frame {n} missing:\n{text}"
        );
    }
}

#[test]
fn truncated_and_corrupt_files_print_good_frames_then_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["dumpcap-vethY.pcapng", "tcpdump-vethY.pcap"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let want = std::fs::read_to_string(fixture(&format!("{name}.fields.txt"))).unwrap();
        let first3: String = want.lines().take(3).map(|l| format!("{l}\n")).collect();
        // Cut inside the last frame (the ICMP frame is 46 bytes; pcapng also loses its ISB).
        let cut_at = if name.ends_with(".pcapng") {
            // Find the last EPB (type 6) by walking the blocks.
            let mut off = 0usize;
            let mut last_epb = 0;
            while off + 8 <= bytes.len() {
                let ty = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap());
                let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
                if ty == 6 {
                    last_epb = off;
                }
                off += len;
            }
            last_epb + 30
        } else {
            bytes.len() - 10
        };
        let cut = dir.path().join(format!("cut-{name}"));
        std::fs::write(&cut, &bytes[..cut_at]).unwrap();
        let (code, got, err) = read_fields(cut.to_str().unwrap(), &[]);
        assert_eq!(got, first3, "{name}: the good frames first");
        assert_eq!(code, 2, "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let last_start = if name.ends_with(".pcapng") {
            cut_at - 30
        } else {
            // pcap: the last record starts 16 + 46 bytes before the end.
            bytes.len() - 16 - 46
        };
        assert!(
            err.contains(&format!("at byte {last_start}")),
            "{name}: offset {last_start} not named: {err}"
        );

        // A corrupt block length in the middle.
        let mut bad = bytes.clone();
        if name.ends_with(".pcapng") {
            let mut off = 0usize;
            let mut epbs = 0;
            loop {
                let ty = u32::from_le_bytes(bad[off..off + 4].try_into().unwrap());
                let len = u32::from_le_bytes(bad[off + 4..off + 8].try_into().unwrap()) as usize;
                if ty == 6 {
                    epbs += 1;
                    if epbs == 2 {
                        bad[off + 4..off + 8].copy_from_slice(&7u32.to_le_bytes());
                        let path = dir.path().join("bad.pcapng");
                        std::fs::write(&path, &bad).unwrap();
                        let (code, got, err) = read_fields(path.to_str().unwrap(), &[]);
                        assert_eq!(code, 2);
                        assert_eq!(got.lines().count(), 1);
                        assert!(err.contains(&format!("at byte {off}")), "{err}");
                        break;
                    }
                }
                off += len;
            }
        }
    }
}
