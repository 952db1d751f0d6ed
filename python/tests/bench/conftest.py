"""Shared helpers of the Bench tests: they need root (namespaces, veth pairs, AF_PACKET);
without it they skip, and VETHBENCH_REQUIRE_ROOT=1 turns that skip into a failure."""
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples")


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    if os.environ.get("VETHBENCH_REQUIRE_ROOT") == "1":
        raise pytest.UsageError("VETHBENCH_REQUIRE_ROOT=1 but not root")
    skip = pytest.mark.skip(reason="needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN)")
    for item in items:
        item.add_marker(skip)


@pytest.fixture
def router():
    import vethbench

    with vethbench.Bench(os.path.join(EXAMPLES, "router.yaml")) as b:
        yield b
