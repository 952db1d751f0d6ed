//! `--rate` paces a burst and spaces frames evenly; `--count` goes out in sendmmsg batches.

use super::*;

#[test]
fn rate_paces_the_burst() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("va", "vb");
        // 2000 frames at 20 kpps take 100 ms by the schedule: at least that, and the achieved
        // rate is within 10% of the asked one (relative bounds only).
        let t = Instant::now();
        let out = run(&[
            "send",
            "-i",
            "va",
            "-q",
            "--dst-mac",
            "02:00:00:00:00:02",
            "--count",
            "2000",
            "--rate",
            "20000",
        ]);
        let took = t.elapsed();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(took >= Duration::from_millis(99), "{took:?}");
        let text = stdout(&out);
        let pps: f64 = text
            .split(": ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no rate in {text}"));
        assert!((pps - 20000.0).abs() < 2000.0, "{pps} pps for --rate 20000");
        // Any finite positive rate is taken: an absurd one means "as fast as possible", and
        // must not overflow the schedule (it panicked in debug builds).
        let out = run(&[
            "send",
            "-i",
            "va",
            "-q",
            "--dst-mac",
            "02:00:00:00:00:02",
            "--count",
            "5",
            "--rate",
            "1e300",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Sent 5 packets."), "{}", stdout(&out));
        // A short, slow burst: 5 frames at 40 pps are 4 intervals (100 ms), so the rate printed
        // is 40, not 5 / 0.1 s = 50. A late wake-up on a loaded machine only lowers it, so the
        // upper bound is tight (5%) and the lower one loose.
        let out = run(&[
            "send",
            "-i",
            "va",
            "-q",
            "--dst-mac",
            "02:00:00:00:00:02",
            "--count",
            "5",
            "--rate",
            "40",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        let pps: f64 = text
            .split(": ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no rate in {text}"));
        assert!(pps <= 42.0 && pps > 30.0, "{pps} pps for --rate 40: {text}");
    });
}

#[test]
fn rate_spaces_frames_evenly_below_a_millisecond() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    // 10 kpps: one frame every 100 µs, where Scapy's `inter` and trafgen's gap fall apart.
    // The receiver's kernel timestamps (tcpdump, nanoseconds) must show frames spaced by about
    // that, not bunched into bursts at a coarser tick with the right average. Relative bounds
    // only: the median gap within 20% of the interval, and at least half of the gaps within
    // half of it (not more: on a loaded machine a sender that lost its CPU catches up with a
    // burst of overdue frames, which is right for the average but makes short gaps).
    // A sender that lost its CPU to other work for milliseconds must catch up in a burst, so
    // one attempt may fail on a busy machine: up to three, and it passes if one does. A pacer
    // that bunches frames at a coarser tick fails them all.
    let mut why = String::new();
    for attempt in 1..=3 {
        match common::in_private_netns(pacing_attempt) {
            Ok(()) => return,
            Err(e) => {
                eprintln!("attempt {attempt}: {e}");
                why = e;
            }
        }
    }
    panic!("{why}");
}

/// One run of `rate_spaces_frames_evenly_below_a_millisecond`: 2000 frames at 10 kpps.
fn pacing_attempt() -> Result<(), String> {
    common::veth_pair("va", "vb");
    let cap = OneFrame::start_many("vb", "udp");
    let out = run(&[
        "send",
        "-i",
        "va",
        "-q",
        "--dst-mac",
        "02:00:00:00:00:02",
        "--udp",
        "--count",
        "2000",
        "--rate",
        "10000",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ts: Vec<u64> = cap.frames().into_iter().map(|(t, _)| t).collect();
    // Tests running alongside share the CPU's backlog: a few frames may be dropped.
    if ts.len() < 1800 {
        return Err(format!("{} of 2000 frames captured", ts.len()));
    }
    let mut gaps: Vec<f64> = ts.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    gaps.sort_by(f64::total_cmp);
    let interval = 1e9 / 10_000.0;
    let median = gaps[gaps.len() / 2];
    if (median - interval).abs() >= 0.2 * interval {
        return Err(format!(
            "median gap {median} ns for an interval of {interval} ns"
        ));
    }
    let close = gaps
        .iter()
        .filter(|g| (*g - interval).abs() < 0.5 * interval)
        .count();
    if close * 2 < gaps.len() {
        return Err(format!(
            "only {close} of {} gaps within 50% of {interval} ns (p10 {}, p90 {})",
            gaps.len(),
            gaps[gaps.len() / 10],
            gaps[gaps.len() * 9 / 10]
        ));
    }
    Ok(())
}

#[test]
fn count_is_sent_with_batched_sendmmsg() {
    let _one_at_a_time = exclusive();
    if !common::require_root!() {
        return;
    }
    // tests/run.sh installs strace; elsewhere, without it, skip loudly (a failure under CI).
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        common::skip!("needs strace (apt-get install strace)");
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("va", "vb");
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("strace.txt");
        let out = std::process::Command::new("strace")
            .args(["-f", "-e", "trace=sendmmsg,sendto,sendmsg,write", "-o"])
            .arg(&trace)
            .arg(common::bin_path())
            .args(["send", "-i", "va", "-q", "--dst-mac", "02:00:00:00:00:02"])
            .args(["--count", "10000"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(&trace).unwrap();
        let mut calls = 0;
        let mut frames = 0;
        for l in text.lines().filter(|l| l.contains("sendmmsg(")) {
            calls += 1;
            // "... = 64", or "= -1 ENOBUFS (...)" for a refused call (retried).
            if let Some(n) = l
                .rsplit_once(" = ")
                .and_then(|(_, r)| r.parse::<u64>().ok())
            {
                frames += n;
            }
        }
        assert_eq!(frames, 10000, "frames handed over by sendmmsg");
        // 64 frames a call: 157 calls, plus a few retries when the peer's backlog is full.
        assert!(
            calls <= 10000 / 32,
            "{calls} sendmmsg calls for 10000 frames"
        );
        // Nothing else carries frames: the only sendto/sendmsg calls are netlink look-ups.
        let others = text
            .lines()
            .filter(|l| l.contains("sendto(") || l.contains("sendmsg("))
            .filter(|l| !l.contains("AF_NETLINK"))
            .count();
        assert_eq!(others, 0, "{text}");
    });
}
