//! Files: two interfaces, nanosecond and microsecond timestamps in either byte order, Linux
//! cooked and raw-IP link types, stdin, truncation; and the bad-input rules of `send`.

use super::*;

fn frames(n: u32) -> Vec<(u64, Vec<u8>)> {
    (0..n)
        .map(|i| (1_000_000_000 + i as u64 * 1_003, udp(i, None)))
        .collect()
}

/// Replay `path` at top speed with `extra` flags on a fresh pair; (report, frames received).
fn topspeed(path: String, extra: &'static [&'static str]) -> (serde_json::Value, Vec<Vec<u8>>) {
    common::in_private_netns(move || {
        let a = common::unique_name("vrfa");
        let b = common::unique_name("vrfb");
        pair(&a, &b);
        let mut rx = receiver(&b);
        let mut args = vec!["-i", &a, "--topspeed", &path];
        args.extend_from_slice(extra);
        let r = replay_json(&args);
        (r, drain(&mut rx).into_iter().map(|f| f.1).collect())
    })
}

#[test]
fn two_interfaces_and_every_timestamp_format_replay_fully() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let file = frames(40);
    let want: Vec<Vec<u8>> = file.iter().map(|f| f.1.clone()).collect();
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_string_lossy().into_owned();
    write_capture(&p("two.pcapng"), Format::Pcapng, true, &file);
    write_capture(&p("ns.pcap"), Format::Pcap, false, &file);
    write_pcap_raw(&p("be-us.pcap"), 1, true, false, &file);
    write_pcap_raw(&p("be-ns.pcap"), 1, true, true, &file);
    write_pcap_raw(&p("le-us.pcap"), 1, false, false, &file);
    for name in [
        "two.pcapng",
        "ns.pcap",
        "be-us.pcap",
        "be-ns.pcap",
        "le-us.pcap",
    ] {
        // File timing: 1 µs gaps (also checks the timestamps were read as such: a 1000-fold
        // error would take seconds or ns).
        let path = p(name);
        let (r, got) = common::in_private_netns(move || {
            let a = common::unique_name("vrfa");
            let b = common::unique_name("vrfb");
            pair(&a, &b);
            let mut rx = receiver(&b);
            let r = replay_json(&["-i", &a, &path]);
            (
                r,
                drain(&mut rx).into_iter().map(|f| f.1).collect::<Vec<_>>(),
            )
        });
        assert_eq!(got, want, "{name}");
        assert_eq!(r["sent"], 40, "{name}");
        assert!(r["elapsed_s"].as_f64().unwrap() < 0.5, "{name}: {r}");
    }
}

#[test]
fn cooked_and_raw_ip_captures_get_an_ethernet_header() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let file = frames(10);
    let ip = |f: &Vec<u8>| f[14..].to_vec();
    // SLL: packet type, ARPHRD_ETHER, address length, address (8), protocol.
    let sll: Vec<(u64, Vec<u8>)> = file
        .iter()
        .map(|(t, f)| {
            let mut v = vec![0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0xa, 0, 0, 0x08, 0x00];
            v.extend(ip(f));
            (*t, v)
        })
        .collect();
    let raw: Vec<(u64, Vec<u8>)> = file.iter().map(|(t, f)| (*t, ip(f))).collect();
    let (d, sll_path) = tmp("sll.pcap");
    let raw_path = d.path().join("raw.pcap").to_string_lossy().into_owned();
    write_pcap_raw(&sll_path, 113, false, false, &sll);
    write_pcap_raw(&raw_path, 101, false, false, &raw);
    let dst: &'static [&'static str] = &[
        "--dst-mac",
        "02:00:00:00:00:0b",
        "--src-mac",
        "02:00:00:00:00:0a",
    ];
    for path in [sll_path, raw_path] {
        let (r, got) = topspeed(path.clone(), dst);
        assert_eq!(r["converted"], 10, "{path}");
        let want: Vec<Vec<u8>> = file.iter().map(|f| f.1.clone()).collect();
        assert_eq!(
            got, want,
            "{path}: the Ethernet header given is MAC_A -> MAC_B, IPv4"
        );
    }
    // A link type replay cannot send: one line, exit 2, nothing sent.
    let wifi = d.path().join("wifi.pcap").to_string_lossy().into_owned();
    write_pcap_raw(&wifi, 105, false, false, &raw);
    let out = common::in_private_netns(move || {
        pair("vrw0", "vrw1");
        replay(&["-i", "vrw0", &wifi])
    });
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("vethbench: error: ")
            && err.contains("link type 105")
            && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn a_truncated_file_replays_its_good_frames_then_fails_with_the_offset() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let (d, path) = tmp("cut.pcapng");
    write_capture(&path, Format::Pcapng, false, &frames(20));
    let bytes = std::fs::read(&path).unwrap();
    // Drop the closing ISB and half of the last EPB.
    std::fs::write(&path, &bytes[..bytes.len() - 120]).unwrap();
    let (out, got) = common::in_private_netns(move || {
        pair("vrc0", "vrc1");
        let mut rx = receiver("vrc1");
        let out = replay(&["-i", "vrc0", "--topspeed", &path]);
        (out, drain(&mut rx))
    });
    drop(d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at byte "), "{err}");
    assert_eq!(got.len(), 19);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Actual: 19 packets"));
}

