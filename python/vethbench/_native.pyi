"""Type stubs of ``vethbench._native``, the compiled half of the package (python/src/)."""
from os import PathLike
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, TypedDict, Union, final

from vethbench._frame import Frame

# A frame argument: a Scapy expression, bytes-like, or any object with __bytes__ (a Scapy
# Packet). See python/src/frames.rs.
_FrameLike = Union[str, bytes, bytearray, memoryview, Any]

__all__ = [
    "ExpressionError",
    "Port",
    "Testbench",
    "fields",
    "frame",
    "frames",
    "hexdump",
    "show",
    "summary",
]

class ExpressionError(ValueError):
    """A Scapy expression the engine cannot build."""

    column: int
    """The 1-based column the engine points at."""
    expr: str

def frame(frame: _FrameLike, /) -> Frame:
    """The frame a Scapy expression builds (Scapy's ``raw()``); other frames as they are."""

def frames(expr: str, /) -> List[Frame]:
    """Every frame a Scapy expression builds (several for ``fragment(...)``)."""

def show(frame: _FrameLike, /) -> str:
    """Scapy's ``show()`` of the frame, as a string."""

def summary(frame: _FrameLike, /) -> str:
    """tshark's one-line summary of the frame."""

def hexdump(frame: _FrameLike, /) -> str:
    """Scapy's ``hexdump()`` of the frame, as a string."""

def fields(frame: _FrameLike, /) -> Dict[str, List[str]]:
    """Every header field by tshark's name: a list of its values, outer first."""

class _Latency(TypedDict):
    samples: int
    negative: int
    min_us: float
    mean_us: float
    p50_us: float
    p90_us: float
    p99_us: float
    p99_9_us: float
    max_us: float

class _Report(TypedDict, total=False):
    """What ``vethbench test --json`` prints (schema_version 1), as a dict."""

    schema_version: int
    mode: str
    tx_iface: Optional[str]
    rx_iface: Optional[str]
    reflector_iface: Optional[str]
    cpus: Dict[str, Optional[int]]
    interrupted: bool
    frame_len: int
    sent: int
    received: int
    intact: int
    lost: int
    corrupted: int
    reordered: int
    duplicated: int
    unexpected: int
    noise: int
    kernel_drops: int
    duration_s: float
    tx_pps: float
    pps: float
    mbps: float
    latency_kind: str
    latency: Optional[_Latency]
    verdict: str
    failures: List[str]
    flow_count: int
    flows_with_loss: int
    flows_with_reordering: int
    worst_loss: Optional[Dict[str, int]]
    worst_p99: Optional[Dict[str, Any]]
    per_flow: List[Dict[str, Any]]
    sizes: List[Dict[str, Any]]
    threads: List[Dict[str, Any]]
    error: Optional[str]

@final
class Testbench:
    """A delivery testbench: ``run()`` is ``vethbench test`` (a private veth pair per run,
    or the existing ends given)."""

    def __new__(
        cls, tx: Optional[str] = None, rx: Optional[str] = None, netns: Optional[str] = None
    ) -> "Testbench": ...
    def run(
        self,
        count: Optional[int] = None,
        *,
        duration: Optional[float] = None,
        size: Union[int, str, Sequence[int], None] = None,
        frame: Optional[_FrameLike] = None,
        rate: Optional[float] = None,
        mode: str = "throughput",
        flows: Optional[int] = None,
        vary: Optional[str] = None,
        threads: int = 1,
        batch: int = 64,
        drain: float = 0.2,
        ignore: Optional[List[str]] = None,
        noise_filter: bool = True,
        min_loss: Union[int, str, None] = None,
        pcapng: Union[str, "PathLike[str]", None] = None,
        pin: bool = False,
        busy_poll: bool = False,
    ) -> _Report:
        """Run one delivery test; the report of ``vethbench test --json``."""
    def close(self) -> None: ...
    def __enter__(self) -> "Testbench": ...
    def __exit__(self, *exc: object) -> bool: ...

@final
class Port:
    """An interface opened for sending and receiving whole Ethernet frames."""

    def __new__(
        cls,
        iface: str,
        netns: Optional[str] = None,
        rcvbuf: int = 16 << 20,
        max_frame: int = 9216 + 18,
    ) -> "Port": ...
    @property
    def name(self) -> str: ...
    @property
    def netns(self) -> Optional[str]: ...
    @property
    def ifindex(self) -> int: ...
    @property
    def mtu(self) -> int: ...
    @property
    def drops(self) -> int: ...
    @property
    def sent(self) -> int: ...
    def mac(self) -> str: ...
    def fileno(self) -> int: ...
    def send(self, frame: _FrameLike) -> int: ...
    def send_batch(self, frames: Iterable[_FrameLike]) -> int: ...
    def recv(self, timeout: Optional[float] = None) -> Optional[Tuple[bytes, int]]: ...
    def flush(self) -> int: ...
