"""Every ```python block of README.md and docs/*.md runs as printed (the Python half of
tests/docs_examples.rs, which runs the sh and yaml blocks).

A block is run by the venv's python in a network namespace of its own (``unshare -n``: Scapy
resolves no host route, and whatever the block makes stays inside), in a scratch directory
holding a copy of examples/, within 60 s; it passes when it exits 0. A block that defines
pytest tests (``def test_``) is a test module: it is run by pytest with the vethbench plugin,
beside the example scenario files (so ``@pytest.mark.topology("router.yaml")`` finds
examples/router.yaml). Blocks tagged ``python-norun`` are not run.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def blocks():
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    out = []
    for page in pages:
        text = page.read_text()
        for m in re.finditer(r"^```python\n(.*?)^```", text, re.M | re.S):
            line = text[: m.start()].count("\n") + 1
            out.append(("%s:%d" % (page.relative_to(ROOT), line), m.group(1)))
    return out


BLOCKS = blocks()


def test_there_are_python_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("where,code", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_python_block_runs_as_printed(where, code, tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("VETHBENCH_REQUIRE_ROOT") == "1":
            pytest.fail("needs root and unshare")
        pytest.skip("needs root and unshare")
    shutil.copytree(ROOT / "examples", tmp_path, dirs_exist_ok=True)
    if re.search(r"^def test_", code, re.M):
        import vethbench

        if not hasattr(vethbench, "Bench"):
            pytest.skip("a pytest example needs vethbench.Bench (branch pybench)")
        (tmp_path / "test_example.py").write_text(code)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_example.py")]
    else:
        (tmp_path / "example.py").write_text(code)
        cmd = [sys.executable, str(tmp_path / "example.py")]
    done = subprocess.run(["unshare", "-n", *cmd], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, "%s exits %d:\n%s%s" % (where, done.returncode, done.stdout, done.stderr)
