//! `vethbench diff`: captures compared by field. The frames are Scapy's (fixtures/captures/
//! layers.pcap, 38 frames from Scapy 2.5's wrpcap) and the seed walkthrough's traffic as dumpcap
//! and tcpdump captured it; variants are written with pcap-file, a writer independent of ours.

mod common;

use std::process::Output;
use std::time::Duration;

use pcap_file::pcap::{PcapPacket, PcapWriter};

const LAYERS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/captures/layers.pcap");

fn layers() -> Vec<Vec<u8>> {
    common::frames_in(LAYERS)
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

/// Writes `frames` to a fresh pcap file (1 ms apart) and returns its path.
fn write(dir: &tempfile::TempDir, name: &str, frames: &[Vec<u8>]) -> String {
    let path = dir.path().join(name);
    let mut w = PcapWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_packet(
            &PcapPacket::new(
                Duration::from_millis(1_000_000 + i as u64),
                f.len() as u32,
                f,
            )
            .unwrap(),
        )
        .unwrap();
    }
    path.to_string_lossy().into_owned()
}

fn diff(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = common::vethbench().arg("diff").args(args).output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The index of the first plain IPv4 frame (Ethernet type 0x0800) of `frames`.
fn first_ipv4(frames: &[Vec<u8>]) -> usize {
    frames
        .iter()
        .position(|f| f.len() > 34 && f[12..14] == [0x08, 0x00])
        .unwrap()
}

#[test]
fn identical_files_and_the_same_traffic_from_two_tools_are_equal() {
    let (code, out, _) = diff(&[LAYERS, LAYERS]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "A: 38 frames, B: 38 frames: 38 equal, 0 changed, 0 missing, 0 extra, 0 reordered (identical)\n"
    );
    // dumpcap's pcapng and tcpdump's pcap of the same four frames: other format, other
    // timestamps resolution, same frames.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/captures/");
    let (code, out, _) = diff(&[
        &format!("{dir}dumpcap-vethY.pcapng"),
        &format!("{dir}tcpdump-vethY.pcap"),
        "--time-tolerance",
        "1us",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_changed_ttl_is_named_with_both_values_and_ignore_hides_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = layers();
    let mut b = a.clone();
    let k = first_ipv4(&a);
    let ttl = a[k][22];
    b[k][22] = ttl.wrapping_sub(1);
    let (pa, pb) = (write(&dir, "a.pcap", &a), write(&dir, "b.pcap", &b));
    let (code, out, err) = diff(&[&pa, &pb]);
    assert_eq!(code, 1, "{out}{err}");
    let want = format!(
        "frame {}: ip.ttl {} → {}\n",
        k + 1,
        ttl,
        ttl.wrapping_sub(1)
    );
    assert!(out.starts_with(&want), "want {want:?}, got:\n{out}");
    assert!(
        out.ends_with("37 equal, 1 changed, 0 missing, 0 extra, 0 reordered\n"),
        "{out}"
    );
    for ignore in ["ip.ttl", "ip"] {
        let (code, out, _) = diff(&[&pa, &pb, "--ignore", ignore]);
        assert_eq!(code, 0, "--ignore {ignore}: {out}");
    }
    // Something else changed too: --ignore hides only what it names.
    b[k][23] ^= 0xff; // the IP protocol
    let pb = write(&dir, "b2.pcap", &b);
    let (code, out, _) = diff(&[&pa, &pb, "--ignore", "ip.ttl"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("frame {}: ip.proto ", k + 1)),
        "{out}"
    );
}

#[test]
fn a_missing_frame_is_missing_and_the_rest_equal() {
    let dir = tempfile::tempdir().unwrap();
    let a = layers();
    let mut b = a.clone();
    b.remove(10);
    let (code, out, _) = diff(&[&write(&dir, "a.pcap", &a), &write(&dir, "b.pcap", &b)]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "frame 11: missing from B\nA: 38 frames, B: 37 frames: 37 equal, 0 changed, 1 missing, 0 extra, 0 reordered\n"
    );
}

#[test]
fn swapped_frames_are_reordered_and_json_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let a = layers();
    let mut b = a.clone();
    b.swap(5, 6);
    let (pa, pb) = (write(&dir, "a.pcap", &a), write(&dir, "b.pcap", &b));
    let (code, out, _) = diff(&[&pa, &pb, "--match", "flow", "--json"]);
    assert_eq!(code, 1, "{out}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["identical"], false);
    assert_eq!(j["reordered"], 1, "{j}");
    assert_eq!(
        (j["missing"].as_u64(), j["extra"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(j["equal"], 37);
    assert_eq!(j["differences"][0]["kind"], "reordered");
    let (code, out, _) = diff(&[&pa, &pb]);
    assert_eq!(code, 1);
    assert!(out.contains(": reordered (B frame "), "{out}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.pcap", &layers());
    let cut = dir.path().join("cut.pcap");
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let cut = cut.to_string_lossy().into_owned();
    for (args, needle) in [
        (vec![a.as_str(), "/nonexistent.pcap"], "/nonexistent.pcap"),
        (
            vec![a.as_str(), a.as_str(), "--ignore", "ip.tll"],
            "did you mean 'ip.ttl'",
        ),
        (vec![a.as_str(), cut.as_str()], "corrupt or truncated"),
        (vec![a.as_str(), a.as_str(), "--match", "fuzzy"], "fuzzy"),
        (
            vec![a.as_str(), a.as_str(), "--time-tolerance", "soon"],
            "soon",
        ),
        (vec!["-", "-"], "standard input"),
    ] {
        let (code, out, err) = diff(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("vethbench: ") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
}
