"""The vethbench platform of PTF (the P4/SONiC Packet Test Framework).

Run an existing PTF test directory on it unchanged::

    ptf --platform-dir "$(python3 -m vethbench.ptf_platform)" --platform vethbench \\
        --test-dir TESTS --interface 0@veth1 --interface 1@veth3

``python3 -m vethbench.ptf_platform`` prints the directory PTF loads the platform from. Each
``--interface N@IFACE`` becomes a :class:`VethbenchPort`: a :class:`vethbench.Port` (receive
socket bound before PTF starts, the port's own frames never received, kernel receive
timestamps). ``IFACE`` may name another network namespace, ``N@NS:IFACE`` (a name in
/run/netns, a path, or ``pid:PID``), so ptf itself can run anywhere.

What differs from PTF's default platform, and why:

- Frames a port sends are not queued on it (PACKET_IGNORE_OUTGOING): PTF's default socket
  queues every frame it sends on the sending port too, which ``verify_no_other_packets`` must
  then skip and which fills that port's queue.
- The timestamp PTF keeps with each frame is the kernel's receive time, not the time PTF's
  thread read it.
- Unless ``--qlen`` is given, PTF's per-port queue keeps 100000 frames instead of 100, so a
  test may send a burst and verify it afterwards (the kernel keeps up to 16 MiB of frames per
  port until PTF's thread reads them; drops are counted in ``VethbenchPort.drops()``).

Nothing here imports PTF: PTF's dataplane calls the port class by its methods.
"""
import os
import sys
import time

#: The directory to give ``ptf --platform-dir`` (it holds ``vethbench.py``).
DIR = os.path.dirname(os.path.abspath(__file__))

#: PTF's per-port queue length when ``--qlen`` is not given (PTF's own default is 100).
QLEN = 100000

__all__ = ["DIR", "QLEN", "VethbenchPort", "platform_config_update"]


class VethbenchPort:
    """A PTF dataplane port (``config["dataplane"]["portclass"]``) backed by
    :class:`vethbench.Port`.

    It is its own packet source: PTF's dataplane thread selects on :meth:`fileno` and calls
    :meth:`recv` when a frame is queued.
    """

    def __init__(self, interface_name, device_number, port_number, config=None):
        from vethbench._native import Port

        self.interface_name = interface_name
        self.device_number = device_number
        self.port_number = port_number
        self.port = Port(interface_name)
        self._recv = self.port.recv
        self._send = self.port.send

    # DataPlanePacketSourceIface
    def fileno(self):
        return self.port.fileno()

    def recv(self):
        """One queued frame as PTF wants it: (device, port, bytes, kernel timestamp in s)."""
        got = self._recv(0)
        if got is None:
            # Another reader (a flush) took it between select() and here.
            return None
        data, ts_ns = got
        return (self.device_number, self.port_number, data, ts_ns / 1e9)

    # DataPlanePortIface
    def get_packet_source(self):
        return self

    def send(self, packet):
        """Send one frame (bytes or a Scapy packet); returns its length."""
        return self._send(packet)

    def send_batch(self, packets):
        """Send frames back to back, one ``sendmmsg`` per 64; returns how many were sent."""
        return self.port.send_batch(packets)

    def flush(self):
        """Drop what the kernel still queues for this port (PTF's ``dataplane.flush()``
        clears only PTF's queues)."""
        return self.port.flush()

    def drops(self):
        """Frames the kernel dropped on this port because its queue was full."""
        return self.port.drops

    def mac(self):
        return self.port.mac()

    def down(self):
        self._ip_link("down")

    def up(self):
        self._ip_link("up")

    def _ip_link(self, state):
        import subprocess

        ns = self.port.netns
        cmd = ["ip"] + (["-n", ns] if ns else []) + ["link", "set", "dev", self.port.name, state]
        subprocess.run(cmd, check=True)

    def __repr__(self):
        return "VethbenchPort(%r, device %d, port %d)" % (
            self.interface_name,
            self.device_number,
            self.port_number,
        )


def _qlen_given(argv):
    return any(a == "--qlen" or a.startswith("--qlen=") for a in argv)


def platform_config_update(config):
    """PTF's platform hook: the port map from ``--interface`` (like PTF's ``eth`` platform),
    :class:`VethbenchPort` as the dataplane's port class, and the dataplane.

    By default PTF's ``ptf.dataplane.DataPlane`` is replaced by
    :class:`vethbench.ptf_platform.dataplane.VethbenchDataPlane` (frames read by ``poll()``
    from the kernel, no receive thread). ``--platform-args dataplane=ptf`` keeps PTF's own
    dataplane and thread, with only the port class changed (and, unless ``--qlen`` is given, a
    per-port queue of QLEN frames).
    """
    port_map = {}
    for device, port, interface in config["interfaces"]:
        port_map[(device, port)] = interface
    if not port_map:
        sys.exit("vethbench: the vethbench platform needs --interface PORT@IFACE (one per port)")
    config["port_map"] = port_map
    config.setdefault("dataplane", {})["portclass"] = VethbenchPort
    args = _platform_args(config.get("platform_args"))
    which = args.get("dataplane", "vethbench")
    if which == "vethbench":
        import ptf.dataplane

        from vethbench.ptf_platform.dataplane import VethbenchDataPlane

        ptf.dataplane.DataPlane = VethbenchDataPlane
    elif which != "ptf":
        sys.exit("vethbench: --platform-args dataplane=%s: expected vethbench or ptf" % which)
    if which == "ptf" and not _qlen_given(sys.argv):
        config["qlen"] = QLEN


def _platform_args(text):
    """``key=value,key=value`` (PTF passes --platform-args through as one string)."""
    out = {}
    for item in (text or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            sys.exit("vethbench: --platform-args %r: expected key=value" % item)
        out[key.strip()] = value.strip()
    return out
