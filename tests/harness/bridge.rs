//! Several namespaces on a Linux bridge, driven through the `Testbench` API.

use super::*;
use vethbench::link::{veth, Netns, PrivateNetns, VethPairSpec};

/// Three namespaces on a Linux bridge: a broadcast from one host reaches the other two,
/// unchanged, and is not sent back to its sender. (The bridge is made with `ip`, which
/// speaks netlink; the link module has no bridge API yet.)
#[test]
fn bridge_floods_to_the_other_two() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        let here = Netns::current().unwrap();
        common::run_ok("ip", &["link", "add", "br0", "type", "bridge"]);
        let hosts: Vec<PrivateNetns> = (0..3).map(|_| PrivateNetns::new().unwrap()).collect();
        let mut tb = Testbench::new();
        let mut ends = Vec::new();
        for (i, h) in hosts.iter().enumerate() {
            let (port, host) = (format!("port{i}"), format!("h{i}"));
            veth::create(&VethPairSpec::new(&port, &host), &here, h.netns()).unwrap();
            common::run_ok("ip", &["link", "set", &port, "master", "br0"]);
            ends.push(tb.open_end(h.netns(), &host).unwrap());
        }
        common::run_ok("ip", &["link", "set", "br0", "up"]);
        let mut f = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 0x11], [0xff; 6])
            .ipv4([198, 18, 0, 1], [198, 18, 0, 255], 64)
            .udp(1, 2)
            .write(&mut f, b"flood me")
            .unwrap();
        // A port may still be entering the forwarding state: retry the first frame.
        let mut delivered = false;
        for _ in 0..50 {
            tb.send(ends[0], &f).unwrap();
            if tb
                .expect(ends[1], f.clone(), Duration::from_millis(100))
                .is_ok()
            {
                delivered = true;
                break;
            }
        }
        assert!(delivered, "the bridge never forwarded");
        tb.expect(ends[2], f.clone(), Duration::from_secs(1))
            .unwrap();
        for e in ends.iter().skip(1) {
            tb.clear_pending(*e);
        }
        // Now a clean round: exactly one copy at each other host, none back at the sender.
        tb.send(ends[0], &f).unwrap();
        tb.expect(ends[1], f.clone(), Duration::from_secs(1))
            .unwrap();
        tb.expect(ends[2], f.clone(), Duration::from_secs(1))
            .unwrap();
        for e in &ends {
            tb.expect_no_other(*e, Duration::from_millis(100)).unwrap();
        }
        drop(tb);
        drop(hosts);
    });
}
