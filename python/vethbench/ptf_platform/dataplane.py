"""The vethbench platform's PTF dataplane: PTF's ``DataPlane`` with the receive side moved out of
its background thread and into the test's own calls.

PTF's dataplane has a thread that wakes for every frame, copies it into a per-port Python list
(100 frames, the oldest dropped first: ``--qlen``) and hands it to the test through a condition
variable, every step in Python under the GIL the test needs too. Here the frames wait in the
kernel, in each port's socket queue (16 MiB, with kernel timestamps; see
:class:`vethbench.Port`), until ``poll()`` (``verify_packet`` and every other ``verify_*``)
reads them, in the caller's thread: no thread hand-off per frame, and a burst sent before it
is verified is all there (the kernel counts a drop only when 16 MiB is full).

What a test sees is PTF's: ``poll()`` takes the same arguments, returns PTF's ``PollSuccess`` /
``PollFailure`` and matches with PTF's rules (``match_exp_pkt``: a ``Mask``, or the bytes, with
the padding of short expected frames ignored; the filters); ``flush()`` also drops what the
kernel still holds; ``send``, counters, pcap writing, ``get_mac``, ``port_up/down`` are PTF's.
Frames are dequeued in arrival order per port and, across ports, oldest first (by the kernel's
receive timestamps).
"""
import select
import time
from collections import deque

import ptf.dataplane
from ptf import mask as _mask
from ptf import ptfutils


def _matcher(exp_pkt):
    """``match_exp_pkt(exp_pkt, ·)`` as a function, the expected bytes built once (PTF's
    ``Mask.pkt_match`` rebuilds the Scapy packet for every frame it looks at)."""
    if exp_pkt is None:
        return lambda pkt: True
    if isinstance(exp_pkt, _mask.Mask):
        if not exp_pkt.is_valid():
            return lambda pkt: False
        size = exp_pkt.size
        extra_ok = exp_pkt.ignore_extra_bytes
        e = bytes(exp_pkt.exp_pkt)[:size]
        if len(e) < size or len(exp_pkt.mask) < size:
            return lambda pkt: exp_pkt.pkt_match(pkt)  # PTF's own (and its own errors)
        m = int.from_bytes(bytes(exp_pkt.mask[:size]), "big")
        want = int.from_bytes(e, "big") & m

        def match_mask(pkt):
            n = len(pkt)
            if n < size or (n != size and not extra_ok):
                return False
            return int.from_bytes(pkt[:size], "big") & m == want

        return match_mask
    e = bytes(exp_pkt)
    if len(e) < 60:
        return lambda pkt: pkt[: len(e)] == e
    return lambda pkt: pkt == e


class VethbenchDataPlane(ptf.dataplane.DataPlane):
    """PTF's ``DataPlane`` whose ports are :class:`vethbench.ptf_platform.VethbenchPort` and
    whose frames are read by ``poll()`` itself."""

    def run(self):
        # No receive loop: the thread only lives until kill() (port_add/remove wake it).
        while not self.killed:
            self.waker.wait()

    def _take(self, port_id, port):
        """The next frame of one port from the kernel, counted and written to the pcap."""
        got = port.port.recv(0)
        if got is None:
            return None
        data, ts_ns = got
        ts = ts_ns / 1e9
        self.rx_counters[port_id] += 1
        if self.pcap_writer:
            self.pcap_writer.write(data, ts, port_id[0], port_id[1])
        return data, ts

    def _frames(self, device, port):
        """Frames in PTF's order: those already queued, then what the kernel holds."""
        if port is not None:
            port_id = (device, port)
            queue = self.packet_queues.get(port_id)
            if queue is None:
                return
            while queue:
                pkt, ts = queue.pop(0)
                yield port, pkt, ts
            p = self.ports[port_id]
            while True:
                got = self._take(port_id, p)
                if got is None:
                    return
                yield port, got[0], got[1]
        # Every port of the device: queue what the kernel holds, then the oldest first.
        for port_id, p in list(self.ports.items()):
            if port_id[0] != device:
                continue
            queue = self.packet_queues[port_id]
            while True:
                got = self._take(port_id, p)
                if got is None:
                    break
                queue.append(got)
        for item in self.packets(device, None):
            yield item

    def _wait(self, device, port, timeout):
        if port is not None:
            p = self.ports.get((device, port))
            fds = [p] if p is not None else []
        else:
            fds = [p for (d, _), p in self.ports.items() if d == device]
        if fds:
            select.select(fds, [], [], max(timeout, 0))
        else:
            time.sleep(max(timeout, 0))

    def poll(self, device_number=0, port_number=None, timeout=None, exp_pkt=None, filters=[]):
        """PTF's ``DataPlane.poll`` (same arguments, results and matching), reading the
        ports' kernel queues directly."""
        if timeout is None:
            timeout = ptfutils.default_timeout
        if exp_pkt is not None and port_number is None:
            self.logger.warning("Dataplane poll with exp_pkt but no port number")
        match = _matcher(exp_pkt)
        recent = deque(maxlen=ptf.dataplane.DataPlane.POLL_MAX_RECENT_PACKETS)
        count = 0
        end = time.time() + timeout
        while True:
            with self.cvar:
                for rcv_port, pkt, ts in self._frames(device_number, port_number):
                    recent.append(pkt)
                    count += 1
                    if not all(f(pkt) for f in filters):
                        continue
                    if match(pkt):
                        return self.PollSuccess(device_number, rcv_port, pkt, exp_pkt, ts)
            remaining = end - time.time()
            if remaining <= 0:
                return self.PollFailure(exp_pkt, recent, count)
            self._wait(device_number, port_number, remaining)

    def flush(self):
        """Drop every queued frame: PTF's queues and the kernel's."""
        with self.cvar:
            for port_id, p in list(self.ports.items()):
                self.packet_queues[port_id] = []
                p.flush()
