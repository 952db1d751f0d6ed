"""A PTF test directory as PTF suites write them (nothing vethbench-specific): it runs unchanged
on PTF's default platform and on the vethbench platform (python/tests/ptf/test_ptf.py runs it
through the real ``ptf`` command on both).

Ports (see python/tests/ptf/topo.py): 0 and 1 are the two sides of a router namespace
(198.18.0.0/24 on port 0, 198.18.1.0/24 on port 1); 2, 3 and 4 are ports of a bridge.
"""
import time

import ptf
import ptf.dataplane
import ptf.testutils as tu
from ptf.base_tests import BaseTest
from ptf.mask import Mask
from scapy.all import IP, UDP, Ether

# The router's MACs and the hosts' (fixed by the topology).
R0 = "02:00:00:00:00:10"
R1 = "02:00:00:00:00:11"
H0 = "02:00:00:00:01:00"
H1 = "02:00:00:00:01:01"
H2 = "02:00:00:00:01:02"
H4 = "02:00:00:00:01:04"


def routed(ttl=64, sport=1234, eth_src=H0, eth_dst=R0):
    return tu.simple_udp_packet(
        eth_dst=eth_dst, eth_src=eth_src, ip_src="198.18.0.2", ip_dst="198.18.1.2",
        ip_ttl=ttl, udp_sport=sport, pktlen=100,
    )


class Base(BaseTest):
    def setUp(self):
        BaseTest.setUp(self)
        self.dataplane = ptf.dataplane_instance
        self.dataplane.flush()

    def tearDown(self):
        tu.verify_no_other_packets(self)
        BaseTest.tearDown(self)


class Routed(Base):
    """send_packet on port 0, verify_packet of the exact routed frame on port 1."""

    def runTest(self):
        for sport in range(1000, 1010):
            tu.send_packet(self, 0, routed(sport=sport))
            tu.verify_packet(self, routed(ttl=63, sport=sport, eth_src=R1, eth_dst=H1), 1)


class RoutedMask(Base):
    """A Mask that ignores what the router rewrites (MACs, TTL, checksum)."""

    def runTest(self):
        exp = Mask(routed(sport=7))
        exp.set_do_not_care_packet(Ether, "src")
        exp.set_do_not_care_packet(Ether, "dst")
        exp.set_do_not_care_packet(IP, "ttl")
        exp.set_do_not_care_packet(IP, "chksum")
        tu.send_packet(self, 0, routed(sport=7))
        tu.verify_packet(self, exp, 1)
        # The same mask refuses a frame that differs where it does care (verify_no_packet
        # drops what it looks at, so the check comes first).
        tu.send_packet(self, 0, routed(sport=8))
        res = tu.dp_poll(self, port_number=1, timeout=2)
        self.assertIsInstance(res, self.dataplane.PollSuccess)
        self.assertFalse(ptf.dataplane.match_exp_pkt(exp, res.packet))
        self.assertEqual(res.packet, bytes(routed(ttl=63, sport=8, eth_src=R1, eth_dst=H1)))


class Expired(Base):
    """TTL 1 is not forwarded: nothing on port 1; the router's ICMP time-exceeded comes back
    on port 0 (and verify_no_other_packets sees nothing else)."""

    def runTest(self):
        tu.send_packet(self, 0, routed(ttl=1, sport=9))
        tu.verify_no_packet(self, routed(ttl=0, sport=9, eth_src=R1, eth_dst=H1), 1, timeout=0.2)
        res = tu.dp_poll(self, port_number=0, timeout=2)
        self.assertIsInstance(res, self.dataplane.PollSuccess)
        icmp = Ether(res.packet)
        self.assertEqual(icmp[IP].proto, 1)
        self.assertEqual(icmp[IP].src, "198.18.0.1")


class Flush(Base):
    """dataplane.flush() drops what was queued."""

    def runTest(self):
        for sport in range(2000, 2005):
            tu.send_packet(self, 0, routed(sport=sport))
        tu.verify_packet(self, routed(ttl=63, sport=2004, eth_src=R1, eth_dst=H1), 1)
        tu.send_packet(self, 0, routed(sport=2005))
        time.sleep(0.2)
        self.dataplane.flush()
        tu.verify_no_other_packets(self, timeout=0.2)


class Timestamps(Base):
    """Received frames carry a receive time between the send and the verification."""

    def runTest(self):
        before = time.time()
        tu.send_packet(self, 0, routed(sport=11))
        res = tu.dp_poll(self, port_number=1, timeout=2,
                         exp_pkt=routed(ttl=63, sport=11, eth_src=R1, eth_dst=H1))
        after = time.time()
        self.assertIsInstance(res, self.dataplane.PollSuccess)
        self.assertTrue(before <= res.time <= after, (before, res.time, after))


class BridgeFlood(Base):
    """Multi-port: a broadcast into port 2 floods to ports 3 and 4 (verify_packets), then a
    frame to a learnt MAC goes to port 4 only (verify_packet_any_port)."""

    def runTest(self):
        bcast = tu.simple_udp_packet(eth_dst="ff:ff:ff:ff:ff:ff", eth_src=H2,
                                     ip_src="198.18.2.2", ip_dst="198.18.2.255")
        tu.send_packet(self, 2, bcast)
        tu.verify_packets(self, bcast, [3, 4])
        # Port 4's host speaks: the bridge learns H4 (and floods this one to 2 and 3).
        hello = tu.simple_udp_packet(eth_dst="ff:ff:ff:ff:ff:ff", eth_src=H4,
                                     ip_src="198.18.2.4", ip_dst="198.18.2.255")
        tu.send_packet(self, 4, hello)
        tu.verify_packets(self, hello, [2, 3])
        uni = tu.simple_udp_packet(eth_dst=H4, eth_src=H2, ip_src="198.18.2.2",
                                   ip_dst="198.18.2.4")
        tu.send_packet(self, 2, uni)
        index, _ = tu.verify_packet_any_port(self, uni, [3, 4])
        self.assertEqual(index, 1)
