"""Every ```python block of README.md and docs/python.md runs as printed (as
tests/docs_examples.rs runs the sh and yaml blocks): a block with a ``def test_`` is a pytest
file, saved beside copies of examples/*.yaml (as the README says: ``examples/test_router.py``)
and run by pytest; any other block is a script run from the repository's root."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PAGES = ["README.md", os.path.join("docs", "python.md")]


def blocks():
    out = []
    for page in PAGES:
        text = open(os.path.join(ROOT, page)).read()
        for i, m in enumerate(re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)):
            line = text[: m.start()].count("\n") + 1
            out.append(pytest.param(m.group(1), id="%s:%d" % (page, line)))
    return out


def test_the_pages_have_python_blocks():
    ids = [b.id for b in blocks()]
    assert any(i.startswith("README.md:") for i in ids), ids


@pytest.mark.parametrize("code", blocks())
def test_block_runs_as_printed(code, tmp_path):
    if "def test_" in code:
        for f in os.listdir(os.path.join(ROOT, "examples")):
            if f.endswith(".yaml"):
                shutil.copy(os.path.join(ROOT, "examples", f), tmp_path)
        test = tmp_path / "test_block.py"
        test.write_text(code)
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                             cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
        assert re.search(r"\b[1-9][0-9]* passed", res.stdout), res.stdout
    else:
        res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert res.returncode == 0, res.stdout + res.stderr
