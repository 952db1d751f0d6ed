//! The harness's own modes over a real pair.

use super::*;

#[test]
fn latency_mode_measures_every_frame() {
    if !common::require_root!() {
        return;
    }
    let r = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        let mut p = plan("vb0", "vb1", 1000);
        p.stream.mode = Mode::Latency;
        harness::launch(&p).unwrap().wait().unwrap()
    });
    assert!(r.passed(), "{r}");
    let l = r.latency.unwrap();
    // One frame in 8 (frames 7, 15, ..., 999) asks for its TX timestamp: it is the path
    // figure's, and left out of the user-to-kernel one (the stamp costs in the device).
    assert_eq!(l.samples, 1000 - 125, "{l:?}");
    assert!(
        l.p50_us > 0.0 && l.p50_us <= l.p99_us && l.p99_us <= l.max_us,
        "{l:?}"
    );
    // The path alone (the kernel's TX software stamp in veth_xmit to the RX stamp) is a part of
    // every frame's user-to-kernel time: smaller.
    let path = r
        .path_latency
        .expect("latency mode reports the path figure");
    assert!(path.samples > 100 && path.samples <= 125, "{path:?}");
    assert!(
        path.p50_us > 0.0 && path.p50_us < l.p50_us,
        "path {path:?} against user-to-kernel {l:?}"
    );
}

/// Transmit timestamps on request: with reports on, a frame sent plainly leaves none on the
/// error queue, a frame sent with the per-message request leaves one, taken between the send's
/// start and its end (veth stamps in `veth_xmit`, inside the send).
#[test]
fn tx_timestamp_only_for_frames_that_ask() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        use vethbench::sock::tx::TxSocket;
        common::veth_pair("vb0", "vb1");
        let mut tx = TxSocket::open("vb0").unwrap();
        tx.enable_tx_timestamp_reports().unwrap();
        let frame = udp4(b"stamp me");
        for _ in 0..3 {
            tx.send(&frame).unwrap();
            assert_eq!(tx.tx_timestamp().unwrap(), None, "a plain send was stamped");
            let t0 = harness::stamp::now_realtime_ns();
            tx.send_tx_stamped(&frame).unwrap();
            let t1 = harness::stamp::now_realtime_ns();
            let ts = tx
                .tx_timestamp()
                .unwrap()
                .expect("a TX timestamp for the frame that asked");
            assert!(t0 <= ts && ts <= t1, "{t0} <= {ts} <= {t1}");
        }
    });
}

/// The per-frame receive socket of latency/rtt runs: the frame comes back byte-exact with
/// its VLAN tag restored, and its timestamp is the kernel's, taken between the send and
/// the end of the read.
#[test]
fn recv_socket_restores_the_tag_and_stamps_in_the_kernel() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};
        use vethbench::sock::tx::TxSocket;
        common::veth_pair("vb0", "vb1");
        let mut rx = RecvSocket::open("vb1", &RecvConfig::default()).unwrap();
        let mut tx = TxSocket::open("vb0").unwrap();
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .single_vlan(42.try_into().unwrap())
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
            .udp(1111, 2222);
        let mut tagged = Vec::new();
        b.write(&mut tagged, b"tagged").unwrap();
        for frame in [udp4(b"plain"), tagged] {
            let t0 = harness::stamp::now_realtime_ns();
            tx.send(&frame).unwrap();
            let fr = rx
                .recv(Duration::from_secs(2))
                .unwrap()
                .expect("a frame within 2 s");
            let t1 = harness::stamp::now_realtime_ns();
            assert_eq!(fr.data(), &frame[..]);
            assert_eq!(fr.wire_len(), frame.len());
            assert!(fr.kernel_ts(), "no SCM_TIMESTAMPNS");
            assert!(
                t0 <= fr.ts_ns() && fr.ts_ns() <= t1,
                "{t0} {} {t1}",
                fr.ts_ns()
            );
        }
        // Nothing else queued; the sender's own frames are not seen on its side.
        assert!(rx.recv(Duration::ZERO).unwrap().is_none());
        assert_eq!(rx.drops().unwrap(), 0);
    });
}

/// rtt mode goes through the reflector on the peer and back: every frame is echoed, and a
/// round trip takes longer than the one-way trip of latency mode on the same pair.
#[test]
fn rtt_is_a_round_trip() {
    if !common::require_root!() {
        return;
    }
    let (one_way, rtt) = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        let mut p = plan("vb0", "vb1", 2000);
        p.stream.mode = Mode::Latency;
        let one_way = harness::launch(&p).unwrap().wait().unwrap();
        p.stream.mode = Mode::Rtt;
        let rtt = harness::launch(&p).unwrap().wait().unwrap();
        (one_way, rtt)
    });
    assert!(one_way.passed(), "{one_way}");
    assert!(rtt.passed(), "{rtt}");
    assert_eq!(rtt.latency_kind, "rtt");
    // Out on vb0, echoed by vb1, back on vb0: the report names all three.
    assert_eq!(
        (
            rtt.tx_iface.as_deref(),
            rtt.reflector_iface.as_deref(),
            rtt.rx_iface.as_deref()
        ),
        (Some("vb0"), Some("vb1"), Some("vb0"))
    );
    assert!(rtt.to_string().contains("vb0 -> vb1 -> vb0"), "{rtt}");
    assert_eq!(one_way.reflector_iface, None);
    let (a, b) = (one_way.latency.unwrap(), rtt.latency.unwrap());
    assert_eq!(b.samples, 2000);
    assert!(
        b.p50_us > a.p50_us,
        "rtt p50 {} <= one-way p50 {}",
        b.p50_us,
        a.p50_us
    );
}

