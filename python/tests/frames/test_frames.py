"""vethbench's frame functions against Scapy (the reference, in a namespace of its own) and
tshark: ``frame()`` is Scapy's ``raw()`` for the repository's golden expressions, Scapy packets
go in and ``Frame.scapy()`` comes out, ``show()`` is Scapy's ``show()``, ``fields()`` holds
tshark's names and values; bad expressions and arguments raise clear errors."""
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

import vethbench

ROOT = Path(__file__).resolve().parents[3]
A = "02:00:00:00:00:01"
B = "02:00:00:00:00:02"
FIXTURES = ROOT / "fixtures" / "frames"


def golden_fixtures():
    """(name, expression, frames) of fixtures/frames/*.hex: Scapy 2.5's raw(pkt), made by
    fixtures/frames/make.py; a fragment() list is NAME_0.hex, NAME_1.hex..."""
    by_expr = {}
    for path in sorted(FIXTURES.glob("*.hex")):
        text = path.read_text()
        m = re.search(r"^# pkt = (.*)$", text, re.M)
        if not m:
            continue
        data = bytes.fromhex(
            "".join(line.split("#")[0] for line in text.splitlines() if not line.startswith("#"))
        )
        name = re.sub(r"_\d+$", "", path.stem)
        by_expr.setdefault((name, m.group(1)), []).append(data)
    return [(n, e, fs) for (n, e), fs in by_expr.items()]


def rust_cases():
    """The expressions of tests/expr_scapy.rs's CASES (the Rust test against Scapy)."""
    src = (ROOT / "tests" / "expr_scapy.rs").read_text()
    block = src[src.index("const CASES: &[&str] = &[") : src.index("];", src.index("const CASES"))]
    out = []
    for m in re.finditer(r'^\s*(?:r#"(.*)"#|"((?:[^"\\]|\\.)*)"),\s*$', block, re.M):
        if m.group(1) is not None:
            out.append(m.group(1))
        else:
            out.append(m.group(2).encode().decode("unicode_escape"))
    return out


# fixtures/frames/padded.hex's expression computes its padding (`bytes(64 - 45)`): the engine
# has no arithmetic (docs/send.md), so that fixture is the FrameSpec's (--size 64) only.
NOT_EXPRESSIONS = {"padded"}
GOLDEN = [g for g in golden_fixtures() if g[0] not in NOT_EXPRESSIONS]
CASES = rust_cases()


def test_the_golden_lists_are_found():
    assert len(GOLDEN) >= 20, GOLDEN
    assert len(CASES) >= 80, len(CASES)


@pytest.mark.parametrize("name,expr,want", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_fixture_frames(name, expr, want):
    got = vethbench.frames(expr)
    assert got == want
    assert all(isinstance(f, vethbench.Frame) and isinstance(f, bytes) for f in got)
    if len(want) == 1:
        assert vethbench.frame(expr) == want[0]


def test_expressions_build_what_scapy_builds(scapy):
    """Every expression of both golden lists, Scapy's raw() in the same run."""
    failures = []
    for expr in [e for _, e, _ in GOLDEN] + CASES:
        want = scapy.eval("[raw(p) for p in (lambda x: x if isinstance(x, list) else [x])(%s)]" % expr)
        try:
            got = [bytes(f) for f in vethbench.frames(expr)]
        except ValueError as e:
            got = "error: %s" % e
        if got != want:
            failures.append("%s\n  scapy:     %s\n  vethbench: %s" % (expr, [w.hex() for w in want], got))
    assert not failures, "%d differ:\n%s" % (len(failures), "\n".join(failures))


UDP = 'Ether(src="%s", dst="%s")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1111, dport=2222)/"hello"' % (A, B)


def test_scapy_packets_go_in_and_ether_comes_out(scapy):
    # A Scapy Packet (it has __bytes__) is a frame wherever one is taken.
    assert scapy.eval("vethbench.frame(%s) == raw(%s)" % (UDP, UDP)) is True
    assert scapy.eval("type(vethbench.frame(%s)).__name__" % UDP) == "Frame"
    assert scapy.eval("vethbench.fields(%s)['udp.dstport']" % UDP) == ["2222"]
    assert scapy.eval("vethbench.summary(%s) == vethbench.summary(%r)" % (UDP, UDP)) is True
    # .scapy() gives Ether(...), equal to Scapy's own packet.
    assert scapy.eval("isinstance(vethbench.frame(%r).scapy(), Ether)" % UDP) is True
    assert scapy.eval("raw(vethbench.frame(%r).scapy()) == raw(%s)" % (UDP, UDP)) is True
    assert scapy.eval("vethbench.frame(%r).scapy()[UDP].dport" % UDP) == 2222


SHOWN = ["udp", "tcp_flags", "vlan", "ipv6_icmp", "expr_ip_options", "expr_mpls_stack", "expr_ip_broken", "expr_arp_who_has"]


@pytest.mark.parametrize("name", SHOWN)
def test_show_is_scapys_show(scapy, name):
    (expr, frames) = [(e, fs) for n, e, fs in GOLDEN if n == name][0]
    data = frames[0]
    want = scapy.eval("Ether(bytes.fromhex(%r)).show(dump=True)" % data.hex())
    assert vethbench.show(data) == want
    assert vethbench.frame(expr).show() == want


def test_show_matches_the_show_fixtures():
    for name, expr, frames in GOLDEN:
        path = FIXTURES / (name + ".show")
        if len(frames) == 1 and path.exists():
            assert vethbench.show(frames[0]).rstrip("\n") == path.read_text().rstrip("\n"), name


def test_hexdump_is_scapys_hexdump(scapy):
    data = vethbench.frame(UDP)
    assert vethbench.hexdump(data).rstrip("\n") == scapy.eval("hexdump(bytes.fromhex(%r), dump=True)" % data.hex())


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(data), len(data)))
            f.write(data)


