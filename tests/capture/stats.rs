//! Statistics that add up when the stop comes in the middle of a blast: captured + dropped
//! (+ what was left after `-c`) = received, in the summary and in the closing ISB.

use super::*;

/// SIGINT while tcpreplay is blasting: the rings stop receiving, are drained, and only then
/// counted. Five times, since the frames in flight at the stop are the race.
#[test]
fn sigint_during_a_blast_counts_add_up() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let one = format!("{dir}/one.pcap");
        one_frame_pcap(&one);
        for round in 0..5 {
            let file = format!("{dir}/blast{round}.pcapng");
            let cap = Capture::start(&["vethY", "-w", &file]);
            let sender = Command::new("tcpreplay")
                .args(["-q", "-i", "vethX", "-t", "-K", "-l", "0", &one])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn tcpreplay");
            let _sender = KillOnDrop(sender);
            for _ in 0..200 {
                if std::fs::metadata(&file).map_or(0, |m| m.len()) > 256 * 1024 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            cap.signal(nix::sys::signal::Signal::SIGINT);
            let (code, _, err) = cap.finish();
            assert_eq!(code, 0, "{err:?}");
            let captured = summary_count(&err, " packets captured");
            let received = summary_count(&err, " packets received by filter");
            let dropped = summary_count(&err, " packets dropped by kernel");
            eprintln!("round {round}: captured {captured}, received {received}, dropped {dropped}");
            assert!(captured > 0, "{err:?}");
            assert_eq!(captured + dropped, received, "round {round}: {err:?}");
            assert_eq!(capinfos_count(&file), captured);
            assert_eq!(isb_counts(&file), (received, dropped));
        }
    });
}

/// `-c N` under a blast: N captured; the frames the kernel had already put in the ring are
/// counted as received and reported as left after the count.
#[test]
fn count_under_a_blast_reports_what_was_left() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vethX", "vethY");
        let (_d, dir) = tmp();
        let one = format!("{dir}/one.pcap");
        one_frame_pcap(&one);
        let file = format!("{dir}/count.pcapng");
        let cap = Capture::start(&["vethY", "-w", &file, "-c", "5000"]);
        let sender = Command::new("tcpreplay")
            .args(["-q", "-i", "vethX", "-t", "-K", "-l", "0", &one])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tcpreplay");
        let _sender = KillOnDrop(sender);
        let (code, _, err) = cap.finish();
        assert_eq!(code, 0, "{err:?}");
        let captured = summary_count(&err, " packets captured");
        let received = summary_count(&err, " packets received by filter");
        let dropped = summary_count(&err, " packets dropped by kernel");
        let unread = err
            .iter()
            .find_map(|l| {
                l.strip_suffix(" packets received after the count, not captured")
                    .map(|n| n.parse::<u64>().unwrap())
            })
            .unwrap_or(0);
        assert_eq!(captured, 5000, "{err:?}");
        assert_eq!(captured + dropped + unread, received, "{err:?}");
        assert_eq!(capinfos_count(&file), 5000);
        assert_eq!(isb_counts(&file), (received, dropped));
    });
}