/// CPU time (user + system, in clock ticks) a thread has used so far.
fn cpu_ticks(pid: nix::unistd::Pid) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// `link::offload::thread_rx` turns TSO off on the sender and GRO and threaded NAPI on
/// on the receiver (read back through ethtool's ioctl, `ethtool -k` and sysfs); the
/// receiver's `napi/IFACE-N` thread appears, `pin_threads` pins it, and it does the
/// receive work of a 60,000-frame stream, which arrives whole (a full NAPI ring pushes
/// back on the sender instead of dropping). `false` puts the defaults back.
#[test]
fn thread_rx_moves_the_receive_work_to_a_napi_thread() {
    if !common::require_root!() {
        return;
    }
    use vethbench::link::offload::{self, Offload};
    // Unique names: kernel threads are named after the interface, in any namespace.
    let (a, b) = (common::unique_name("vbo"), common::unique_name("vbo"));
    let cpu = *vethbench::sys::cpu::allowed().last().unwrap();
    common::in_private_netns(move || {
        common::veth_pair(&a, &b);
        let ns = vethbench::link::Netns::open_or_current(None).unwrap();
        assert!(!offload::threaded(&ns, &b).unwrap());
        assert!(offload::napi_threads(&b).is_empty());

        let new = offload::thread_rx(&ns, &a, &ns, &b, true).unwrap();
        assert!(!offload::get(&a, Offload::Tso).unwrap());
        assert!(offload::get(&b, Offload::Gro).unwrap());
        assert!(offload::threaded(&ns, &b).unwrap());
        let k = common::run_ok("ethtool", &["-k", &b]);
        assert!(k.contains("generic-receive-offload: on"), "{k}");
        let k = common::run_ok("ethtool", &["-k", &a]);
        assert!(k.contains("\ttx-tcp-segmentation: off"), "{k}");

        let pids = offload::napi_threads(&b);
        assert!(!pids.is_empty(), "no napi/{b}-N thread");
        assert_eq!(new, pids, "thread_rx returns the threads it made");
        vethbench::sys::cpu::pin_threads(&pids, &[cpu]).unwrap();
        for &pid in &pids {
            let set = nix::sched::sched_getaffinity(pid).unwrap();
            let on: Vec<usize> = (0..nix::sched::CpuSet::count())
                .filter(|&c| set.is_set(c).unwrap())
                .collect();
            assert_eq!(on, vec![cpu], "NAPI thread {pid}");
        }

        let before: u64 = pids.iter().map(|&p| cpu_ticks(p)).sum();
        // 60,000 frames: fewer than the receive ring holds (~100,000 of 66 bytes), so that
        // a receiver starved by the tests running alongside cannot overflow it; what is
        // tested is the transmit side, where a full NAPI ring must push back, not drop.
        let mut p = plan(&a, &b, 60_000);
        p.frame_len = 66;
        let r = harness::launch(&p).unwrap().wait().unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!((r.intact, r.lost, r.kernel_drops), (60_000, 0, 0), "{r}");
        let after: u64 = pids.iter().map(|&p| cpu_ticks(p)).sum();
        assert!(
            after > before,
            "the NAPI thread did no work ({before} ticks)"
        );

        offload::thread_rx(&ns, &a, &ns, &b, false).unwrap();
        assert!(offload::get(&a, Offload::Tso).unwrap());
        assert!(!offload::get(&b, Offload::Gro).unwrap());
        assert!(!offload::threaded(&ns, &b).unwrap());
    });
}