TSHARK_OPTS = [
    "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
    "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
    "--disable-protocol", "cipio", "--disable-protocol", "enip", "--disable-protocol", "http",
]

TSHARK_FRAMES = [
    UDP,
    'Ether(src="%s", dst="%s")/Dot1Q(vlan=100)/Dot1Q(vlan=200)/IP(src="198.18.0.1", dst="198.18.0.2", ttl=7)/TCP(sport=1111, dport=2222, flags="SA", seq=5, ack=9)/"x"' % (A, B),
    'Ether(src="%s", dst="%s")/IPv6(src="2001:db8::1", dst="2001:db8::2")/UDP(sport=1111, dport=2222)/"v6"' % (A, B),
    'Ether(src="%s", dst="%s")/IP(src="198.18.0.9", dst="198.18.0.1")/ICMP(type=3, code=3)/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1111, dport=2222)' % (B, A),
    'Ether(src="%s", dst="ff:ff:ff:ff:ff:ff")/ARP(hwsrc="%s", psrc="198.18.0.1", pdst="198.18.0.2")' % (A, A),
]


def test_fields_are_tsharks(tmp_path):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    frames = [vethbench.frame(e) for e in TSHARK_FRAMES]
    pcap = tmp_path / "f.pcap"
    write_pcap(pcap, frames)
    # tshark lacks the view's extras (README's `read` section).
    ours = [{k: v for k, v in vethbench.fields(f).items() if k not in ("ip.options", "icmp.rest")} for f in frames]
    names = sorted({n for d in ours for n in d})
    out = subprocess.run(
        ["tshark", "-r", str(pcap), *TSHARK_OPTS, "-T", "fields", *[a for n in names for a in ("-e", n)]],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    assert len(out) == len(frames)
    diffs = []
    for i, (line, d) in enumerate(zip(out, ours)):
        for n, theirs in zip(names, line.split("\t")):
            mine = ",".join(d.get(n, []))
            if mine != theirs:
                diffs.append("frame %d %s: ours %r, tshark %r" % (i + 1, n, mine, theirs))
    assert not diffs, "\n".join(diffs)


def test_fields_are_lists_of_every_occurrence():
    f = vethbench.fields(TSHARK_FRAMES[1])
    assert f["vlan.id"] == ["100", "200"]
    assert f["ip.ttl"] == ["7"]
    assert f["tcp.flags"] == ["0x0012"]
    assert f["data"] == ["78"]
    assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in f.values())
    # the ICMP error's IP and the IP it quotes
    assert vethbench.fields(TSHARK_FRAMES[3])["ip.src"] == ["198.18.0.9", "198.18.0.1"]
    assert "udp.srcport" not in vethbench.fields(TSHARK_FRAMES[4])


def test_every_frame_argument_kind():
    data = bytes(vethbench.frame(UDP))

    class Packetish:
        def __bytes__(self):
            return data

    want = vethbench.summary(data)
    for arg in (UDP, data, bytearray(data), memoryview(data), Packetish(), vethbench.frame(UDP)):
        assert vethbench.summary(arg) == want, type(arg)
        assert vethbench.frame(arg) == data
        assert type(vethbench.frame(arg)) is vethbench.Frame
    f = vethbench.frame(UDP)
    assert vethbench.frame(f) is f
    for bad in (12, None, ["x"], 1.5):
        with pytest.raises(TypeError, match="a frame is a Scapy expression"):
            vethbench.show(bad)

    class Liar:
        def __bytes__(self):
            return "not bytes"

    with pytest.raises(TypeError):
        vethbench.frame(Liar())


def test_frame_is_bytes():
    f = vethbench.frame(UDP)
    assert isinstance(f, bytes) and f == bytes(f) and hash(f) == hash(bytes(f))
    assert f[:6] == bytes.fromhex("020000000002")
    assert repr(f).startswith("Frame(b'")
    assert f.summary() == vethbench.summary(f)
    assert f.fields() == vethbench.fields(f)
    assert f.hexdump() == vethbench.hexdump(f)


def test_bad_expression_is_a_value_error_with_its_column():
    with pytest.raises(ValueError) as e:
        vethbench.frame('Ether()/IP(ttl="x")/Foo()')
    err = e.value
    assert isinstance(err, vethbench.ExpressionError)
    assert err.column >= 9
    assert str(err).startswith("column %d: " % err.column)
    # the caret under the column
    lines = str(err).splitlines()
    assert lines[1].strip() == 'Ether()/IP(ttl="x")/Foo()'
    assert lines[2].index("^") - lines[1].index("E") == err.column - 1
    with pytest.raises(vethbench.ExpressionError, match="column 1:"):
        vethbench.frame("Nope()")
    # several frames where one is taken
    frag = 'fragment(Ether(src="%s", dst="%s")/IP(src="198.18.0.1", dst="198.18.0.2")/("x"*60), fragsize=24)' % (A, B)
    assert len(vethbench.frames(frag)) == 3
    with pytest.raises(ValueError, match="builds 3 frames"):
        vethbench.frame(frag)
    with pytest.raises(ValueError, match="builds 3 frames"):
        vethbench.show(frag)


def test_help_is_useful():
    doc = vethbench.frame.__doc__
    assert "raw()" in doc and "ExpressionError" in doc
    assert "tshark" in vethbench.fields.__doc__
    assert "vethbench test" in vethbench.Testbench.__doc__
    assert "count" in vethbench.Testbench.run.__doc__


def test_import_is_cheap():
    """`import vethbench` imports neither Scapy, PTF nor pytest."""
    code = "import sys, vethbench; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('scapy', 'ptf', 'pytest', '_pytest'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
