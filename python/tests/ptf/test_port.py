"""vethbench.Port on a veth pair in a namespace of its own (opened by path, /proc/PID/ns/net)."""
import os
import signal
import threading
import time

import pytest

from topo import Netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, AF_PACKET)")

FRAME = ('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")'
         '/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(dport=9)/"port"')


@pytest.fixture
def pair():
    from vethbench._native import Port

    ns = Netns()
    try:
        ns.sh("ip link add veth1 type veth peer name veth2\nip link set veth1 up\n"
              "ip link set veth2 up\n"
              "until ip link show dev veth1 | grep -q LOWER_UP; do sleep 0.01; done")
        yield Port("veth1", netns=ns.path), Port("%s:veth2" % ns.path)
    finally:
        ns.close()


def test_send_recv_own_frames_ignored(pair):
    a, b = pair
    n = a.send(FRAME)
    data, ts = b.recv(2.0)
    assert len(data) == n and data[:6] == bytes.fromhex("020000000002")
    # Neither the sender's own port nor the receiver (which sent nothing) sees it twice.
    assert a.recv(0.2) is None
    assert b.recv(0.2) is None


def test_kernel_timestamp_is_the_arrival(pair):
    a, b = pair
    before = time.time_ns()
    a.send(FRAME)
    time.sleep(0.3)
    data, ts = b.recv(2.0)
    read = time.time_ns()
    # Stamped when it arrived, not when it was read 0.3 s later.
    assert before <= ts <= read - 250_000_000, (before, ts, read)


def test_batch_and_flush(pair):
    a, b = pair
    assert a.send_batch([FRAME] * 500) == 500
    time.sleep(0.2)
    assert b.flush() == 500
    assert b.recv(0.1) is None
    assert b.drops == 0


def test_recv_interrupted_by_ctrl_c(pair):
    _, b = pair
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    t = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        b.recv(None)
    assert time.monotonic() - t < 5


def test_scapy_packet_in(pair):
    from scapy.all import IP, UDP, Ether, raw

    a, b = pair
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(
        src="198.18.0.1", dst="198.18.0.2") / UDP(dport=9)
    a.send(p)
    assert b.recv(2.0)[0][: len(raw(p))] == raw(p)


def test_refusals():
    from vethbench._native import Port

    with pytest.raises(OSError, match="does not exist"):
        Port("vbnoiface")
    with pytest.raises(OSError, match="IFNAMSIZ"):
        Port("vb-no-such-interface")
    with pytest.raises(OSError, match="does not exist"):
        Port("veth1", netns="vb-no-such-netns")
