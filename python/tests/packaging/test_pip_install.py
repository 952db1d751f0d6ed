"""SLOW (it builds the crate): README's install command, ``pip install ./python``, into a fresh
``/usr/bin/python3 -m venv --system-site-packages`` venv in a scratch directory: it installs,
``import vethbench`` imports the installed copy (not the checkout's), ``vethbench.frame()``
equals Scapy's ``raw()`` (Debian's Scapy, seen through the system site packages), the
extension is the abi3 one, and the ``pytest11`` entry point of the plugin is registered.

pip builds the wheel with its own isolated maturin (from PyPI) in the checkout's target
directory (``CARGO_TARGET_DIR``, else ``target/``), with the ``dev`` profile
(``MATURIN_PEP517_ARGS=--profile dev``) so that it reuses what the test command's
``maturin develop`` built instead of an optimised build from scratch (22 minutes on a loaded
2-CPU machine); ``VETHBENCH_PIP_PROFILE=release`` builds exactly what a user's ``pip install``
builds. Deselect it with ``-m "not slow"``.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

EXPR = ('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")'
        '/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1111, dport=9)/"pip"')

CHECK = """
import importlib.metadata as md, os, sys
import vethbench, vethbench._native as native
from scapy.all import Ether, IP, UDP, raw
assert os.path.realpath(vethbench.__file__).startswith(os.path.realpath(sys.prefix)), vethbench.__file__
assert native.__file__.endswith(".abi3.so"), native.__file__
expr = %r
pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1111, dport=9) / "pip"
assert vethbench.frame(expr) == raw(pkt), (vethbench.frame(expr).hex(), raw(pkt).hex())
assert vethbench.frame(pkt) == raw(pkt)
eps = [e for e in md.entry_points(group="pytest11") if e.name == "vethbench"]
assert [e.value for e in eps] == ["vethbench.pytest_plugin"], eps
assert md.version("vethbench") == "0.1.0"
print("installed", vethbench.__file__)
""" % EXPR


def needs(ok, why):
    if ok:
        return
    if os.environ.get("VETHBENCH_REQUIRE_ROOT") == "1":
        pytest.fail(why)
    pytest.skip(why)


@pytest.mark.slow
def test_pip_install_into_a_fresh_venv(tmp_path):
    needs(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare (Scapy runs in a namespace of its own)")
    needs(shutil.which("cargo"), "needs cargo (pip builds the extension)")
    needs(os.path.exists("/usr/bin/python3"), "needs /usr/bin/python3")
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    env = dict(os.environ)
    for k in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(k, None)
    env["CARGO_TARGET_DIR"] = os.environ.get("CARGO_TARGET_DIR") or str(ROOT / "target")
    env["MATURIN_PEP517_ARGS"] = "--profile %s" % os.environ.get("VETHBENCH_PIP_PROFILE", "dev")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "./python"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, "pip install ./python exits %d:\n%s%s" % (done.returncode, done.stdout, done.stderr)
    # From the scratch directory (the checkout's python/ is not on sys.path), in a namespace of
    # its own (Scapy resolves no host route).
    done = subprocess.run(["unshare", "-n", str(venv / "bin" / "python"), "-c", CHECK], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "installed %s" % venv in done.stdout, done.stdout
