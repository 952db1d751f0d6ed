//! `vethbench.Testbench`: what `vethbench test` runs, from Python. Each `run()` sends a stream
//! of stamped frames across a veth pair and checks every one on the peer
//! (`vethbench::harness::launch`, the CLI's own path), and returns the report as the `dict`
//! `vethbench test --json` prints ([`crate::report`]).
//!
//! By default every run gets a fresh veth pair `vbtx`/`vbrx` across two private (anonymous)
//! namespaces, exactly as `vethbench test` without `--tx`/`--rx`: removed when the run ends,
//! or by the kernel when the process dies. `Testbench(tx=..., rx=...)` runs on existing ends
//! instead (`--tx`/`--rx`/`-n`).
//!
//! What stays true:
//! - **The GIL is released while a run goes on**, and Python's signal handlers run every
//!   [`SIGNAL_SLICE`]: Ctrl-C raises KeyboardInterrupt within that time. The interrupted run
//!   is told to stop and finishes in a thread of its own (its drain, then its pair is
//!   removed); `close()` (and leaving the `with` block) waits for those threads, so after it
//!   nothing the Testbench made is left.
//! - **Errors are exceptions**: a configuration that cannot run, or an interface or namespace
//!   that does not exist, is a `ValueError`; a missing privilege a `PermissionError` naming
//!   the capability (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN); any other failure an
//!   `OSError`; each with the library's one-line chain.
//!   A failed delivery is not an error: it is the report, `verdict` `"failed"`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyOSError, PyPermissionError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString};

use vethbench::harness::{
    self, FlowsConfig, HarnessError, Mode, NoiseFilter, Running, StreamConfig, TestPlan, Topology,
};

/// The longest a run waits before Python's signal handlers get a chance to run.
const SIGNAL_SLICE: Duration = Duration::from_millis(20);

/// How often the wait looks whether the run has finished (a short run is not padded by the
/// signal slice).
const POLL: Duration = Duration::from_millis(1);

/// A harness error as the Python exception it is (see the module doc).
pub fn harness_err(e: &HarnessError) -> PyErr {
    let line = vethbench::error::chain(e);
    if is_permission(e) {
        return PyPermissionError::new_err(line);
    }
    if names_nothing(e) {
        return PyValueError::new_err(line);
    }
    match e {
        HarnessError::Template(_)
        | HarnessError::Config(_)
        | HarnessError::Flows(_)
        | HarnessError::SameEnds { .. }
        | HarnessError::UnknownField { .. }
        | HarnessError::PhysicalLink { .. }
        | HarnessError::NotSendable(_)
        | HarnessError::SlotTooSmall { .. } => PyValueError::new_err(line),
        HarnessError::Thread(_) => PyRuntimeError::new_err(line),
        _ => PyOSError::new_err(line),
    }
}

/// Whether a permission error (one that names a capability) is the cause. `transparent`
/// variants hand on their inner error's `source()`, not the inner error itself, so the end's
/// error is matched first, then the chain of causes walked.
fn is_permission(e: &HarnessError) -> bool {
    use vethbench::harness::EndError;
    use vethbench::link::LinkError;
    use vethbench::sock::SockError;
    if let HarnessError::Io(end) = e {
        if matches!(
            end,
            EndError::Link(LinkError::Permission { .. })
                | EndError::Sock(SockError::Permission { .. })
        ) {
            return true;
        }
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if matches!(
            c.downcast_ref::<LinkError>(),
            Some(LinkError::Permission { .. })
        ) || matches!(
            c.downcast_ref::<SockError>(),
            Some(SockError::Permission { .. })
        ) {
            return true;
        }
        cur = c.source();
    }
    false
}

