//! `vethbench read` on golden captures written by dumpcap and tcpdump (`fixtures/captures/`):
//! no root, no network. Compared with what tshark printed for the same files.

mod common;

// The fields of `FILE.fields.txt`, one a line (fixtures/captures/README.md); every field
// vethbench supports is checked against tshark in tests/read_tshark.rs.
const FIELDS: &str = include_str!("../fixtures/captures/fields.list");

fn fixture(name: &str) -> String {
    format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read_fields(file: &str, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = common::vethbench();
    cmd.args(["read", file]).args(extra).args(["-T", "fields"]);
    for f in FIELDS.lines() {
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

/// Issue 13, item 9: a frame stamped before the first one (a file merged from two interfaces)
/// gets a negative relative time, the same one tshark prints.
#[test]
fn a_frame_before_the_first_has_a_negative_time_like_tshark() {
    use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.pcapng");
    let path = path.to_str().unwrap();
    let idb = |name: &str| IfaceDesc {
        name: name.into(),
        snaplen: 65535,
        filter: None,
    };
    let frame = common::golden_frame("udp");
    let mut w = CaptureWriter::create(path, Format::Pcapng, &[idb("vA"), idb("vB")]).unwrap();
    let t0 = 1_700_000_000_000_000_000u64;
    for (iface, ts) in [(0, t0), (1, t0 - 8_545), (0, t0 + 2_000_000_001)] {
        let len = frame.len() as u32;
        w.write_frame(iface, ts, &frame, len, EpbFlags::default(), false)
            .unwrap();
    }
    w.finish(&[]).unwrap();
    let out = common::vethbench().args(["read", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let ours: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    assert_eq!(ours, ["0.000000000", "-0.000008545", "2.000000001"]);
    let tshark = common::run_ok(
        "tshark",
        &["-r", path, "-T", "fields", "-e", "frame.time_relative"],
    );
    let theirs: Vec<&str> = tshark.lines().collect();
    assert_eq!(ours, theirs, "tshark's frame.time_relative");
}

/// Issue 13, items 1, 2 and 16: output that cannot be written is an error naming stdout
/// (exit 2, one line, no panic); `-c 0` is refused as tcpdump refuses it.
#[test]
fn a_full_disk_on_stdout_and_a_zero_count_are_errors() {
    let file = fixture("dumpcap-vethY.pcapng");
    let full = || {
        std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    for args in [
        vec!["read", file.as_str()],
        vec!["read", file.as_str(), "-V"],
        vec!["send", "--dry-run", "-i", "lo"],
        vec!["netns", "list", "--all"],
        vec!["veth", "list", "--json"],
    ] {
        let out = common::vethbench()
            .args(&args)
            .stdout(full())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("vethbench: error: writing to stdout: No space left"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    for args in [
        vec!["read", file.as_str(), "-c", "0"],
        vec!["capture", "lo", "-c", "0"],
    ] {
        let out = common::vethbench().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("-c 0 would"), "{args:?}: {err}");
    }
    // Two rings on one interface would record every frame twice (item 15).
    let out = common::vethbench()
        .args(["capture", "vethY", "vethY", "-c", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("'vethY' is named twice"), "{err}");
}

/// A misspelt `-e` name gets the closest of tshark's names, in one short line (the whole list
/// used to be a 2,000-character line).
#[test]
fn a_misspelt_field_gets_the_closest_names() {
    let file = fixture("dumpcap-vethY.pcapng");
    let out = common::vethbench()
        .args(["read", &file, "-T", "fields", "-e", "ip.scr"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("did you mean 'ip.src'"), "{err}");
    assert!(err.len() < 300, "{err}");
}

/// Issue 21, fault 10: an EPB timestamp of 2^64-1 µs (the default resolution) is
/// 18446744073709.551615 s, beyond u64 nanoseconds; vethbench printed it saturated
/// (18446744073.709551615). The file is written by hand (our writer stamps in ns).
#[test]
fn timestamps_near_the_end_of_time_print_as_tshark_prints_them() {
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(len as usize - 4, 0);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }
    let frame = common::golden_frame("udp");
    let mut file = block(
        0x0a0d0d0a,
        &[
            0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    // IDB: Ethernet, snaplen 0, no options (microseconds).
    file.extend(block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
    let mut epb = vec![0u8; 4];
    epb.extend_from_slice(&[0xff; 8]);
    epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    epb.extend_from_slice(&frame);
    file.extend(block(6, &epb));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.pcapng");
    std::fs::write(&path, &file).unwrap();
    let path = path.to_str().unwrap();
    let args = ["-T", "fields", "-e", "frame.time_epoch"];
    let out = common::vethbench()
        .arg("read")
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let ours = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
    assert_eq!(ours, "18446744073709.551615000");
    let mut targs = vec!["-r", path];
    targs.extend(args);
    let theirs = common::run_ok("tshark", &targs);
    assert_eq!(ours, theirs.trim_end(), "tshark's frame.time_epoch");
}
