"""vethbench: packet injection and capture testbench for Linux veth pairs and network namespaces."""
from vethbench._native import frame

__all__ = ["frame"]