/// Whether the error is a name that names nothing: an interface, a namespace or a process
/// that does not exist (the caller's mistake, as a bad value is).
fn names_nothing(e: &HarnessError) -> bool {
    use vethbench::harness::EndError;
    use vethbench::link::LinkError;
    use vethbench::sock::SockError;
    matches!(
        e,
        HarnessError::Io(
            EndError::Sock(SockError::NoSuchInterface(_))
                | EndError::Link(
                    LinkError::NoSuchInterface(_)
                        | LinkError::NoSuchNetns { .. }
                        | LinkError::NotNetns { .. }
                        | LinkError::NoSuchProcess { .. }
                )
        )
    )
}

/// A delivery testbench: a veth pair (private, made per run, or the existing ends given),
/// and ``run()``, which sends a stream of stamped frames across it and checks each one on the
/// peer, as ``vethbench test`` does.
///
/// ``with vethbench.Testbench() as tb: report = tb.run(count=10000)`` gives the dict
/// ``vethbench test --json`` prints: ``report["sent"]``, ``["received"]``, ``["lost"]``,
/// ``["corrupted"]``, ``["reordered"]``, ``["duplicated"]``, ``["kernel_drops"]``,
/// ``["pps"]``, ``["latency"]`` (``p50_us``, ``p99_us``... or None), ``["per_flow"]``,
/// ``["verdict"]`` (``"passed"``/``"failed"``), ``["failures"]``.
///
/// ``Testbench(tx="veth1", rx="veth2", netns="ns1")`` runs on existing ends instead (each may
/// be ``NS:IFACE``; ``netns`` a name in /run/netns, a path or ``pid:PID``). Needs root
/// (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN for the private pair). The GIL is released
/// during a run; Ctrl-C interrupts it (KeyboardInterrupt).
#[pyclass(frozen, module = "vethbench._native")]
pub struct Testbench {
    tx: Option<String>,
    rx: Option<String>,
    netns: Option<String>,
    /// Interrupted runs finishing in the background; `close()` joins them.
    reapers: Mutex<Vec<JoinHandle<()>>>,
    closed: AtomicBool,
}

/// A `size` argument: 128, "imix", "66,128,1514", [66, 128, 1514].
fn sizes_arg(size: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = size.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if size.cast::<PyInt>().is_ok() {
        return Ok(size.extract::<usize>()?.to_string());
    }
    let list: Vec<usize> = size.extract().map_err(|_| {
        PyValueError::new_err("size: an int, a list of ints, or a string such as 'imix'")
    })?;
    Ok(list
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(","))
}

fn seconds(what: &str, s: f64) -> PyResult<Duration> {
    if s.is_finite() && (0.0..1e9).contains(&s) {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(PyValueError::new_err(format!(
            "{what} {s}: a number of seconds >= 0"
        )))
    }
}

/// `min_loss` as given, and whether (lost, sent) reaches it.
type LossFloor = (String, Box<dyn Fn(u64, u64) -> bool>);

/// `min_loss`: a count (int) or a percentage ("100%").
fn loss_floor(v: &Bound<'_, PyAny>) -> PyResult<LossFloor> {
    if let Ok(n) = v.extract::<u64>() {
        return Ok((n.to_string(), Box::new(move |lost, _| lost >= n)));
    }
    if let Ok(s) = v.extract::<String>() {
        if let Some(p) = s.trim().strip_suffix('%') {
            if let Ok(p) = p.trim().parse::<f64>() {
                if (0.0..=100.0).contains(&p) {
                    return Ok((
                        s.trim().to_string(),
                        Box::new(move |lost, sent| lost as f64 * 100.0 >= p * sent as f64),
                    ));
                }
            }
        }
    }
    Err(PyValueError::new_err(
        "min_loss: a count of frames (int) or a percentage from '0%' to '100%'",
    ))
}

