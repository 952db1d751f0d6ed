"""vethbench: packet injection and capture testbench for Linux veth pairs and network namespaces.

Frames: ``frame(expr)`` builds a Scapy expression byte for byte (a ``Frame``, a ``bytes``
subclass; ``.scapy()`` gives Scapy's ``Ether``), ``show()``, ``summary()``, ``fields()`` and
``hexdump()`` read one back. Every function taking a frame takes a Scapy expression (``str``),
``bytes``/``bytearray``/``memoryview`` or a Scapy packet.

Delivery tests: ``Testbench().run(count=...)`` is ``vethbench test``, returning its JSON
report as a dict. ``Port`` opens one interface for sending and receiving frames.

Scenarios: ``Bench("router.yaml")`` or ``Bench(Topology()...)`` builds a topology in private
namespaces and runs the scenario steps on its ports (``send``, ``expect``, ``expect_none``,
``sr``, ``exec``, ``daemon``, ``stream``...); a failed expectation raises
``ExpectationFailed`` (an AssertionError) with the CLI's message.

Importing this package imports neither Scapy nor PTF (see docs/python.md).
"""
from vethbench._native import (
    Capture,
    ExpectationFailed,
    ExpressionError,
    PanicException,
    Port,
    Testbench,
    fields,
    frame,
    frames,
    hexdump,
    Received,
    show,
    summary,
)
from vethbench._native import Bench as _NativeBench
from vethbench._frame import Frame
from vethbench.topology import Topology

__all__ = [
    "Bench",
    "Capture",
    "ExpectationFailed",
    "ExpressionError",
    "Frame",
    "PanicException",
    "Port",
    "Received",
    "Testbench",
    "Topology",
    "fields",
    "frame",
    "frames",
    "hexdump",
    "show",
    "summary",
]


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
