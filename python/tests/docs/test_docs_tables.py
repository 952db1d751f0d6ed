"""The "From Scapy, from PTF" tables (docs/python.md, linked from README.md's Python section)
name calls that exist: every vethbench name in their vethbench column (``vethbench.frame``,
``Bench.expect_none``, ``Port(I).send_batch``, ``vethbench.Frame(data).scapy()``...) is an
attribute of the module or class it is written on, every keyword argument written in a call
(``for_=``, ``ignore=``, ``timeout=``) is a parameter of that call, and a module named
(``python3 -m vethbench.ptf_platform``) imports. Nothing here needs root.
"""
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import vethbench

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "python.md"
HEADING = "## From Scapy, from PTF"

# The names a chain may start with, and what they stand for.
ROOTS = {
    "vethbench": vethbench,
    "Bench": vethbench.Bench,
    "Port": vethbench.Port,
    "Testbench": vethbench.Testbench,
    "Frame": vethbench.Frame,
    "Received": vethbench.Received,
    "frame": vethbench.Frame,  # "frame.scapy()": a Frame, as every received frame is
}


def section():
    text = PAGE.read_text()
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start:end if end >= 0 else len(text)]


def vethbench_cells():
    """The vethbench column (the last) of every row of the section's tables."""
    cells = []
    for line in section().splitlines():
        if not line.startswith("|") or re.match(r"^\|[-| ]+\|$", line):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if cols[-1] == "vethbench (Python)":  # a header row
            continue
        cells.append(cols[-1])
    return cells


def balanced(s, i):
    """The index after the parenthesised group opening at ``s[i]`` (quotes respected)."""
    depth, quote = 0, None
    for j in range(i, len(s)):
        c = s[j]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    raise AssertionError("unbalanced parentheses in %r" % s)


def chains(code):
    """Every chain in a code span: [(root, [(attr, args or None), ...]), ...]; the root's own
    call (``Port("veth1")``) is dropped, the class stands for its instance."""
    out = []
    # A root, not a keyword argument of that name (``frame=pkt``).
    for m in re.finditer(r"(?<![\w.])(%s)\b(?!\s*=)" % "|".join(ROOTS), code):
        i, segs = m.end(), []
        if i < len(code) and code[i] == "(":
            i = balanced(code, i)
        while i < len(code) and code[i] == ".":
            n = re.match(r"\.(\w+)", code[i:])
            if not n:
                break
            i += n.end()
            args = None
            if i < len(code) and code[i] == "(":
                j = balanced(code, i)
                args, i = code[i + 1:j - 1], j
            segs.append((n.group(1), args))
        if segs or m.group(1) not in ("vethbench", "frame"):  # not the command, a bare word
            out.append((m.group(1), segs))
    return out


def keywords(args):
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]", "''", args)
    return re.findall(r"(?<![\w.])(\w+)=(?!=)", unquoted)


CELLS = vethbench_cells()
SPANS = [span for cell in CELLS for span in re.findall(r"`([^`]+)`", cell)]
CHAINS = [(span, c) for span in SPANS for c in chains(span)]


def test_the_tables_are_found():
    # Both tables (Scapy's, PTF's) and the calls they name.
    assert len(CELLS) >= 15, CELLS
    named = {(r, s[0][0]) for _, (r, s) in CHAINS if s}
    for want in [("vethbench", "frame"), ("Bench", "expect"), ("Port", "recv"), ("Testbench", "run")]:
        assert want in named, named


def test_readme_links_to_the_tables():
    readme = (ROOT / "README.md").read_text()
    assert "docs/python.md#from-scapy-from-ptf" in readme
    anchor = re.sub(r"[^a-z0-9 -]", "", HEADING.lstrip("# ").lower()).replace(" ", "-")
    assert anchor == "from-scapy-from-ptf"


@pytest.mark.parametrize("span,chain", CHAINS, ids=["`%s` %s" % (s, c[0]) for s, c in CHAINS])
def test_every_name_in_the_tables_exists(span, chain):
    root, segs = chain
    obj, path = ROOTS[root], root
    for attr, args in segs:
        if inspect.ismodule(obj) and not hasattr(obj, attr):
            # A submodule (vethbench.ptf_platform, run with python3 -m).
            name = "%s.%s" % (obj.__name__, attr)
            assert importlib.util.find_spec(name) is not None, "%s: no module %s" % (span, name)
            break
        assert hasattr(obj, attr), "%s: %s has no %s" % (span, path, attr)
        obj, path = getattr(obj, attr), "%s.%s" % (path, attr)
        if args is not None:
            kws = keywords(args)
            if kws:
                params = inspect.signature(obj).parameters
                if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
                    for k in kws:
                        assert k in params, "%s: %s has no parameter %s (%s)" % (span, path, k, list(params))
            # What a call returns is not followed (Scapy's packet, a report).
            break