impl Testbench {
    /// Wait for a launched run, GIL released, signals checked every slice. On a Python
    /// exception (KeyboardInterrupt) the run is stopped and left to a reaper thread.
    fn wait(&self, py: Python<'_>, mut running: Running) -> PyResult<vethbench::harness::Report> {
        loop {
            let (r, done) = py.detach(move || {
                let until = Instant::now() + SIGNAL_SLICE;
                while !running.is_finished() && Instant::now() < until {
                    std::thread::sleep(POLL);
                }
                let done = running.is_finished();
                (running, done)
            });
            running = r;
            if done {
                break;
            }
            if let Err(e) = py.check_signals() {
                running.stop();
                let reaper = std::thread::Builder::new()
                    .name("vethbench-reaper".into())
                    .spawn(move || drop(running.wait()));
                if let (Ok(h), Ok(mut all)) = (reaper, self.reapers.lock()) {
                    all.push(h);
                }
                return Err(e);
            }
        }
        py.detach(move || running.wait())
            .map_err(|e| harness_err(&e))
    }
}

#[pymethods]
impl Testbench {
    #[new]
    #[pyo3(signature = (tx=None, rx=None, netns=None))]
    fn new(tx: Option<String>, rx: Option<String>, netns: Option<String>) -> PyResult<Self> {
        if tx.is_some() != rx.is_some() {
            return Err(PyValueError::new_err(
                "give both tx and rx (existing ends), or neither (a private pair per run)",
            ));
        }
        if netns.is_some() && tx.is_none() {
            return Err(PyValueError::new_err(
                "netns is for existing ends (tx and rx)",
            ));
        }
        Ok(Testbench {
            tx,
            rx,
            netns,
            reapers: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        })
    }

