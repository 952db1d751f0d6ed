//! IP reassembly in `vethbench read` against tshark 4.0's default reassembly (issue 23 item 1).
//!
//! The capture: `fixtures/captures/fragments.pcap`, written by Scapy from
//! `fixtures/captures/make_fragments.py` (IPv4 and IPv6 trains in order, reversed, shuffled,
//! overlapping with the same and with different bytes, one fragment missing, one id shared by
//! two protocols, a fragment seen again after its datagram was whole; UDP, TCP, ICMP and ICMPv6
//! inside). The test runs the script afresh and checks the kept copy is the same file.
//!
//! Compared with tshark on it: every `-T fields` column vethbench has (the fragment fields,
//! `ip.*`, `ipv6.*`, `udp.*`, `tcp.*`, `icmp.*`, `frame.*`, `data`...), the summary columns, the
//! reassembly lines of `-V`, the `-x` dump, the frames a set of `-Y` filters select; with
//! reassembly on (tshark's default), off (`-o ip.defragment:FALSE -o ipv6.defragment:FALSE`),
//! and with two passes (`-2`: `[Reassembled in #N]`, `ip.reassembled_in`). tshark runs with
//! raw sequence numbers and without the dissectors the other tests turn off (`TSHARK_OPTS`
//! less its defragment options).

mod common;

use common::tshark::{captures_dir, have, stdout, NO_DEFRAG, TSHARK_OPTS};

use std::path::{Path, PathBuf};
use std::process::Command;

use vethbench::frame::fields::FIELD_NAMES;

/// tshark's options of the other tests, reassembly left at its default.
fn tshark_opts() -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut it = TSHARK_OPTS.iter();
    while let Some(o) = it.next() {
        if *o == "-o" {
            let p = it.next().unwrap();
            if !p.contains("defragment") {
                v.extend(["-o", p]);
            }
        } else {
            v.push(o);
        }
    }
    v
}

fn kept() -> PathBuf {
    captures_dir().join("fragments.pcap")
}

fn tshark(file: &Path, extra: &[&str]) -> String {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(file).args(tshark_opts()).args(extra);
    stdout(c)
}

fn ours(file: &Path, extra: &[&str]) -> String {
    let mut c = common::vethbench();
    c.arg("read").arg(file).args(extra);
    stdout(c)
}

/// Every column, ours against tshark's, line by line: the differences, named.
fn field_diffs(file: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["-T", "fields"]);
    for f in FIELD_NAMES {
        args.extend(["-e", f]);
    }
    let (a, b) = (ours(file, &args), tshark(file, &args));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut diffs = Vec::new();
    if a.len() != b.len() {
        diffs.push(format!("{} lines, tshark {}", a.len(), b.len()));
    }
    for (n, (la, lb)) in a.iter().zip(&b).enumerate() {
        for ((f, va), vb) in FIELD_NAMES.iter().zip(la.split('\t')).zip(lb.split('\t')) {
            if va != vb {
                diffs.push(format!("frame {}: {f}: ours {va:?}, tshark {vb:?}", n + 1));
            }
        }
    }
    diffs
}

macro_rules! need_tshark {
    () => {
        if !have("tshark") {
            common::skip!("tshark is not installed");
            return;
        }
    };
}