/// On someone else's pair (`--tx/--rx`) with threaded NAPI, a run with the receiver pinned
/// pins the NAPI thread to the receiver's CPU for the run only: its CPUs come back after.
#[test]
fn existing_pairs_napi_thread_is_pinned_for_the_run_only() {
    if !common::require_root!() {
        return;
    }
    let cpus = vethbench::sys::cpu::allowed();
    if cpus.len() < 2 {
        common::skip!("needs two CPUs");
        return;
    }
    use vethbench::link::offload;
    let (a, b) = (common::unique_name("vbp"), common::unique_name("vbp"));
    let affinity = |pid| {
        let set = nix::sched::sched_getaffinity(pid).unwrap();
        (0..nix::sched::CpuSet::count())
            .filter(|&c| set.is_set(c).unwrap())
            .collect::<Vec<usize>>()
    };
    common::in_private_netns(move || {
        common::veth_pair(&a, &b);
        let ns = vethbench::link::Netns::open_or_current(None).unwrap();
        let pids = offload::thread_rx(&ns, &a, &ns, &b, true).unwrap();
        assert!(!pids.is_empty());
        let before: Vec<Vec<usize>> = pids.iter().map(|&p| affinity(p)).collect();
        assert!(before.iter().all(|s| s.len() >= 2), "{before:?}");
        let mut p = plan(&a, &b, 20_000);
        p.stream.cpu_tx = Some(cpus[0]);
        p.stream.cpu_rx = Some(cpus[1]);
        let running = harness::launch(&p).unwrap();
        for &pid in &pids {
            assert_eq!(affinity(pid), vec![cpus[1]], "during the run");
        }
        let r = running.wait().unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!(
            (r.cpus.tx, r.cpus.rx, r.cpus.napi),
            (Some(cpus[0]), Some(cpus[1]), Some(cpus[1])),
            "the report says where the work ran"
        );
        let after: Vec<Vec<usize>> = pids.iter().map(|&p| affinity(p)).collect();
        assert_eq!(after, before, "after the run");
    });
}

/// `vethbench test`'s own pair has threaded NAPI in throughput mode, where a stream gains
/// from a second CPU, with the NAPI thread pinned to one CPU; not in latency mode, where a
/// thread wake-up per frame would be measured.
#[test]
fn private_pair_is_threaded_only_for_throughput() {
    if !common::require_root!() {
        return;
    }
    for (mode, want) in [(Mode::Throughput, true), (Mode::Latency, false)] {
        let mut p = plan("", "", 10);
        p.topology = Topology::Private;
        p.stream.mode = mode;
        let ends = harness::plan::open_ends(&p).unwrap();
        let pair = ends
            .guard
            .downcast_ref::<vethbench::link::PrivatePair>()
            .expect("the private topology's guard is its pair");
        assert_eq!(
            vethbench::link::offload::threaded(pair.netns_b(), "vbrx").unwrap(),
            want,
            "{mode:?}"
        );
        // Its NAPI thread is pinned to the CPU the ends say (other runs'
        // threads of the same name may be about too: any one).
        if want && vethbench::sys::cpu::allowed().len() >= 2 {
            let cpu = ends.napi_cpu.expect("the NAPI thread's CPU");
            let pinned = vethbench::link::offload::napi_threads("vbrx")
                .into_iter()
                .filter_map(|pid| nix::sched::sched_getaffinity(pid).ok())
                .any(|set| {
                    (0..nix::sched::CpuSet::count())
                        .filter(|&c| set.is_set(c).unwrap_or(false))
                        .eq([cpu])
                });
            assert!(pinned, "no napi/vbrx-N thread pinned to CPU {cpu}");
        } else {
            assert_eq!(ends.napi_cpu, None, "{mode:?}");
        }
    }
}

/// Errors of the offload calls name the interface, on one line.
#[test]
fn offload_errors_name_the_interface() {
    if !common::require_root!() {
        return;
    }
    use vethbench::link::offload::{self, Offload};
    let e = common::in_private_netns(|| offload::get("vbnone0", Offload::Gro).unwrap_err());
    assert_eq!(e.to_string(), "interface 'vbnone0' does not exist");
    let e = common::in_private_netns(|| {
        let ns = vethbench::link::Netns::open_or_current(None).unwrap();
        offload::threaded(&ns, "vbnone0").unwrap_err()
    });
    assert_eq!(e.to_string(), "interface 'vbnone0' does not exist");
}

/// The per-frame receive path allocates nothing per frame (this thread's allocations are
/// counted by the allocator of `hot_path`).
#[test]
fn recv_source_allocates_nothing_per_frame() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        use vethbench::harness::FrameSource;
        use vethbench::link::Netns;
        common::veth_pair("vb0", "vb1");
        let ns = Netns::open_or_current(None).unwrap();
        let mut src = harness::ends::open_recv(&ns, "vb1", 256, false).unwrap();
        let mut tx = vethbench::sock::tx::TxSocket::open("vb0").unwrap();
        let frame = udp4(&[7; 100]);
        // Warm up (first SO_RCVTIMEO, lazy statics).
        tx.send(&frame).unwrap();
        let mut n = src.poll(Duration::from_secs(1), &mut |_, _| {}).unwrap();
        let before = hot_path::allocs();
        let mut bytes = 0usize;
        for _ in 0..500 {
            tx.send(&frame).unwrap();
            n += src
                .poll(Duration::from_secs(1), &mut |f, _| bytes += f.len())
                .unwrap();
        }
        assert_eq!(
            hot_path::allocs() - before,
            0,
            "allocations per received frame"
        );
        assert_eq!(n, 501);
        assert_eq!(bytes, 500 * frame.len());
    });
}
