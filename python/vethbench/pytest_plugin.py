"""pytest plugin of vethbench (registered through the ``pytest11`` entry point as ``vethbench``).

Cheap to load: this module imports only pytest's own names; ``vethbench`` and its native
module are imported when a test first asks for the ``vethbench`` fixture.

- ``@pytest.mark.topology("router.yaml")`` (a path relative to the test file) or
  ``@pytest.mark.topology(topology_object)`` names the topology; ``scope="module"`` shares one
  Bench between the module's tests, every queue emptied (``Bench.flush()``) before each test.
- The ``vethbench`` fixture gives the :class:`vethbench.Bench` (a private set of namespaces:
  parallel pytest-xdist workers never collide).
- ``--vethbench-captures DIR``: every port is captured during each test; when a test fails,
  its pcapng is kept as ``DIR/<test id>.pcapng`` and named in the report (a "vethbench
  capture" section, also in JUnit XML); passing tests keep nothing.
"""
import os
import re

import pytest

_MODULE_BENCHES = pytest.StashKey()
_CAPTURE = pytest.StashKey()
_REPORT_KEY = "vethbench capture"


def pytest_addoption(parser):
    group = parser.getgroup("vethbench")
    group.addoption(
        "--vethbench-captures",
        metavar="DIR",
        default=None,
        help="keep the pcapng of every port of a failing test in DIR (named in the report)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "topology(source, scope='function'): the vethbench topology of the test: a scenario "
        "file (relative to the test file) or a vethbench.Topology; scope='module' shares one "
        "Bench between the module's tests, its queues emptied before each test",
    )
    config.stash[_MODULE_BENCHES] = {}


def _marker(request):
    m = request.node.get_closest_marker("topology")
    if m is None:
        raise pytest.UsageError(
            "vethbench fixture: %s has no @pytest.mark.topology(...)" % request.node.nodeid
        )
    if len(m.args) != 1:
        raise pytest.UsageError(
            "vethbench: @pytest.mark.topology takes one scenario file or Topology"
        )
    scope = m.kwargs.get("scope", "function")
    if scope not in ("function", "module"):
        raise pytest.UsageError(
            "vethbench: topology scope %r: expected 'function' or 'module'" % scope
        )
    return m.args[0], scope


def _open(source, request):
    import vethbench

    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isabs(path):
            path = os.path.join(os.path.dirname(str(request.node.path)), path)
        return vethbench.Bench(path)
    return vethbench.Bench(source)


def _capture_name(nodeid):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_") + ".pcapng"


@pytest.fixture
def vethbench(request):
    """The :class:`vethbench.Bench` of the test's ``@pytest.mark.topology``."""
    source, scope = _marker(request)
    benches = request.config.stash[_MODULE_BENCHES]
    if scope == "module":
        key = (request.node.path, id(source) if not isinstance(source, str) else source)
        bench = benches.get(key)
        if bench is None:
            bench = _open(source, request)
            benches[key] = bench
            request.node.parent.addfinalizer(lambda: _close_module(benches, key))
        bench.flush()
        owned = False
    else:
        bench = _open(source, request)
        owned = True
    captures = request.config.getoption("vethbench_captures")
    cap = None
    if captures:
        os.makedirs(captures, exist_ok=True)
        path = os.path.join(os.path.abspath(captures), _capture_name(request.node.nodeid))
        cap = (bench.capture("all", path), path)
        request.node.stash[_CAPTURE] = path
    try:
        yield bench
    finally:
        if cap is not None:
            _stop(cap[0])
        if owned:
            bench.close()


def _stop(handle):
    for name in ("stop", "close"):
        fn = getattr(handle, name, None)
        if callable(fn):
            fn()
            return


def _close_module(benches, key):
    bench = benches.pop(key, None)
    if bench is not None:
        bench.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    path = item.stash.get(_CAPTURE, None)
    if path is None:
        return report
    if report.failed:
        item.stash[_FAILED] = True
        if not any(k == _REPORT_KEY for k, _ in report.sections):
            report.sections.append((_REPORT_KEY, "pcapng of every port: %s" % path))
        prop = ("vethbench_capture", path)
        if prop not in report.user_properties:
            report.user_properties.append(prop)
        # JUnit XML writes the properties of the teardown report, made from the item's.
        if prop not in item.user_properties:
            item.user_properties.append(prop)
    if report.when == "teardown" and not item.stash.get(_FAILED, False):
        if os.path.exists(path):
            os.remove(path)
    return report


_FAILED = pytest.StashKey()