#[test]
fn the_kept_capture_is_what_the_script_writes() {
    if !have("unshare")
        || Command::new("/usr/bin/python3")
            .arg("-c")
            .arg("import scapy")
            .output()
            .map_or(true, |o| !o.status.success())
    {
        common::skip!("unshare or Scapy is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fragments.pcap");
    let st = Command::new("unshare")
        .args(["-n", "/usr/bin/python3"])
        .arg(captures_dir().join("make_fragments.py"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(kept()).unwrap(),
        "fixtures/captures/fragments.pcap is stale: rerun make_fragments.py"
    );
}

#[test]
fn fields_like_tshark_reassembling() {
    need_tshark!();
    let d = field_diffs(&kept(), &[]);
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
    // The test can fail: the completing frame has the datagram's ports, the others none.
    let ports = ours(&kept(), &["-T", "fields", "-e", "udp.srcport", "-c", "3"]);
    assert_eq!(ports, "\n\n40001\n");
}

#[test]
fn fields_like_tshark_not_reassembling() {
    need_tshark!();
    let mut c = Command::new("tshark");
    c.arg("-r").arg(kept()).args(TSHARK_OPTS).args([
        "-T",
        "fields",
        "-e",
        "udp.srcport",
        "-c",
        "1",
    ]);
    assert_eq!(stdout(c), "40001\n");
    let d = field_diffs(&kept(), &NO_DEFRAG);
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
    // One of the two only.
    let d = field_diffs(&kept(), &["-o", "ip.defragment:FALSE"]);
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
    let d = field_diffs(&kept(), &["-o", "ipv6.defragment:false"]);
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
}

#[test]
fn fields_like_tshark_two_passes() {
    need_tshark!();
    let d = field_diffs(&kept(), &["-2"]);
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
    let r = ours(
        &kept(),
        &["-2", "-T", "fields", "-e", "ip.reassembled_in", "-c", "3"],
    );
    assert_eq!(r, "3\n3\n\n");
}

/// The summary columns after the time, spaces collapsed.
fn columns(line: &str) -> String {
    line.split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn summary_diffs(extra: &[&str]) -> Vec<String> {
    let (a, b) = (ours(&kept(), extra), tshark(&kept(), extra));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut diffs = Vec::new();
    if a.len() != b.len() {
        diffs.push(format!("{} lines, tshark {}", a.len(), b.len()));
    }
    for (n, (la, lb)) in a.iter().zip(&b).enumerate() {
        // tshark's -2 matches echo requests with replies (there are none).
        let lb = lb.replace(" (no response found!)", "");
        let (ca, cb) = (columns(la), columns(&lb));
        if ca != cb {
            diffs.push(format!("frame {}:\n  ours   {ca}\n  tshark {cb}", n + 1));
        }
    }
    diffs
}

#[test]
fn summaries_like_tshark() {
    need_tshark!();
    for extra in [&[][..], &["-2"], &NO_DEFRAG] {
        let d = summary_diffs(extra);
        assert!(d.is_empty(), "{extra:?}:\n{}", d.join("\n"));
    }
    let s = ours(&kept(), &["-2", "-c", "3"]);
    assert!(
        s.lines()
            .next()
            .unwrap()
            .ends_with("ID=0101) [Reassembled in #3]"),
        "{s}"
    );
    assert!(
        s.lines()
            .nth(2)
            .unwrap()
            .contains("UDP 46 40001 → 40002 Len=100"),
        "{s}"
    );
}

/// A reassembly line of tshark's `-V`: its fragment list and `[Reassembled IPv4 in frame: N]`.
fn is_reassembly_line(l: &str) -> bool {
    let t = l.trim_start();
    t.starts_with("[Frame: ")
        || t.starts_with("[Fragment count: ")
        || t.starts_with("[Reassembled IPv")
        || t.starts_with("[Fragment overlap: ")
        || t.starts_with("[Conflicting data in fragment overlap: ")
        || t.starts_with("[Multiple tail fragments found: ")
        || t.starts_with("[Fragment too long: ")
        || (t.starts_with('[') && t.contains(" Fragments (") && t.contains(" bytes): #"))
}

/// The reassembly lines of a `-V` dump, per frame (`starts`: the first line of a frame).
fn reassembly_lines(v: &str, starts: impl Fn(&str) -> bool) -> Vec<Vec<String>> {
    let mut frames: Vec<Vec<String>> = Vec::new();
    for l in v.lines() {
        if starts(l) {
            frames.push(Vec::new());
        } else if is_reassembly_line(l) {
            if let Some(f) = frames.last_mut() {
                f.push(l.to_string());
            }
        }
    }
    frames
}

#[test]
fn verbose_reassembly_lines_like_tshark() {
    need_tshark!();
    for extra in [&["-V"][..], &["-V", "-2"]] {
        let (a, b) = (ours(&kept(), extra), tshark(&kept(), extra));
        // Our -V starts each frame with its summary line (`    N  0.125000000 ...`).
        let oa = reassembly_lines(&a, |l| {
            l.starts_with(' ')
                && l.split_whitespace()
                    .next()
                    .is_some_and(|w| w.parse::<u64>().is_ok())
        });
        let ob = reassembly_lines(&b, |l| l.starts_with("Frame "));
        assert_eq!(oa.len(), ob.len(), "{extra:?}");
        let mut any = 0;
        for (n, (x, y)) in oa.iter().zip(&ob).enumerate() {
            assert_eq!(x, y, "{extra:?} frame {}", n + 1);
            any += x.len();
        }
        assert!(any > 50, "{extra:?}: only {any} reassembly lines");
    }
}

#[test]
fn hex_dump_like_tshark() {
    need_tshark!();
    for extra in [
        &["-x"][..],
        &[
            "-x",
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "ipv6.defragment:FALSE",
        ],
    ] {
        assert_eq!(ours(&kept(), extra), tshark(&kept(), extra), "{extra:?}");
    }
}

#[test]
fn display_filters_like_tshark() {
    need_tshark!();
    let filters = [
        "udp.port == 40001",
        "udp.port == 40029",
        "udp",
        "tcp",
        "icmp",
        "icmpv6",
        "ip.flags.mf == 1",
        "ip.frag_offset > 0",
        "ip.fragment == 1",
        "ip.fragment.count == 4",
        "ip.fragment.overlap",
        "ip.fragment.overlap.conflict",
        "ip.fragment.error",
        "ip.reassembled.length > 100",
        "ipv6.fragment",
        "ipv6.fragment.overlap.conflict",
        "ipv6.fraghdr.more == 0",
        "ipv6.fraghdr.ident == 0x1003",
        "data && ip",
        "frame.cap_len == 46",
        "frame contains 59:5a:5b:5c",
        "udp.length == 108",
        "tcp.srcport == 40005 && ip.fragment == 9",
    ];
    for f in filters {
        for extra in [&[][..], &NO_DEFRAG] {
            let mut args: Vec<&str> = extra.to_vec();
            args.extend(["-Y", f, "-T", "fields", "-e", "frame.number"]);
            assert_eq!(
                ours(&kept(), &args),
                tshark(&kept(), &args),
                "-Y '{f}' {extra:?}"
            );
        }
    }
    // udp.port == X matches only the frame that completes the datagram.
    assert_eq!(
        ours(
            &kept(),
            &[
                "-Y",
                "udp.port == 40001",
                "-T",
                "fields",
                "-e",
                "frame.number"
            ]
        ),
        "3\n"
    );
}

#[test]
fn json_fields_like_tshark() {
    need_tshark!();
    let mut args = vec!["-T", "json"];
    for f in [
        "frame.number",
        "ip.fragment",
        "ip.fragment.count",
        "ip.reassembled.length",
        "ipv6.fragment",
        "udp.srcport",
        "tcp.srcport",
        "icmp.type",
    ] {
        args.extend(["-e", f]);
    }
    assert_eq!(ours(&kept(), &args), tshark(&kept(), &args));
}

#[test]
fn bad_preferences_are_one_line() {
    for (o, needle) in [
        ("ip.defragment", "NAME:VALUE"),
        ("ip.defragment:maybe", "TRUE or FALSE"),
        ("tcp.no_such:TRUE", "not a preference"),
    ] {
        let out = common::vethbench()
            .arg("read")
            .arg(kept())
            .args(["-o", o])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{o}: {err}");
        assert_eq!(err.lines().count(), 1, "{o}: {err}");
        assert!(err.contains(needle), "{o}: {err}");
    }
}
