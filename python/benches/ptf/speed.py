"""The PTF tests python/benches/ptf_speed.py times (ports 0 and 1 of python/tests/ptf/topo.py:
a router namespace between them)."""
import os

import ptf
import ptf.testutils as tu
from ptf.base_tests import BaseTest
from ptf.mask import Mask

R0 = "02:00:00:00:00:10"
H0 = "02:00:00:00:01:00"
N_ONE = int(os.environ.get("VB_PTF_N_ONE", "10000"))
N_BURST = 2000


def frame(sport):
    return tu.simple_udp_packet(eth_dst=R0, eth_src=H0, ip_src="198.18.0.2",
                                ip_dst="198.18.1.2", udp_sport=sport, pktlen=100)


def expected(pkt):
    """A Mask of the frame that ignores what the router rewrites: the MACs (bytes 0-11), the
    TTL (byte 22) and the header checksum (bytes 24-25), given by offset as suites often do."""
    exp = Mask(pkt)
    exp.set_do_not_care(0, 96)
    exp.set_do_not_care(22 * 8, 8)
    exp.set_do_not_care(24 * 8, 16)
    return exp


class OneAtATime(BaseTest):
    """Send a frame, verify it came out of the router, N_ONE times."""

    def runTest(self):
        self.dataplane = ptf.dataplane_instance
        for i in range(N_ONE):
            pkt = frame(1024 + i)
            tu.send_packet(self, 0, pkt)
            tu.verify_packet(self, expected(pkt), 1)
        tu.verify_no_other_packets(self)


class Burst(BaseTest):
    """Send N_BURST frames back to back, then verify each, in order."""

    def runTest(self):
        self.dataplane = ptf.dataplane_instance
        pkts = [frame(1024 + i) for i in range(N_BURST)]
        for pkt in pkts:
            tu.send_packet(self, 0, pkt)
        for pkt in pkts:
            tu.verify_packet(self, expected(pkt), 1)
        tu.verify_no_other_packets(self)
