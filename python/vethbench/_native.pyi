"""Type stubs of ``vethbench._native``, the compiled half of the package (python/src/)."""
from os import PathLike
from subprocess import CompletedProcess
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, TypedDict, Union, final

from vethbench._frame import Frame

# A frame argument: a Scapy expression, bytes-like, or any object with __bytes__ (a Scapy
# Packet). See python/src/frames.rs.
_FrameLike = Union[str, bytes, bytearray, memoryview, Any]

__all__ = [
    "Bench",
    "Capture",
    "ExpectationFailed",
    "ExpressionError",
    "PanicException",
    "Port",
    "Received",
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

class ExpectationFailed(AssertionError): ...

class PanicException(BaseException):
    """A Rust panic (a bug in vethbench), raised by the call it happened in (PyO3's type)."""

def _panic(msg: str, detached: bool = False) -> None:
    """For tests only: panic in Rust (the GIL released when ``detached``)."""

@final
class Received:
    @property
    def data(self) -> Frame: ...
    @property
    def time_ns(self) -> int: ...
    @property
    def port(self) -> str: ...
    @property
    def fields(self) -> Dict[str, List[str]]: ...
    def scapy(self) -> Any: ...
    def __bytes__(self) -> bytes: ...
    def __len__(self) -> int: ...

@final
class Capture:
    @property
    def path(self) -> str: ...
    def stop(self) -> str: ...
    def __enter__(self) -> "Capture": ...
    def __exit__(self, *args: Any) -> bool: ...

class Bench:
    def __new__(cls, source: Union[str, "PathLike[str]", Any], *, noise: bool = True) -> "Bench": ...
    def __enter__(self) -> "Bench": ...
    def __exit__(self, *args: Any) -> bool: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def ports(self) -> List[str]: ...
    @property
    def tests(self) -> List[str]: ...
    def mac(self, port: str) -> str: ...
    def ip(self, port: str) -> str: ...
    def send(self, port: str, frame: _FrameLike, count: int = 1, rate: Optional[float] = None) -> None: ...
    def expect(
        self,
        port: str,
        frame: Optional[_FrameLike] = None,
        fields: Optional[Dict[str, Any]] = None,
        ignore: Union[str, Sequence[str], None] = None,
        within: float = 1.0,
        strict: bool = False,
        filter: Optional[str] = None,
    ) -> Received: ...
    def expect_none(
        self, ports: Union[str, Sequence[str]], for_: float = 0.1, filter: Optional[str] = None
    ) -> None: ...
    def sr(
        self,
        port: str,
        frame: _FrameLike,
        expect: Optional[_FrameLike] = None,
        fields: Optional[Dict[str, Any]] = None,
        ignore: Union[str, Sequence[str], None] = None,
        within: float = 1.0,
        filter: Optional[str] = None,
    ) -> Received: ...
    def ping(self, node: str, to: str, count: int = 1) -> None: ...
    def exec(self, node: str, cmd: str, timeout: float = 30.0, check: bool = True) -> "CompletedProcess[str]": ...
    def daemon(self, node: str, cmd: str, ready: Optional[str] = None, timeout: float = 10.0) -> None: ...
    def flush(self) -> int: ...
    def capture(self, port: str, path: str) -> Capture: ...
    def stream(
        self,
        src: str,
        dst: str,
        frame: Optional[_FrameLike] = None,
        expect: Optional[_FrameLike] = None,
        ignore: Union[str, Sequence[str], None] = None,
        size: Optional[int] = None,
        rate: Optional[float] = None,
        count: Optional[int] = None,
        duration: Optional[float] = None,
        max_loss: Union[int, str, None] = None,
        min_loss: Union[int, str, None] = None,
        max_reorder: Union[int, str, None] = None,
        max_p99_us: Optional[float] = None,
        check: bool = True,
    ) -> _Report: ...
    def _rust_steps(
        self, src: str, sent: bytes, dst: str, want: bytes, ignore: List[str], n: int
    ) -> List[int]: ...
    def run(self, name: Optional[str] = None) -> List[Tuple[str, str]]: ...
    def _panic(self, msg: str) -> None:
        """For tests only: panic inside a call, the GIL released and the bench locked."""
