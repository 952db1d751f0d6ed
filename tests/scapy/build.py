#!/usr/bin/env python3
"""Scapy's reference bytes for vethbench's expression tests (issue 10).

Reads one Scapy expression per line on stdin; for each prints one line:
  the frames' `raw(pkt).hex()` joined by spaces (`fragment(...)` gives several; none: empty
  line), or `ERROR <ExceptionName>: <message>`.
Output is flushed per line, so a caller can drive one Scapy process for all its cases.
Run it only inside a namespace of your own (`unshare -n python3 tests/scapy/build.py`): Scapy
fills unset addresses from the host's routes, and a fresh namespace makes them the fallbacks
vethbench uses with no surroundings (`NoEnv`).
"""
import sys
import warnings

warnings.filterwarnings("ignore")
import logging

logging.getLogger("scapy").setLevel(logging.ERROR)
from scapy.all import *  # noqa: E402,F401,F403
from scapy.all import load_contrib, raw  # noqa: E402

load_contrib("mpls")
from scapy.contrib.mpls import *  # noqa: E402,F401,F403
from scapy.layers.inet import fragment  # noqa: E402,F401  (scapy.all's may be another one)

for c in ("geneve", "erspan", "nsh", "pim"):
    try:
        load_contrib(c)
    except Exception:
        pass

print("ready " + __import__("scapy").VERSION, flush=True)
for line in sys.stdin:
    expr = line.rstrip("\n")
    try:
        p = eval(expr)
        frames = p if isinstance(p, list) else [p]
        print(" ".join(raw(x).hex() for x in frames), flush=True)
    except Exception as e:  # noqa: BLE001
        msg = str(e).replace("\n", " ")
        print(f"ERROR {type(e).__name__}: {msg}", flush=True)
