"""Scapy, the reference, for python/tests/frames: one process run inside a network namespace of
its own (``unshare -n``, so no host route fills an address), with ``vethbench`` importable.

Reads one JSON string per line on stdin, a Python expression evaluated with ``scapy.all``,
``raw``, ``vethbench`` and Scapy's MPLS in scope; answers one JSON line per expression:
``{"ok": VALUE}`` (bytes as ``{"hex": ...}``, lists and dicts as JSON) or
``{"error": "Name: message"}``.
"""
import json
import logging
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("scapy").setLevel(logging.ERROR)
from scapy.all import *  # noqa: E402,F401,F403
from scapy.all import load_contrib, raw  # noqa: E402,F401

load_contrib("mpls")
from scapy.contrib.mpls import *  # noqa: E402,F401,F403
from scapy.layers.inet import fragment  # noqa: E402,F401

import vethbench  # noqa: E402,F401


def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)


print(json.dumps({"ready": __import__("scapy").VERSION}), flush=True)
for line in sys.stdin:
    expr = json.loads(line)
    try:
        out = {"ok": plain(eval(expr))}
    except Exception as e:  # noqa: BLE001
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(out), flush=True)