#[test]
fn stdin_is_read_and_can_loop() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let (_d, path) = tmp("in.pcap");
    write_capture(&path, Format::Pcap, false, &frames(5));
    let got = common::in_private_netns(move || {
        pair("vrs0", "vrs1");
        let mut rx = receiver("vrs1");
        let out = common::vethbench()
            .args(["replay", "-i", "vrs0", "--loop", "3", "--json", "-"])
            .stdin(std::fs::File::open(&path).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        drain(&mut rx).len()
    });
    assert_eq!(got, 15);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let (_d, path) = tmp("ok.pcap");
    write_capture(&path, Format::Pcap, false, &frames(1));
    let outs = common::in_private_netns(move || {
        pair("vrb0", "vrb1");
        let cases: [&[&str]; 8] = [
            &["--pps", "0"],
            &["--pps", "0.0001"],
            &["--multiplier", "-1"],
            &["--mbps", "inf"],
            &["--vlan", "add:5000"],
            &["--srcip-map", "10.0.0.0/8"],
            &["--limit", "0"],
            &["--dst-mac", "nope"],
        ];
        let mut outs: Vec<Output> = cases
            .iter()
            .map(|c| {
                let mut a = vec!["-i", "vrb0", &path];
                a.extend_from_slice(c);
                replay(&a)
            })
            .collect();
        outs.push(replay(&["-i", "vrb-missing", &path]));
        outs.push(replay(&["-i", "vrb0", "/nonexistent.pcap"]));
        common::run_ok("ip", &["link", "set", "vrb0", "down"]);
        outs.push(replay(&["-i", "vrb0", &path]));
        outs
    });
    for o in outs {
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("vethbench: "), "{err}");
        assert!(
            o.stdout.is_empty(),
            "nothing sent or reported: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn sigterm_ends_a_slow_replay_at_once_with_a_report() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let (_d, path) = tmp("slow.pcap");
    write_capture(&path, Format::Pcap, false, &frames(100));
    let (out, waited) = common::in_private_netns(move || {
        pair("vri0", "vri1");
        // One frame every 1000 s: the wait must notice the signal, not the next deadline.
        let child = common::vethbench()
            .args(["replay", "-i", "vri0", "--pps", "0.001", "--json", &path])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let t = std::time::Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let out = child.wait_with_output().unwrap();
        (out, t.elapsed())
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        waited < Duration::from_secs(2),
        "took {waited:?} after SIGTERM"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["interrupted"], true);
    assert_eq!(r["sent"], 1);
}

/// Records of a pcap: (timestamp ns, bytes).
type File = Vec<(u64, Vec<u8>)>;

/// Runts (a 0-byte record, a 13-byte one: shorter than an Ethernet header, which the kernel
/// refuses, and with them the whole batch) are skipped and counted; the frames around them go.
#[test]
fn runts_are_skipped_and_counted_and_the_rest_is_sent() {
    let _not_beside_timing = shared();
    if !common::require_root!() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_string_lossy().into_owned();
    let valid = udp(1, None);
    let cases: [(&str, File, u64); 2] = [
        (
            "empty-around.pcap",
            vec![
                (1_000, Vec::new()),
                (2_000, valid.clone()),
                (3_000, Vec::new()),
            ],
            2,
        ),
        (
            "runt-after.pcap",
            vec![(1_000, valid.clone()), (2_000, vec![0x02; 13])],
            1,
        ),
    ];
    for (name, file, runts) in cases {
        let path = p(name);
        write_pcap_raw(&path, 1, false, false, &file);
        for timing in [&[][..], &["--topspeed"][..]] {
            let path = path.clone();
            let (r, got) = common::in_private_netns(move || {
                let a = common::unique_name("vrfa");
                let b = common::unique_name("vrfb");
                pair(&a, &b);
                let mut rx = receiver(&b);
                let mut args = vec!["-i", a.as_str(), path.as_str()];
                args.extend_from_slice(timing);
                let r = replay_json(&args);
                (
                    r,
                    drain(&mut rx).into_iter().map(|f| f.1).collect::<Vec<_>>(),
                )
            });
            assert_eq!(r["skipped_runts"], runts, "{name} {timing:?}: {r}");
            assert_eq!(r["sent"], 1, "{name} {timing:?}: {r}");
            assert_eq!(r["bytes"], valid.len() as u64, "{name} {timing:?}: {r}");
            assert_eq!(got, vec![valid.clone()], "{name} {timing:?}");
        }
    }
}