    /// Run one delivery test and return its report (the dict of ``vethbench test --json``).
    ///
    /// - ``count``: frames to send (default 10000, unless ``duration`` is given);
    ///   ``duration``: seconds to send for (with ``count``, whichever ends first).
    /// - ``size``: bytes per frame, Ethernet header to payload (66..=65549); or several:
    ///   ``[66, 128, 1514]``, ``"66:7,570:4,1514:1"`` (weighted), ``"imix"``.
    /// - ``frame``: send copies of this frame instead of the default UDP one (a Scapy
    ///   expression, bytes or a Scapy packet; its payload must hold the 24-byte stamp).
    /// - ``rate``: frames per second (default: as fast as possible); ``mode``:
    ///   ``"throughput"``, ``"latency"`` (one frame in flight) or ``"rtt"`` (echoed back).
    /// - ``flows``: that many flows (UDP source ports 49152 + i, or what ``vary`` varies,
    ///   e.g. ``"src-ip:198.18.0.0/24,dport:1-4"``); ``threads``: sender threads.
    /// - ``batch``: frames per send call; ``drain``: seconds to wait for frames in flight.
    /// - ``ignore``: background frames to ignore, e.g. ``["arp", "nd"]`` (default: all of
    ///   LLDP, IPv6 ND/MLD, IGMP, STP); ``noise_filter=False`` counts them as unexpected.
    /// - ``min_loss``: a device that drops: pass when at least this much is lost (a count,
    ///   or ``"100%"``).
    /// - ``pcapng``: write every received frame to this file; ``pin``: pin the sender and
    ///   receiver to two CPUs; ``busy_poll``: spin instead of sleeping.
    ///
    /// The GIL is released while the run goes on; Ctrl-C raises KeyboardInterrupt (the run is
    /// stopped and its pair removed in the background; ``close()`` waits for that).
    #[pyo3(signature = (count=None, *, duration=None, size=None, frame=None, rate=None,
        mode="throughput", flows=None, vary=None, threads=1, batch=64, drain=0.2, ignore=None,
        noise_filter=true, min_loss=None, pcapng=None, pin=false, busy_poll=false))]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        count: Option<u64>,
        duration: Option<f64>,
        size: Option<&Bound<'py, PyAny>>,
        frame: Option<&Bound<'py, PyAny>>,
        rate: Option<f64>,
        mode: &str,
        flows: Option<u32>,
        vary: Option<&str>,
        threads: usize,
        batch: usize,
        drain: f64,
        ignore: Option<Vec<String>>,
        noise_filter: bool,
        min_loss: Option<&Bound<'py, PyAny>>,
        pcapng: Option<PathBuf>,
        pin: bool,
        busy_poll: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(PyValueError::new_err("run() on a closed Testbench"));
        }
        let duration = duration.map(|d| seconds("duration", d)).transpose()?;
        let count = match (count, duration) {
            (None, None) => Some(10_000),
            (c, _) => c,
        };
        let mode = match mode {
            "throughput" => Mode::Throughput,
            "latency" => Mode::Latency,
            "rtt" => Mode::Rtt,
            m => {
                return Err(PyValueError::new_err(format!(
                    "mode '{m}': 'throughput', 'latency' or 'rtt'"
                )))
            }
        };
        if size.is_some() && frame.is_some() {
            return Err(PyValueError::new_err(
                "give size or frame, not both (a frame has its own size)",
            ));
        }
        let size_text = match size {
            Some(s) => sizes_arg(s)?,
            None => "128".to_string(),
        };
        let value =
            |what: &str, e: &dyn std::fmt::Display| PyValueError::new_err(format!("{what} {e}"));
        let sizes = FlowsConfig::parse_sizes(&size_text).map_err(|e| value("size", &e))?;
        let (frame_len, sizes) = match sizes[..] {
            [(len, _)] => (len, Vec::new()),
            _ => (sizes[0].0, sizes),
        };
        let vary = vary
            .map(FlowsConfig::parse_vary)
            .transpose()
            .map_err(|e| value("vary", &e))?
            .unwrap_or_default();
        let noise = match (ignore, noise_filter) {
            (Some(list), _) => {
                let v: Vec<&str> = list.iter().map(String::as_str).collect();
                NoiseFilter::categories(&v).map_err(|m| value("ignore", &m))?
            }
            (None, false) => NoiseFilter::none(),
            (None, true) => NoiseFilter::all(),
        };
        let frame = frame
            .map(|f| crate::frames::with_frame(f, |b| Ok(b.to_vec())))
            .transpose()?;
        let floor = min_loss.map(loss_floor).transpose()?;
        let plan = TestPlan {
            stream: StreamConfig {
                flows: FlowsConfig { flows, vary, sizes },
                threads,
                mode,
                count,
                duration,
                rate_pps: rate,
                batch,
                busy_poll,
                auto_pin: pin,
                drain: seconds("drain", drain)?,
                noise,
                ..StreamConfig::default()
            },
            frame_len: frame.as_ref().map_or(frame_len, Vec::len),
            frame,
            topology: match (&self.tx, &self.rx) {
                (Some(tx), Some(rx)) => Topology::Existing {
                    tx: tx.clone(),
                    rx: rx.clone(),
                    netns: self.netns.clone(),
                },
                _ => Topology::Private,
            },
            pcapng,
            stream_id: std::process::id(),
        };
        plan.check().map_err(|e| harness_err(&e))?;
        let running = py
            .detach(|| harness::launch(&plan))
            .map_err(|e| harness_err(&e))?;
        let mut report = self.wait(py, running)?;
        if let Some((what, reached)) = &floor {
            report.require_loss(what, reached);
        }
        crate::report::report_to_py(py, &report)
    }

    /// Wait for interrupted runs to finish (their pairs removed); further ``run()`` calls
    /// raise ValueError. Leaving the ``with`` block calls it.
    fn close(&self, py: Python<'_>) {
        self.closed.store(true, Ordering::Release);
        let reapers: Vec<_> = match self.reapers.lock() {
            Ok(mut all) => all.drain(..).collect(),
            Err(_) => return,
        };
        py.detach(move || {
            for h in reapers {
                let _ = h.join();
            }
        });
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        match (&self.tx, &self.rx) {
            (Some(tx), Some(rx)) => match &self.netns {
                Some(ns) => format!("Testbench(tx={tx:?}, rx={rx:?}, netns={ns:?})"),
                None => format!("Testbench(tx={tx:?}, rx={rx:?})"),
            },
            _ => "Testbench()".to_string(),
        }
    }
}
