"""The PTF test directory ``suite/`` run through the real ``ptf`` command (PTF 0.12 from PyPI),
on the vethbench platform and on PTF's default platform: both must pass. ptf runs inside the
tester namespace of ``topo.Topology`` (``nsenter --net``), never in the host's."""
import os
import subprocess
import sys

import pytest

from topo import Topology

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "suite")
PTF = os.path.join(os.path.dirname(sys.executable), "ptf")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, AF_PACKET)")


@pytest.fixture
def topo():
    with Topology() as t:
        yield t


def run_ptf(topo, cwd, *args, test_dir=SUITE):
    argv = topo.tester.cmd([PTF, "--test-dir", test_dir, "--log-dir", str(cwd / "logs")] + list(args))
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300)


def vethbench_platform():
    from vethbench.ptf_platform import DIR

    return ["--platform-dir", DIR, "--platform", "vethbench"]


def check_passed(res):
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    # unittest's summary: every test of the suite ran.
    assert "Ran 6 tests" in out and "\nOK" in out, out


def test_suite_on_vethbench_platform(topo, tmp_path):
    check_passed(run_ptf(topo, tmp_path, *vethbench_platform(), *topo.interfaces()))


def test_suite_on_default_platform(topo, tmp_path):
    check_passed(run_ptf(topo, tmp_path, *topo.interfaces()))


def test_platform_dir_printed_by_module():
    out = subprocess.run([sys.executable, "-m", "vethbench.ptf_platform"], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert os.path.isfile(os.path.join(out, "vethbench.py"))


def test_failing_verify_fails_on_vethbench_platform(topo, tmp_path):
    """A wrong expectation fails (the platform does not make everything pass)."""
    d = tmp_path / "bad"
    d.mkdir()
    (d / "wrong_expectation.py").write_text(
        "import ptf, ptf.testutils as tu\n"
        "from ptf.base_tests import BaseTest\n"
        "class Wrong(BaseTest):\n"
        "    def runTest(self):\n"
        "        self.dataplane = ptf.dataplane_instance\n"
        "        p = tu.simple_udp_packet(eth_dst='02:00:00:00:00:10', eth_src='02:00:00:00:01:00',\n"
        "                                 ip_src='198.18.0.2', ip_dst='198.18.1.2')\n"
        "        tu.send_packet(self, 0, p)\n"
        "        tu.verify_packet(self, p, 1, timeout=0.5)  # the router changed TTL and MACs\n"
    )
    res = run_ptf(topo, tmp_path, *vethbench_platform(), *topo.interfaces([0, 1]), test_dir=str(d))
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "Expected packet was not received on device 0, port 1" in out, out


def test_namespace_in_interface_name(topo, tmp_path):
    """``--interface N@NS:IFACE``: ptf itself runs in another namespace (here the router's)."""
    ns = topo.tester.path
    args = ["--interface", "0@%s:veth1" % ns, "--interface", "1@%s:veth3" % ns]
    argv = topo.router.cmd([PTF, "--test-dir", SUITE, "--log-dir", str(tmp_path / "logs")]
                           + vethbench_platform() + args + ["delivery.Routed", "delivery.RoutedMask"])
    res = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Ran 2 tests" in out, out
