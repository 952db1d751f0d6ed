//! Volume and endings: a 200k-frame blast accounted for, SIGINT halfway, an interface that
//! disappears, the receive ring moved to another thread.

use super::*;

#[test]
fn blast_of_200k_frames_is_fully_accounted_for() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let one = format!("{dir}/one.pcap");
        one_frame_pcap(&one);
        // The default ring, then a tiny one (128 KiB, ~1000 frames) that may overflow: either
        // way every frame that arrived is either in the file or counted as dropped.
        for ring in [&[][..], &["--block-size", "65536", "--blocks", "2"][..]] {
            let file = format!("{dir}/blast.pcapng");
            let rx0 = rx_packets("vethY");
            let mut args = vec!["vethY", "-w", &file];
            args.extend_from_slice(ring);
            let cap = Capture::start(&args);
            let sent: u64 = 200_000;
            common::run_ok(
                "tcpreplay",
                &[
                    "-q",
                    "-i",
                    "vethX",
                    "-t",
                    "-K",
                    "-l",
                    &sent.to_string(),
                    &one,
                ],
            );
            let arrived = rx_packets("vethY") - rx0;
            // Let the last block retire, then stop as a user would.
            std::thread::sleep(Duration::from_millis(100));
            cap.signal(nix::sys::signal::Signal::SIGINT);
            let (code, _, err) = cap.finish();
            assert_eq!(code, 0, "{err:?}");
            let captured = summary_count(&err, " packets captured");
            let dropped = summary_count(&err, " packets dropped by kernel");
            eprintln!(
                "ring {ring:?}: sent {sent}, arrived {arrived}, captured {captured}, dropped {dropped}"
            );
            assert_eq!(
                captured + dropped,
                arrived,
                "captured + dropped must equal what vethY received"
            );
            assert_eq!(capinfos_count(&file), captured, "file and summary disagree");
            if dropped == 0 {
                assert_eq!(captured, sent);
            }
            // The closing ISB carries the same counts (read with pcap-file, independently).
            assert_eq!(isb_counts(&file), (captured + dropped, dropped));
        }
    });
}

#[test]
fn sigint_halfway_through_a_blast_leaves_a_valid_file() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let one = format!("{dir}/one.pcap");
        one_frame_pcap(&one);
        let file = format!("{dir}/half.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file]);
        let mut sender = Command::new("tcpreplay")
            .args(["-q", "-i", "vethX", "-t", "-K", "-l", "0", &one])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tcpreplay");
        // Halfway: once frames are reaching the file (flushed every 250 ms), not after a
        // fixed sleep that a loaded machine could outrun.
        for _ in 0..200 {
            if std::fs::metadata(&file).map_or(0, |m| m.len()) > 64 * 1024 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        cap.signal(nix::sys::signal::Signal::SIGINT);
        let (code, _, err) = cap.finish();
        let _ = sender.kill();
        let _ = sender.wait();
        assert_eq!(code, 0, "{err:?}");
        let captured = summary_count(&err, " packets captured");
        assert!(captured > 0, "nothing captured during the blast: {err:?}");
        assert_eq!(capinfos_count(&file), captured);
        // And the closing ISB is there: capinfos sees its statistics.
        let info = common::run_ok("capinfos", &[&file]);
        assert!(info.contains("Number of stat entries = 1"), "{info}");
    });
}

#[test]
fn rx_ring_api_moved_to_another_thread() {
    use vethbench::sock::ring::{Direction, RxConfig, RxRing};
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        // Small ring, to exercise geometry other than the default.
        let cfg = RxConfig {
            block_size: 1 << 16,
            block_count: 4,
            direction: Direction::In,
            ..RxConfig::default()
        };
        let ring = RxRing::open("vethY", &cfg).unwrap();
        // Ready barrier: frames sent after open() returns are in the ring.
        let receiver = std::thread::spawn(move || {
            let mut ring = ring;
            let mut got = Vec::new();
            let t0 = std::time::Instant::now();
            while got.len() < 5 && t0.elapsed() < Duration::from_secs(10) {
                if ring.poll(Duration::from_millis(100)).unwrap() {
                    ring.for_each(|f| {
                        got.push((
                            f.data().to_vec(),
                            f.wire_len(),
                            f.ts_ns(),
                            f.vlan().map(|v| v.id()),
                            f.outgoing(),
                        ))
                    });
                }
            }
            (got, ring.stats().unwrap())
        });
        common::run_ok(
            common::bin_path().to_str().unwrap(),
            &[
                "send",
                "-q",
                "-i",
                "vethX",
                "--dst-mac",
                "02:00:00:00:00:02",
                "--udp",
                "--vlan",
                "10",
                "-c",
                "5",
                "--vary",
                "ip-id",
            ],
        );
        let (got, stats) = receiver.join().unwrap();
        assert_eq!(got.len(), 5);
        let mut last_ts = 0;
        for (i, (data, wire_len, ts, vlan, outgoing)) in got.iter().enumerate() {
            assert_eq!(*vlan, Some(10));
            assert!(!outgoing);
            // The tag is back in the bytes: TPID 0x8100, then VLAN 10.
            assert_eq!(&data[12..16], &[0x81, 0x00, 0x00, 0x0a]);
            assert_eq!(*wire_len as usize, data.len());
            // ip-id varies per copy (bytes 18 + 4..6 of the IPv4 header).
            assert_eq!(u16::from_be_bytes([data[22], data[23]]), 1 + i as u16);
            assert!(*ts >= last_ts, "timestamps go backwards");
            last_ts = *ts;
        }
        assert!(last_ts > 0);
        assert_eq!(stats.packets, 5);
        assert_eq!(stats.drops, 0);
    });
}

#[test]
fn interface_that_disappears_ends_the_capture_with_a_complete_file() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let file = format!("{dir}/gone.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file]);
        scapy_send("vethX", ONEPKT);
        // Down and up again: the capture goes on.
        common::run_ok("ip", &["link", "set", "vethY", "down"]);
        std::thread::sleep(Duration::from_millis(200));
        common::run_ok("ip", &["link", "set", "vethY", "up"]);
        scapy_send("vethX", ONEPKT);
        std::thread::sleep(Duration::from_millis(100));
        common::run_ok("ip", &["link", "del", "vethX"]);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 2, "{err:?}");
        assert!(
            err.last().unwrap().contains("'vethY' disappeared"),
            "{err:?}"
        );
        assert_eq!(summary_count(&err, " packets captured"), 2);
        assert_eq!(capinfos_count(&file), 2);
    });
}
