"""Fixtures of the frame tests: Scapy as the reference, run in a namespace of its own."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


class Scapy:
    """One Scapy process (``scapy_worker.py`` under ``unshare -n``) answering expressions."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["unshare", "-n", sys.executable, str(HERE / "scapy_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = json.loads(self.proc.stdout.readline())
        self.version = ready["ready"]

    def eval(self, expr):
        """The value of ``expr`` in the worker; bytes come back as bytes."""
        self.proc.stdin.write(json.dumps(expr) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise AssertionError("Scapy: %s\n  for %s" % (answer["error"], expr))
        return unplain(answer["ok"])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def unplain(v):
    if isinstance(v, dict) and set(v) == {"hex"}:
        return bytes.fromhex(v["hex"])
    if isinstance(v, list):
        return [unplain(x) for x in v]
    if isinstance(v, dict):
        return {k: unplain(x) for k, x in v.items()}
    return v


@pytest.fixture(scope="session")
def scapy():
    if shutil.which("unshare") is None or os.geteuid() != 0:
        why = "Scapy runs inside `unshare -n` (needs root and util-linux)"
        if os.environ.get("VETHBENCH_REQUIRE_ROOT") == "1":
            pytest.fail(why)
        pytest.skip(why)
    try:
        import scapy  # noqa: F401
    except ImportError:
        pytest.skip("Scapy is not installed (Debian: python3-scapy)")
    s = Scapy()
    yield s
    s.close()
