//! Timing: the file's own gaps, `--pps`, `--topspeed`, measured from the receiver's kernel
//! timestamps. Medians over a thousand gaps, so a few late wake-ups on a shared machine do not
//! decide the verdict; the runs take turns (a lock), as they measure time.

use std::sync::Mutex;

use super::*;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// 1,000 frames 100 µs apart, then 5 bursts of 50 frames at one timestamp, 2 ms apart.
fn gaps_file() -> Vec<(u64, Vec<u8>)> {
    let t0 = 1_700_000_000_000_000_000u64;
    let mut v: Vec<(u64, Vec<u8>)> = (0..1000)
        .map(|i| (t0 + i as u64 * 100_000, udp(i, None)))
        .collect();
    for b in 0..5u64 {
        let ts = t0 + 100_000_000 + b * 2_000_000;
        for k in 0..50 {
            let i = 1000 + b as u32 * 50 + k;
            v.push((ts, udp(i, None)));
        }
    }
    v
}

/// Replay the file with `args`, and return what the peer received.
fn run(path: &str, args: &[&str]) -> (serde_json::Value, Vec<(u64, Vec<u8>)>) {
    let a = common::unique_name("vrta");
    let b = common::unique_name("vrtb");
    pair(&a, &b);
    let mut rx = receiver(&b);
    // The sender under SCHED_FIFO (`chrt -f 10`): on a machine shared with other builds and
    // tests, an ordinary task (even at nice -20, measured) waits whole milliseconds for a CPU
    // now and then, and every frame made overdue meanwhile leaves at once (absolute deadlines):
    // that measures the machine's load, not the replay's timing. The run is short (0.13 s) and
    // sleeps most of each gap, so it takes nothing from anyone for long.
    let bin = common::bin_path();
    let mut all = vec![
        "-f",
        "10",
        bin.to_str().unwrap(),
        "replay",
        "--json",
        "-i",
        &a,
        path,
    ];
    all.extend_from_slice(args);
    let out = std::process::Command::new("chrt")
        .args(&all)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (report, drain(&mut rx))
}

/// The median of |gap − want| over frames `range` of what arrived, in µs; and, for the failure
/// message, how many gaps were stalls (over 1.5× the gap: the sender lost its CPU) and
/// catch-ups (under half of it: the frames made overdue by a stall, sent at once).
fn median_gap_error_us(
    got: &[(u64, Vec<u8>)],
    range: std::ops::Range<usize>,
    want_ns: f64,
) -> (f64, String) {
    let gaps: Vec<f64> = range
        .map(|k| got[k].0 as f64 - got[k - 1].0 as f64)
        .collect();
    let stalls = gaps.iter().filter(|g| **g > want_ns * 1.5).count();
    let catch_up = gaps.iter().filter(|g| **g < want_ns * 0.5).count();
    let mut errs: Vec<f64> = gaps.iter().map(|g| (g - want_ns).abs() / 1e3).collect();
    let m = median(&mut errs);
    (
        m,
        format!(
            "median gap error {m:.1} µs over {} gaps: {stalls} stalls, {catch_up} catch-ups",
            gaps.len()
        ),
    )
}

fn assert_all_intact(file: &[(u64, Vec<u8>)], got: &[(u64, Vec<u8>)]) {
    assert_eq!(got.len(), file.len(), "every frame arrives, none more");
    for (k, ((_, want), (_, f))) in file.iter().zip(got).enumerate() {
        assert_eq!(f, want, "frame {k} altered or out of order");
    }
}

#[test]
fn the_files_gaps_are_kept() {
    if !common::require_root!() {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_d, path) = tmp("gaps.pcapng");
    let file = gaps_file();
    write_capture(&path, Format::Pcapng, false, &file);
    let (report, got) = common::in_private_netns(move || run(&path, &[]));
    assert_all_intact(&file, &got);
    let (err, why) = median_gap_error_us(&got, 1..1000, 100_000.0);
    assert!(
        err < 20.0,
        "{why} (file gaps of 100 µs); sender: {}",
        report["timing_error"]
    );
    // The bursts' frames leave together: their gaps are far below the 100 µs ones.
    let mut burst: Vec<f64> = (1001..1050)
        .map(|k| (got[k].0 - got[k - 1].0) as f64)
        .collect();
    assert!(
        median(&mut burst) < 50_000.0,
        "burst gaps {:?}",
        &burst[..5]
    );
    assert_eq!(report["sent"], 1250);
    assert_eq!(report["timing"], "file");
    assert_eq!(report["timing_error"]["samples"], 1250);
}

#[test]
fn pps_spaces_frames_evenly() {
    if !common::require_root!() {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_d, path) = tmp("pps.pcap");
    let file = gaps_file();
    write_capture(&path, Format::Pcap, false, &file);
    let (report, got) = common::in_private_netns(move || run(&path, &["--pps", "10000"]));
    assert_all_intact(&file, &got);
    // Every gap, the bursts' included, is 100 µs.
    let (err, why) = median_gap_error_us(&got, 1..got.len(), 100_000.0);
    assert!(
        err < 20.0,
        "{why} (--pps 10000); sender: {}",
        report["timing_error"]
    );
    let pps = report["pps"].as_f64().unwrap();
    assert!((pps - 10_000.0).abs() < 500.0, "achieved {pps} pps");
}

#[test]
fn topspeed_sends_every_frame() {
    if !common::require_root!() {
        return;
    }
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (_d, path) = tmp("top.pcapng");
    let file = gaps_file();
    write_capture(&path, Format::Pcapng, false, &file);
    let (report, got) =
        common::in_private_netns(move || run(&path, &["--topspeed", "--loop", "2"]));
    assert_eq!(report["sent"], 2500);
    assert_eq!(report["loops"], 2);
    assert!(report["timing_error"].is_null());
    assert_all_intact(&file, &got[..1250]);
    assert_all_intact(&file, &got[1250..]);
}
