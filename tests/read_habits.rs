//! `vethbench read`'s printing flags people type by habit (issue 13), against the tools they
//! come from, on the same files: tshark's `-T json` (the `-e` form byte for byte; the full
//! form for the layers and fields the packet view knows), tcpdump's `-e` (`--link-header`),
//! tcpdump's `-X`, `-v` as `-V`; and the one-line errors of the combinations that mean nothing.
//!
//! The files: `fixtures/captures/layers.pcap` (written by Scapy from
//! `fixtures/captures/make_layers.py`, every layer the view decodes), the same written afresh
//! by Scapy inside `unshare -n`, and the dumpcap capture of `fixtures/captures`.

mod common;

use common::tshark::{captures_dir, have, scapy_layers, stdout, NO_DEFRAG, TSHARK_OPTS};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn ours(file: &Path, args: &[&str]) -> String {
    let mut c = common::vethbench();
    c.arg("read").args(NO_DEFRAG).arg(file).args(args);
    stdout(c)
}

/// tshark's output; its stderr (a warning when run as root) is ignored.
fn tshark(file: &Path, args: &[&str]) -> String {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(file).args(TSHARK_OPTS).args(args);
    stdout(c)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    vec![
        captures_dir().join("layers.pcap"),
        captures_dir().join("tunnels.pcap"),
        captures_dir().join("dumpcap-vethY.pcapng"),
        scapy_layers(dir),
    ]
}

/// The lines of each object of a pretty-printed `-T json` array.
fn json_frames(text: &str) -> Vec<Vec<&str>> {
    let mut frames: Vec<Vec<&str>> = Vec::new();
    for l in text.lines() {
        if l == "  {" {
            frames.push(Vec::new());
        } else if let Some(f) = frames.last_mut() {
            f.push(l);
        }
    }
    frames
}

/// `"name": "value"` members of a frame, counted (indent and commas dropped).
fn members<'a>(frame: &[&'a str]) -> HashMap<&'a str, usize> {
    let mut m = HashMap::new();
    for l in frame {
        let t = l.trim().trim_end_matches(',');
        if t.starts_with('"') && t.ends_with('"') && t.contains("\": \"") {
            *m.entry(t).or_insert(0) += 1;
        }
    }
    m
}

/// The layer objects of a frame (keys of `layers`, at 8 spaces).
fn layer_names<'a>(frame: &[&'a str]) -> Vec<&'a str> {
    frame
        .iter()
        .filter(|l| l.starts_with("        \"") && !l.starts_with("         ") && l.ends_with('{'))
        .map(|l| l.trim().split('"').nth(1).unwrap_or(""))
        .collect()
}

