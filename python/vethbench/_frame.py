"""``vethbench.Frame``: the ``bytes`` every vethbench function returns a frame as.

A plain ``bytes`` subclass (equal to, hashed as and usable wherever its bytes are) with the
frame functions as methods and ``.scapy()``. Scapy is imported only by ``.scapy()``.
"""
from vethbench import _native


class Frame(bytes):
    """An Ethernet frame: ``bytes``, plus ``scapy()``, ``show()``, ``summary()``,
    ``fields()`` and ``hexdump()``."""

    __slots__ = ()

    def scapy(self):
        """The frame as Scapy's ``Ether(self)`` (imports Scapy; ImportError without it)."""
        from scapy.layers.l2 import Ether

        return Ether(bytes(self))

    def show(self) -> str:
        """Scapy's ``show()`` of the frame, as a string (``vethbench.show``)."""
        return _native.show(self)

    def summary(self) -> str:
        """tshark's one-line summary of the frame (``vethbench.summary``)."""
        return _native.summary(self)

    def fields(self) -> "dict[str, list[str]]":
        """Every header field by tshark's name, each a list of values (``vethbench.fields``)."""
        return _native.fields(self)

    def hexdump(self) -> str:
        """Scapy's ``hexdump()`` of the frame, as a string (``vethbench.hexdump``)."""
        return _native.hexdump(self)

    def __repr__(self) -> str:
        return "Frame(%s)" % bytes.__repr__(self)
