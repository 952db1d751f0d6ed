"""vethbench: packet injection and capture testbench for Linux veth pairs and network namespaces.

Frames: ``frame(expr)`` builds a Scapy expression byte for byte (a ``Frame``, a ``bytes``
subclass; ``.scapy()`` gives Scapy's ``Ether``), ``show()``, ``summary()``, ``fields()`` and
``hexdump()`` read one back. Every function taking a frame takes a Scapy expression (``str``),
``bytes``/``bytearray``/``memoryview`` or a Scapy packet.

Delivery tests: ``Testbench().run(count=...)`` is ``vethbench test``, returning its JSON
report as a dict. ``Port`` opens one interface for sending and receiving frames.

Importing this package imports neither Scapy nor PTF (see docs/python.md).
"""
from vethbench._native import (
    ExpressionError,
    Port,
    Testbench,
    fields,
    frame,
    frames,
    hexdump,
    show,
    summary,
)
from vethbench._frame import Frame

__all__ = [
    "ExpressionError",
    "Frame",
    "Port",
    "Testbench",
    "fields",
    "frame",
    "frames",
    "hexdump",
    "show",
    "summary",
]