#[test]
fn json_fields_form_is_tsharks() {
    if !have("tshark") {
        common::skip!("tshark is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let e = [
        "-T",
        "json",
        "-e",
        "frame.number",
        "-e",
        "eth",
        "-e",
        "eth.src",
        "-e",
        "vlan.id",
        "-e",
        "ip.src",
        "-e",
        "ip.dst",
        "-e",
        "ipv6.src",
        "-e",
        "tcp.flags",
        "-e",
        "tcp.options",
        "-e",
        "udp.dstport",
        "-e",
        "icmp.type",
        "-e",
        "frame.len",
        "-e",
        "data",
    ];
    for f in files(dir.path()) {
        assert_eq!(ours(&f, &e), tshark(&f, &e), "{}", f.display());
    }
    // No frame at all: `[]`, as tshark.
    let empty = dir.path().join("empty.pcap");
    let mut b = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    b.extend_from_slice(&[
        2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ]);
    std::fs::write(&empty, b).unwrap();
    assert_eq!(
        ours(&empty, &["-T", "json"]),
        tshark(&empty, &["-T", "json"])
    );
}

#[test]
fn json_full_form_matches_tshark_where_it_knows() {
    if !have("tshark") {
        common::skip!("tshark is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut diffs = Vec::new();
    for f in files(dir.path()) {
        let (a, b) = (ours(&f, &["-T", "json"]), tshark(&f, &["-T", "json"]));
        let v: serde_json::Value = serde_json::from_str(&a).expect("our -T json is JSON");
        let (fa, fb) = (json_frames(&a), json_frames(&b));
        assert_eq!(v.as_array().map(Vec::len), Some(fa.len()));
        assert_eq!(fa.len(), fb.len(), "{}: frame count", f.display());
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (n, (x, y)) in fa.iter().zip(&fb).enumerate() {
            // The head: _index, _type, _score, as tshark's.
            assert_eq!(x[..4], y[..4], "{name} frame {}", n + 1);
            // Every field we print, tshark prints (as many times, same value).
            let (mx, my) = (members(x), members(y));
            for (k, c) in &mx {
                if my.get(k).copied().unwrap_or(0) < *c {
                    diffs.push(format!("{name} frame {}: {k} not in tshark's", n + 1));
                }
            }
            // Every layer object, in tshark's order; tshark may have more (stp, cdp...).
            let (lx, ly) = (layer_names(x), layer_names(y));
            let mut it = ly.iter();
            if !lx.iter().all(|l| it.any(|m| m == l)) {
                diffs.push(format!(
                    "{name} frame {}: layers {lx:?}, tshark {ly:?}",
                    n + 1
                ));
            }
            // The core fields are there (not only a subset by being empty).
            if y.iter().any(|l| l.contains("\"ip.src\": ")) {
                assert!(
                    x.iter().any(|l| l.contains("\"ip.src\": ")),
                    "{name} {}",
                    n + 1
                );
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn link_header_is_tcpdumps_e() {
    if !have("tcpdump") {
        common::skip!("tcpdump is not installed");
        return;
    }
    let f = captures_dir().join("layers.pcap");
    let a = ours(&f, &["--link-header"]);
    let mut c = Command::new("tcpdump");
    c.args(["-e", "-n", "-r"]).arg(&f);
    let b = stdout(c);
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), b.len());
    let head = |l: &str, after_time: usize| -> String {
        let s = &l[after_time..];
        let end = s.find(": ").expect("link header ends with ': '");
        s[..end + 2].to_string()
    };
    for (la, lb) in a.iter().zip(&b) {
        // Ours: after `SECS.NNNNNNNNN `; tcpdump's: after `HH:MM:SS.ffffff `.
        let at = la.find('.').unwrap() + 11;
        let bt = lb.find(' ').unwrap() + 1;
        assert_eq!(head(la, at), head(lb, bt), "\n{la}\n{lb}");
    }
}

#[test]
fn tcpdump_and_tshark_aliases() {
    let f = captures_dir().join("layers.pcap");
    // -v is -V here; -X is -x -P (tcpdump's -X prints the line, then the dump).
    assert_eq!(ours(&f, &["-v", "-c", "3"]), ours(&f, &["-V", "-c", "3"]));
    assert_eq!(
        ours(&f, &["-X", "-c", "3"]),
        ours(&f, &["-x", "-P", "-c", "3"])
    );
    let x = ours(&f, &["-X", "-c", "1"]);
    assert!(x.lines().next().unwrap().contains("TCP 59"), "{x}");
    assert!(x.lines().nth(1).unwrap().starts_with("0000  02 00"), "{x}");
    // -E on -T fields, through the shared printer.
    let e = ours(
        &f,
        &[
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-E",
            "separator=/s",
            "-e",
            "udp.dstport",
            "-c",
            "2",
        ],
    );
    assert_eq!(e, "198.18.0.1 \n198.18.0.1 42222\n");
}

#[test]
fn meaningless_combinations_are_one_line_errors() {
    let f = captures_dir().join("layers.pcap");
    let f = f.to_str().unwrap();
    for (args, needle) in [
        (vec!["read", f, "-e", "ip.src"], "--link-header"),
        (vec!["read", f, "-E", "header=y"], "-E needs -T fields"),
        (
            vec!["read", f, "-T", "json", "-E", "quote=d"],
            "-E needs -T fields",
        ),
        (vec!["read", f, "-T", "json", "-V"], "not with -T"),
        (
            vec!["read", f, "-T", "fields", "-e", "ip.src", "--link-header"],
            "not with -T",
        ),
        (vec!["read", f, "-T", "fields"], "at least one -e FIELD"),
        (vec!["read", f, "-T", "json", "-e", "ip.nope"], "ip.nope"),
        (
            vec!["read", f, "-T", "fields", "-e", "ip.src", "-E", "quote=x"],
            "quote=d|s|n",
        ),
    ] {
        let out = common::vethbench().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // A full disk: one line, exit 2 (-T json too).
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = common::vethbench()
        .args(["read", f, "-T", "json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdout"));
}

/// iproute2's `-j` is `--json` wherever vethbench has `--json`: `netns list` (`ip -j netns
/// list`'s `[{"name": ...}]`, with --all every column), `veth list`, `test`, `run`, `replay`.
#[test]
fn j_is_json_where_ip_has_it() {
    for args in [
        vec!["netns", "list", "-j"],
        vec!["netns", "list", "--all", "-j"],
    ] {
        let out = common::vethbench().args(&args).output().unwrap();
        if !out.status.success() {
            // --all reads every process's namespace: root only.
            assert!(
                !common::require_root!(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let a = v.as_array().expect("an array");
        if args.len() == 3 {
            assert!(a.iter().all(|o| o["name"].is_string()), "{v}");
        }
    }
    for sub in ["test", "run", "replay", "veth list"] {
        let mut c = common::vethbench();
        c.args(sub.split(' ')).arg("--help");
        let help = stdout(c);
        assert!(help.contains("-j, --json"), "{sub}: {help}");
    }
}
