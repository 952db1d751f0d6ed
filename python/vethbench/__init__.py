"""vethbench: packet injection and capture testbench for Linux veth pairs and network namespaces."""
from vethbench._native import frame
from vethbench._native import Capture, ExpectationFailed, Received
from vethbench._native import Bench as _NativeBench
from vethbench.topology import Topology

__all__ = ["frame", "Bench", "Capture", "ExpectationFailed", "Received", "Topology"]


class Bench(_NativeBench):
    __doc__ = _NativeBench.__doc__

    def __init__(self, source, *, noise=True):
        _bench_registry().add(self)


def _bench_registry():
    # Benches still open at interpreter exit are closed then (links made in attached
    # namespaces removed); the registry and its atexit hook are made on first use.
    global _BENCHES
    if _BENCHES is None:
        import atexit
        import weakref

        _BENCHES = weakref.WeakSet()
        atexit.register(_close_all)
    return _BENCHES


_BENCHES = None


def _close_all():
    for b in list(_BENCHES or ()):
        try:
            b.close()
        except Exception:
            pass
