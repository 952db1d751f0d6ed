"""The pytest plugin, run by pytest's own ``pytester``: markers, module scope with clean queues,
captures on failure, JUnit, and ``-n 2`` under pytest-xdist. The inner tests drive real
topologies (examples/router.yaml's shape, in private namespaces the Bench makes)."""
import os
import xml.etree.ElementTree as ET

import pytest

import vethbench

pytest_plugins = ["pytester"]

needs_bench = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("VETHBENCH_REQUIRE_ROOT") != "1",
    reason="needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)",
)

ROUTER = """\
name: plugin test router
nodes:
  h1: {}
  h2: {}
  r1: {sysctl: {net.ipv4.ip_forward: 1}}
links:
  - [h1:eth0, r1:eth0]
  - [h2:eth0, r1:eth1]
addresses:
  h1:eth0: [198.18.1.2/24]
  r1:eth0: [198.18.1.1/24]
  r1:eth1: [198.18.2.1/24]
  h2:eth0: [198.18.2.2/24]
routes:
  h1: [default via 198.18.1.1]
  h2: [default via 198.18.2.1]
"""

FRAME = ('Ether(src="02:00:00:00:01:02", dst=%r)/IP(src="198.18.1.2", dst="198.18.2.2")'
         '/UDP(dport=9)/"plugin"')

TESTS = '''
import pytest

def frame(bench):
    return %r %% bench.mac("r1:eth0")

@pytest.mark.topology("router.yaml")
def test_forwarded(vethbench):
    vethbench.ping("h1", "198.18.2.2")
    vethbench.send("h1:eth0", frame(vethbench))
    rx = vethbench.expect("h2:eth0", fields={"ip.ttl": 63, "udp.dstport": 9})
    assert rx.port == "h2:eth0"

@pytest.mark.topology("router.yaml")
def test_fails(vethbench):
    vethbench.send("h1:eth0", frame(vethbench))
    assert False, "on purpose"
''' % FRAME


@pytest.fixture
def suite(pytester):
    pytester.makefile(".yaml", router=ROUTER)
    pytester.makepyfile(test_router=TESTS)
    return pytester


@needs_bench
def test_marker_per_test_and_captures_on_failure(suite, tmp_path):
    caps = tmp_path / "caps"
    junit = tmp_path / "junit.xml"
    res = suite.runpytest_subprocess("--vethbench-captures", str(caps), "--junitxml", str(junit))
    res.assert_outcomes(passed=1, failed=1)
    files = sorted(os.listdir(caps))
    # Only the failing test's capture is kept, named after it, and named in the report.
    assert files == ["test_router.py_test_fails.pcapng"], files
    path = str(caps / files[0])
    assert os.path.getsize(path) > 0
    res.stdout.fnmatch_lines(["*vethbench capture*", "*pcapng of every port: %s*" % path])
    # JUnit names it too.
    root = ET.parse(junit).getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props.get("vethbench_capture") == path


@needs_bench
def test_k_and_x(suite):
    res = suite.runpytest_subprocess("-k", "forwarded")
    res.assert_outcomes(passed=1, deselected=1)
    res = suite.runpytest_subprocess("-x", "-p", "no:randomly")
    res.assert_outcomes(passed=1, failed=1)


@needs_bench
def test_module_scope_empties_queues(pytester):
    pytester.makefile(".yaml", router=ROUTER)
    pytester.makepyfile(test_mod='''
import pytest
pytestmark = pytest.mark.topology("router.yaml", scope="module")
BENCHES = []

def test_leaves_a_frame(vethbench):
    BENCHES.append(id(vethbench))
    vethbench.ping("h1", "198.18.2.2")
    vethbench.send("h1:eth0", %r %% vethbench.mac("r1:eth0"))

def test_queue_is_empty_and_bench_shared(vethbench):
    BENCHES.append(id(vethbench))
    assert BENCHES[0] == BENCHES[1]
    vethbench.expect_none(["h2:eth0"], for_=0.3)
''' % FRAME)
    res = pytester.runpytest_subprocess()
    res.assert_outcomes(passed=2)


@needs_bench
def test_xdist_two_workers(suite):
    suite.makepyfile(test_more=TESTS.replace("test_forwarded", "test_forwarded_again")
                     .replace("test_fails", "test_fails_again"))
    res = suite.runpytest_subprocess("-n", "2")
    res.assert_outcomes(passed=2, failed=2)


def test_no_marker_is_a_usage_error(pytester):
    pytester.makepyfile(test_none="def test_x(vethbench):\n    pass\n")
    res = pytester.runpytest_subprocess()
    res.stdout.fnmatch_lines(["*has no @pytest.mark.topology*"])
    assert res.ret != 0


def test_option_and_marker_registered(pytester):
    """The entry point loads the plugin: its option is in --help, its marker in --markers."""
    pytester.runpytest_subprocess("--help").stdout.fnmatch_lines(["*--vethbench-captures=DIR*"])
    pytester.runpytest_subprocess("--markers").stdout.fnmatch_lines(["*@pytest.mark.topology(source*"])


def test_bad_scope_is_a_usage_error(pytester):
    pytester.makepyfile(test_scope='''
import pytest
@pytest.mark.topology("x.yaml", scope="session")
def test_x(vethbench):
    pass
''')
    res = pytester.runpytest_subprocess()
    res.stdout.fnmatch_lines(["*topology scope 'session'*"])
    assert res.ret != 0


@needs_bench
def test_topology_object_marker(pytester):
    pytester.makepyfile(test_topo='''
import pytest
import vethbench

PAIR = (vethbench.Topology().node("a").node("b").link("a:eth0", "b:eth0")
        .address("a:eth0", "198.18.7.1/24").address("b:eth0", "198.18.7.2/24"))

@pytest.mark.topology(PAIR)
def test_pair(vethbench):
    vethbench.send("a:eth0", 'Ether(dst=mac("b:eth0"))/IP(dst=ip("b:eth0"))/UDP(dport=9)/"t"')
    assert vethbench.expect("b:eth0", fields={"ip.src": "198.18.7.1"}).port == "b:eth0"
''')
    res = pytester.runpytest_subprocess()
    res.assert_outcomes(passed=1)
