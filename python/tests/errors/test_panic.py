"""A Rust panic becomes a Python exception, never an aborted interpreter (issue 18).

The panics are made on purpose by the test hooks ``vethbench._native._panic`` (the GIL held, or
released as in a blocking wait) and ``Bench._panic`` (inside a Bench call: the GIL released,
the bench's lock held). Each case runs in a child interpreter, so that an abort would show as
its exit status (SIGABRT) instead of killing this pytest run, and the child goes on building
frames (and using the bench) after the panic.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import vethbench

ROOT = Path(__file__).resolve().parents[3]

pytest_plugins = ["pytester"]

FRAME = 'Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(dport=9)'


def child(code):
    """Run ``code`` in a fresh interpreter: (exit status, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_no_profile_aborts_on_panic():
    """``panic = "abort"`` in a Cargo profile (or ``-C panic=abort`` in a cargo config) would
    make every panic kill the interpreter: neither may be set for the workspace."""
    texts = [(p, p.read_text()) for p in (ROOT / "Cargo.toml", ROOT / "python" / "Cargo.toml")]
    texts += [(p, p.read_text()) for p in (ROOT / ".cargo").glob("config*") if p.is_file()]
    assert len(texts) >= 2
    for path, text in texts:
        assert not re.search(r'^\s*panic\s*=\s*"abort"', text, re.M), path
        assert "panic=abort" not in text.replace(" ", ""), path


def test_the_exception_type():
    assert vethbench.PanicException is vethbench._native.PanicException
    # PyO3's: a BaseException, so `except Exception` does not swallow a bug.
    assert issubclass(vethbench.PanicException, BaseException)
    assert not issubclass(vethbench.PanicException, Exception)


@pytest.mark.parametrize("detached", [False, True], ids=["gil-held", "gil-released"])
def test_a_panic_is_an_exception_and_the_interpreter_goes_on(detached):
    code = f"""
import vethbench
from vethbench import _native
try:
    _native._panic("on purpose: test hook", detached={detached})
except vethbench.PanicException as e:
    print("caught:", e)
else:
    raise SystemExit("no exception")
f = vethbench.frame({FRAME!r})
assert len(f) == 42 and vethbench.fields(f)["udp.dstport"] == ["9"], f
print("alive", len(f))
"""
    rc, out, err = child(code)
    assert rc == 0, "exit status %d (an abort is -6)\n%s%s" % (rc, out, err)
    assert "caught: on purpose: test hook" in out, out + err
    assert "alive 42" in out, out + err


def test_a_panic_in_a_bench_call_leaves_the_bench_usable():
    if os.geteuid() != 0:
        if os.environ.get("VETHBENCH_REQUIRE_ROOT") == "1":
            pytest.fail("needs root")
        pytest.skip("needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)")
    code = """
import vethbench
topo = (vethbench.Topology("panic").node("a").node("b")
        .link("a:eth0", "b:eth0", macs=["02:00:00:00:0c:01", "02:00:00:00:0c:02"]))
with vethbench.Bench(topo) as b:
    for _ in range(2):
        try:
            b._panic("on purpose: bench hook")
        except vethbench.PanicException as e:
            print("caught:", e)
    # The same bench goes on: its lock was poisoned by the panic, and tolerates it.
    b.send("a:eth0", 'Ether(src="02:00:00:00:0c:01", dst="02:00:00:00:0c:02")/IP(src="198.18.3.1", dst="198.18.3.2")/UDP(dport=9)/"after"')
    rx = b.expect("b:eth0", fields={"udp.dstport": 9})
    assert rx.data.endswith(b"after"), rx.data
    print("exec:", b.exec("a", "echo ok").stdout.strip())
print("closed")
"""
    rc, out, err = child(code)
    assert rc == 0, "exit status %d (an abort is -6)\n%s%s" % (rc, out, err)
    assert out.count("caught: on purpose: bench hook") == 2, out + err
    assert "exec: ok" in out and "closed" in out, out + err


def test_pytest_reports_a_panic_as_the_tests_failure(pytester):
    """Under pytest, a panic fails its test with the message and the session goes on."""
    pytester.makepyfile(
        """
        import vethbench
        from vethbench import _native

        def test_panics():
            _native._panic("on purpose: in a test")

        def test_after():
            assert len(vethbench.frame('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")')) == 14
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*PanicException*on purpose: in a test*"])
