#!/usr/bin/python3
"""Scapy as a build oracle: one expression per line on stdin, one answer per line on stdout.

Each line is a Scapy expression as vethbench accepts it (`Ether(...)/IP(...)/"x"`, or
`fragment(..., fragsize=N)`). The answer is `raw(pkt).hex()`, several hex strings separated by
spaces when the expression gives a list of packets (fragment), or `ERR <message>` when Scapy
refuses it. Run with Debian's python3-scapy inside a network namespace of its own
(`unshare -n /usr/bin/python3 tests/scapy/build.py`): every address must be given, so nothing
depends on the host's interfaces or routes.
"""
import logging
import sys

logging.getLogger("scapy").setLevel(logging.CRITICAL)

from scapy.all import *  # noqa: E402,F401,F403
from scapy.all import raw, conf  # noqa: E402
from scapy.contrib.mpls import MPLS  # noqa: E402,F401  (contrib: not in scapy.all)

conf.verb = 0
NS = {k: v for k, v in globals().items() if not k.startswith("__")}


def answer(line):
    try:
        pkt = eval(line, NS)
        if isinstance(pkt, (list, tuple, PacketList)):
            return " ".join(raw(p).hex() for p in pkt) or "ERR no packets"
        if isinstance(pkt, (bytes, str)):
            return "ERR not a packet"
        return raw(pkt).hex()
    except Exception as e:  # Scapy refuses it: the caller skips the case
        msg = f"{type(e).__name__}: {e}".replace("\n", " ")
        return f"ERR {msg}"


for line in sys.stdin:
    line = line.rstrip("\n")
    if not line:
        continue
    sys.stdout.write(answer(line) + "\n")
    sys.stdout.flush()
