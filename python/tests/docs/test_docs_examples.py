"""Every ```python block of README.md and docs/*.md runs as printed (the Python half of
tests/docs_examples.rs, which runs the sh and yaml blocks).

A block is run by the venv's python in a network namespace of its own (``unshare -n``: Scapy
resolves no host route, and whatever the block makes stays inside), in a scratch directory
holding a copy of examples/, within 60 s; it passes when it exits 0. A block that defines
pytest tests (``def test_``) is a test module: it is run by pytest with the vethbench plugin,
beside the example scenario files (so ``@pytest.mark.topology("router.yaml")`` finds
examples/router.yaml). Blocks tagged ``python-norun`` are not run.

This is the one runner of the docs' Python blocks (tests/docs_examples.rs runs only ``sh`` and
``yaml``): the fences are read as that runner reads them (a line whose first non-blank
characters are three backticks opens or closes a block, the word after them is its tag, an
indented block is dedented), every ``python`` block is run exactly once, and a tag that looks
like Python but is neither ``python`` nor ``python-norun`` (``py``, ``python3``, ``pycon``)
fails, so no example slips past unrun.
"""
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def pages():
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def fenced(page):
    """Every fenced block of ``page``: (line of the opening fence, tag, body)."""
    out, open_ = [], None
    for i, line in enumerate(page.read_text().splitlines(), 1):
        fence = line.lstrip().startswith("```")
        if open_ is None and fence:
            open_ = (i, line.lstrip()[3:].strip(), [])
        elif fence:
            out.append((open_[0], open_[1], textwrap.dedent("\n".join(open_[2]) + "\n")))
            open_ = None
        elif open_ is not None:
            open_[2].append(line)
    assert open_ is None, "%s:%d: a fence never closed" % (page, open_[0])
    return out


def blocks():
    out = []
    for page in pages():
        for line, tag, body in fenced(page):
            if tag == "python":
                out.append(("%s:%d" % (page.relative_to(ROOT), line), body))
    return out


BLOCKS = blocks()


def test_there_are_python_examples():
    assert len(BLOCKS) >= 4
    # Each once: no block is collected twice under another name.
    assert len({where for where, _ in BLOCKS}) == len(BLOCKS)


def test_every_python_looking_block_is_run_or_marked_norun():
    odd = ["%s:%d: ```%s" % (page.relative_to(ROOT), line, tag)
           for page in pages() for line, tag, _ in fenced(page)
           if re.match(r"(?i)py", tag) and tag not in ("python", "python-norun")]
    assert not odd, "tag these python or python-norun: %s" % odd


@pytest.mark.parametrize("where,code", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_python_block_runs_as_printed(where, code, tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("VETHBENCH_REQUIRE_ROOT") == "1":
            pytest.fail("needs root and unshare")
        pytest.skip("needs root and unshare")
    shutil.copytree(ROOT / "examples", tmp_path, dirs_exist_ok=True)
    if re.search(r"^def test_", code, re.M):
        (tmp_path / "test_example.py").write_text(code)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_example.py")]
    else:
        (tmp_path / "example.py").write_text(code)
        cmd = [sys.executable, str(tmp_path / "example.py")]
    done = subprocess.run(["unshare", "-n", *cmd], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, "%s exits %d:\n%s%s" % (where, done.returncode, done.stdout, done.stderr)
    if cmd[1:3] == ["-m", "pytest"]:
        # a test module whose tests all skipped proves nothing
        assert re.search(r"\b[1-9][0-9]* passed", done.stdout), done.stdout
