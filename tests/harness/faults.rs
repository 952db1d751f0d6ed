//! Faults a run must report or refuse: MTU, physical links, a link going down, foreign frames.

use super::*;

/// Frames larger than the receiver's MTU are dropped by the kernel: reported lost.
#[test]
fn over_mtu_frames_are_lost() {
    if !common::require_root!() {
        return;
    }
    let r = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        common::run_ok("ip", &["link", "set", "vb0", "mtu", "9000"]);
        // vb1 keeps 1500: veth drops what exceeds the peer's MTU.
        let p = TestPlan {
            frame_len: 3000,
            ..plan("vb0", "vb1", 100)
        };
        harness::launch(&p).unwrap().wait().unwrap()
    });
    assert!(!r.passed());
    assert_eq!(r.sent, 100, "{r}");
    assert_eq!(r.lost, 100, "{r}");
    // The kernel refused them on transmit (ENOBUFS): the report says where they went.
    assert_eq!(r.kernel_drops, 100, "{r}");
}

/// Frames over the sender's own MTU are refused before anything is sent, in one line.
#[test]
fn frames_over_the_senders_mtu_are_refused_up_front() {
    if !common::require_root!() {
        return;
    }
    let err = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        let p = TestPlan {
            frame_len: 3000,
            ..plan("vb0", "vb1", 10)
        };
        match harness::launch(&p) {
            Ok(_) => panic!("a 3000-byte frame on a 1500-MTU link was accepted"),
            Err(e) => e.to_string(),
        }
    });
    assert!(
        err.contains("too large for 'vb0'") && err.contains("MTU 1500"),
        "{err}"
    );
}

/// The traffic rule: a link that may reach a physical network (here a bridge) is refused.
#[test]
fn a_link_that_may_reach_a_physical_network_is_refused() {
    if !common::require_root!() {
        return;
    }
    let err = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        common::run_ok("ip", &["link", "add", "vbr0", "type", "bridge"]);
        common::run_ok("ip", &["link", "set", "vbr0", "up"]);
        match harness::launch(&plan("vbr0", "vb1", 10)) {
            Ok(_) => panic!("the harness agreed to send on a bridge"),
            Err(e) => e.to_string(),
        }
    });
    assert!(
        err.contains("refusing to send on 'vbr0' (kind bridge)"),
        "{err}"
    );
}

/// A link set down mid-run shows as loss.
#[test]
fn link_down_mid_run_is_loss() {
    if !common::require_root!() {
        return;
    }
    let r = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        let p = TestPlan {
            stream: StreamConfig {
                count: Some(20_000),
                rate_pps: Some(50_000.0),
                ..StreamConfig::default()
            },
            ..plan("vb0", "vb1", 0)
        };
        let run = harness::launch(&p).unwrap();
        // Down once a quarter has gone (progress, not a clock), up again later.
        while run.progress().sent < 5_000 {
            std::thread::yield_now();
        }
        common::run_ok("ip", &["link", "set", "vb1", "down"]);
        while run.progress().sent < 10_000 {
            std::thread::yield_now();
        }
        common::run_ok("ip", &["link", "set", "vb1", "up"]);
        run.wait().unwrap()
    });
    assert!(!r.passed());
    assert!(r.lost > 0, "{r}");
    assert_eq!(r.corrupted + r.duplicated, 0, "{r}");
}

/// A frame injected by a third party (Scapy, on the same interface) shows as unexpected.
#[test]
fn third_party_frame_is_unexpected() {
    if !common::require_root!() {
        return;
    }
    let r = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        // Long enough for Python to start; stopped as soon as Scapy has sent.
        let p = TestPlan {
            stream: StreamConfig {
                count: Some(2_000_000),
                rate_pps: Some(20_000.0),
                ..StreamConfig::default()
            },
            ..plan("vb0", "vb1", 0)
        };
        let run = harness::launch(&p).unwrap();
        common::run_ok(
            "/usr/bin/python3",
            &[
                "-c",
                "from scapy.all import Ether, IP, UDP, sendp; \
                 sendp(Ether(src='02:00:00:00:00:09', dst='02:00:00:00:00:02')/\
                 IP(src='198.18.0.9', dst='198.18.0.2')/UDP(sport=9, dport=9)/(b'x'*40), \
                 iface='vb0', verbose=False)",
            ],
        );
        run.stop();
        run.wait().unwrap()
    });
    assert!(!r.passed(), "{r}");
    assert_eq!(r.unexpected, 1, "{r}");
    assert_eq!(r.lost, 0, "{r}");
}
