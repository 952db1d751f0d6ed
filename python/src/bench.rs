//! `vethbench.Bench`: the scenario [`Bench`] in Python, built from a scenario file or a
//! `vethbench.Topology`, with the scenario steps as methods (`send`, `expect`, `expect_none`,
//! `sr`, `exec`, `daemon`, `stream`) and `mac`/`ip`/`flush`/`capture`.
//!
//! What stays true:
//! - **One code path.** A Topology is lowered to the scenario file's form and checked by the
//!   same loader; every method runs the step of `vethbench run` ([`steps`], [`stream`]), so a
//!   failure's message is the CLI's (expected, arrived, the field-level diff).
//! - **Waits release the GIL and Ctrl-C stops them.** Every blocking call runs detached; the
//!   testbench asks [`Signals::check`] between its 5 ms slices, which runs Python's signal
//!   handlers every [`SIGNAL_SLICE`]: the handler's exception (KeyboardInterrupt) ends the
//!   wait and is raised. `exec` and `stream` run on a helper thread that the stop flag ends.
//! - **Nothing outlives it.** Nodes are private namespaces held by this process (the kernel
//!   removes them when it dies, SIGKILL included) and commands die with it, as in the CLI;
//!   `close()` (also on `with` exit, on garbage collection and at interpreter exit) removes
//!   them at once.
//! - **One thread at a time.** A call while another thread's call runs raises RuntimeError
//!   (the bench is never waited for with the GIL held). `daemon()` starts its command from
//!   the calling thread, whose end kills it (`PR_SET_PDEATHSIG`): call it from a thread that
//!   lives as long as the bench (the main thread).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use vethbench::frame::expr::Expr;
use vethbench::frame::filter::Filter;
use vethbench::harness::{ends::PcapngTap, HarnessError, Matcher, RxMeta, Tap};
use vethbench::scenario::fields::{self, FieldCond};
use vethbench::scenario::model::{FrameSrc, Limit, Ready, Step, StepKind, StreamStep, Want};
use vethbench::scenario::steps::{self, Fail, Outcome};
use vethbench::scenario::{self as scen, check_steps, stream, PortRef};

use crate::{errors, frames};

/// How often a wait runs Python's signal handlers (a Ctrl-C is seen within this).
const SIGNAL_SLICE: Duration = Duration::from_millis(20);

/// Frame expressions kept parsed, per bench (a test sends the same few again and again).
const EXPR_CACHE: usize = 256;

/// The stop flag and the exception a signal handler raised during a wait.
struct Signals {
    stop: Arc<AtomicBool>,
    raised: Mutex<Option<PyErr>>,
    last: Mutex<Instant>,
}

impl Signals {
    fn new() -> Arc<Self> {
        Arc::new(Signals {
            stop: Arc::new(AtomicBool::new(false)),
            raised: Mutex::new(None),
            last: Mutex::new(Instant::now()),
        })
    }

    /// Before a call: nothing raised, not stopped.
    fn begin(&self) {
        self.stop.store(false, Ordering::Relaxed);
        *lock(&self.last) = Instant::now();
        lock(&self.raised).take();
    }

    /// True when the call must stop: the stop flag is set, or (at most every
    /// [`SIGNAL_SLICE`]) a signal handler raised, which is kept for [`Signals::take`].
    fn check(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return true;
        }
        {
            let mut last = lock(&self.last);
            if last.elapsed() < SIGNAL_SLICE {
                return false;
            }
            *last = Instant::now();
        }
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                *lock(&self.raised) = Some(e);
                self.stop.store(true, Ordering::Relaxed);
                true
            }
        })
    }

    /// The exception a signal handler raised during the call.
    fn take(&self) -> Option<PyErr> {
        lock(&self.raised).take()
    }
}

/// A mutex that a panic elsewhere poisoned is still usable here (it guards plain data).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Inner {
    bench: scen::Bench,
    scenario: scen::Scenario,
    /// The running capture's number (0: none).
    capture: u64,
}

impl Inner {
    /// The frames of `f` as sent from `port` (its MAC and address as the defaults).
    fn sent(&mut self, port: &PortRef, f: FrameArg) -> PyResult<Vec<Vec<u8>>> {
        match f {
            FrameArg::Bytes(b) => Ok(vec![b]),
            FrameArg::Expr(e, _) => self.bench.frames(port, &e).map_err(errors::scenario),
        }
    }

    /// The frames of `f` as expected (no sender's defaults).
    fn expected(&mut self, f: FrameArg) -> PyResult<Vec<Vec<u8>>> {
        match f {
            FrameArg::Bytes(b) => Ok(vec![b]),
            FrameArg::Expr(e, _) => self.bench.expected(&e).map_err(errors::scenario),
        }
    }

    /// Read what every port has queued and forget what is pending; how many frames that was.
    fn flush(&mut self) -> usize {
        let ports = self.bench.ports();
        let before = self.bench.testbench().received().len();
        if let Some(first) = ports.first().and_then(|p| self.bench.end(p).ok()) {
            // One pass over every end without waiting; its verdict does not matter.
            let _ = self
                .bench
                .testbench()
                .expect_no_other(first, Duration::ZERO);
        }
        for p in &ports {
            if let Ok(e) = self.bench.end(p) {
                self.bench.testbench().clear_pending(e);
            }
        }
        self.bench.testbench().received().len() - before
    }
}

/// A frame argument: a Scapy expression (parsed, built on the bench so that `mac()`/`ip()`
/// resolve and the sending port's addresses are the defaults) or bytes (whatever
/// [`frames::with_frame`] takes: `bytes`, `bytearray`, `memoryview`, a Scapy packet).
enum FrameArg {
    Expr(Arc<Expr>, String),
    Bytes(Vec<u8>),
}

/// Parsed expressions, by text (a test sends the same few again and again).
type ExprCache = Mutex<HashMap<String, Arc<Expr>>>;

impl FrameArg {
    fn extract(obj: &Bound<'_, PyAny>, cache: &ExprCache) -> PyResult<Self> {
        let Ok(s) = obj.cast::<PyString>() else {
            return frames::with_frame(obj, |b| Ok(FrameArg::Bytes(b.to_vec())));
        };
        let text = s.to_cow()?;
        if let Some(e) = lock(cache).get(text.as_ref()) {
            return Ok(FrameArg::Expr(e.clone(), text.into_owned()));
        }
        let e = Arc::new(
            vethbench::frame::expr::parse(&text)
                .map_err(|e| frames::expr_error(obj.py(), &text, &e))?,
        );
        let mut c = lock(cache);
        if c.len() >= EXPR_CACHE {
            c.clear();
        }
        c.insert(text.to_string(), e.clone());
        Ok(FrameArg::Expr(e, text.into_owned()))
    }
}

fn seconds(what: &str, s: f64) -> PyResult<Duration> {
    if s.is_finite() && (0.0..=86_400.0).contains(&s) {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(PyValueError::new_err(format!(
            "{what} {s}: a number of seconds from 0 to 86400"
        )))
    }
}

/// A topology and the steps of `vethbench run` on its ports, from Python.
///
/// ``Bench("router.yaml")`` builds the topology of a scenario file (its path relative to the
/// current directory; its tests are not run unless :meth:`run` asks);
/// ``Bench(topology)`` one built with :class:`vethbench.Topology`. Every node is a private
/// network namespace of this process: nothing is left behind when the bench closes (at the
/// end of a ``with`` block, on :meth:`close`, at interpreter exit) or the process dies.
/// Ports are named ``"node:iface"``; every port's receive socket is bound before the
/// constructor returns, so nothing sent afterwards is missed.
///
/// Frames are Scapy expressions (``'Ether(dst=mac("r1:eth0"))/IP(dst="198.18.2.2")/UDP()'``,
/// where ``mac()``/``ip()`` name ports), ``bytes``, or Scapy packets. A failed expectation
/// raises :class:`vethbench.ExpectationFailed` (an AssertionError) with what was expected,
/// what arrived and the field-level diff. Waits release the GIL; Ctrl-C interrupts them.
#[pyclass(module = "vethbench", name = "Bench", frozen, weakref, subclass)]
pub struct PyBench {
    inner: Mutex<Option<Inner>>,
    exprs: ExprCache,
    sig: Arc<Signals>,
    captures: AtomicU64,
    what: String,
}

impl PyBench {
    /// Run `f` on the bench without the GIL; a signal handler's exception raised meanwhile
    /// wins over `f`'s result.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Inner, &Signals) -> PyResult<T> + Send,
    ) -> PyResult<T> {
        let mut g = match self.inner.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(PyRuntimeError::new_err(
                    "the Bench is in use by another thread (one call at a time)",
                ))
            }
        };
        let inner = g
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("the Bench is closed"))?;
        self.sig.begin();
        let sig = &*self.sig;
        let r = py.detach(move || f(inner, sig));
        if let Some(e) = self.sig.take() {
            return Err(e);
        }
        r
    }

    /// What the topology says of `port` (`missing`: the message when it says nothing).
    fn port_value(
        &self,
        port: &str,
        missing: &str,
        f: impl FnOnce(&scen::Topology, &PortRef) -> Option<String>,
    ) -> PyResult<String> {
        let p = self.port_ref(port)?;
        let g = lock(&self.inner);
        let inner = g
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the Bench is closed"))?;
        f(inner.bench.topology(), &p)
            .ok_or_else(|| PyValueError::new_err(format!("{port}: {missing}")))
    }

    fn port_ref(&self, port: &str) -> PyResult<PortRef> {
        let g = lock(&self.inner);
        let Some(inner) = g.as_ref() else {
            return Err(PyRuntimeError::new_err("the Bench is closed"));
        };
        let ports = inner.bench.ports();
        match PortRef::parse(port) {
            Some(p) if ports.contains(&p) => Ok(p),
            _ => Err(PyValueError::new_err(format!(
                "unknown port '{port}' (the bench's ports: {})",
                ports
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn want(
        fields: Option<&Bound<'_, PyDict>>,
        ignore: Option<&Bound<'_, PyAny>>,
        strict: bool,
    ) -> PyResult<Want> {
        let mut conds = Vec::new();
        if let Some(d) = fields {
            for (k, v) in d.iter() {
                let name: String = k.extract()?;
                let value = v.str()?.to_cow()?.into_owned();
                conds.push(
                    FieldCond::new(&name, &value)
                        .map_err(|m| PyValueError::new_err(format!("fields: {m}")))?,
                );
            }
        }
        let mut names = Vec::new();
        let ignore: Vec<String> = match ignore {
            None => Vec::new(),
            Some(i) if i.is_instance_of::<PyString>() => vec![i.extract()?],
            Some(i) => i.extract()?,
        };
        for n in ignore {
            match vethbench::frame::view::canonical_name(n.trim()) {
                Some(c) => names.push(c.to_string()),
                None => {
                    return Err(PyValueError::new_err(format!(
                        "ignore: unknown field '{n}' (the packet view's, as tshark names them)"
                    )))
                }
            }
        }
        Ok(Want {
            frame: None,
            ignore: names,
            fields: conds,
            filter: None,
            save: Vec::new(),
            strict,
        })
    }

    /// Run a scenario step on a node of the bench (its verdict raised as an exception).
    fn run_step(&self, py: Python<'_>, kind: StepKind) -> PyResult<()> {
        let node = match &kind {
            StepKind::Daemon { node, .. } | StepKind::Ping { node, .. } => node.clone(),
            _ => String::new(),
        };
        let step = Step { line: 0, kind };
        self.with(py, move |inner, _| {
            if inner.bench.topology().netns(&node).is_err() {
                return Err(errors::scenario(scen::ScenarioError::NoSuchNode(node)));
            }
            let r = steps::run(&mut inner.bench, &step);
            match r.outcome {
                Outcome::Passed | Outcome::Skipped => Ok(()),
                Outcome::Failed => Err(errors::fail(Fail::Failed(r.message))),
                Outcome::Error => Err(errors::fail(Fail::Error(r.message))),
            }
        })
    }

    /// Expect on `port`: a frame (and fields), fields alone, or (neither) any frame.
    fn expect_on(
        &self,
        py: Python<'_>,
        port: PortRef,
        frame: Option<FrameArg>,
        want: Want,
        filter: Option<Filter>,
        within: Duration,
    ) -> PyResult<Received> {
        let name = port.to_string();
        let got = self.with(py, move |inner, _| {
            let expected = match frame {
                Some(f) => inner.expected(f)?,
                None => Vec::new(),
            };
            if let Some(filter) = filter {
                let m = filtered(expected, &want, filter)?;
                return inner
                    .bench
                    .expect(&port, m, within)
                    .map_err(|e| errors::fail(e.into_fail()));
            }
            if expected.is_empty() && want.fields.is_empty() {
                let m = Matcher::predicate("any frame (noise excepted)", |_| true);
                return inner
                    .bench
                    .expect(&port, m, within)
                    .map_err(|e| errors::fail(e.into_fail()));
            }
            steps::expect_built(&mut inner.bench, &port, expected, &want, within)
                .map(|(r, _)| r)
                .map_err(errors::fail)
        })?;
        Ok(Received {
            data: frames::to_frame(py, &got.frame)?.unbind(),
            time_ns: got.rx_ts_ns,
            port: name,
        })
    }
}

/// A scenario error as a step's failure (an expectation's or not).
trait IntoFail {
    fn into_fail(self) -> Fail;
}

impl IntoFail for scen::ScenarioError {
    fn into_fail(self) -> Fail {
        match self {
            scen::ScenarioError::Harness(HarnessError::Expectation(f)) => {
                Fail::Failed(f.to_string())
            }
            e => Fail::Error(vethbench::error::chain(&e)),
        }
    }
}

#[pymethods]
impl PyBench {
    #[new]
    #[pyo3(signature = (source, *, noise = true))]
    fn new(py: Python<'_>, source: &Bound<'_, PyAny>, noise: bool) -> PyResult<Self> {
        let (scenario, what) = if let Ok(t) = source.getattr("_scenario_json") {
            let text: String = t.call0()?.extract()?;
            let dir = std::env::current_dir().ok();
            let s = scen::parse_str(&text, dir).map_err(errors::topology)?;
            (s, "Topology".to_string())
        } else {
            let path: std::path::PathBuf = source.extract().map_err(|_| {
                PyTypeError::new_err(
                    "Bench(source): a scenario file's path or a vethbench.Topology",
                )
            })?;
            let s = scen::load(&path).map_err(|e| errors::scenario(e.into()))?;
            (s, path.display().to_string())
        };
        let sig = Signals::new();
        let hook_sig = sig.clone();
        let spec = scenario.topology.clone();
        let mut bench = py
            .detach(move || scen::Bench::new(&spec))
            .map_err(errors::scenario)?;
        bench.set_stop(sig.stop.clone());
        bench.set_noise(noise);
        bench
            .testbench()
            .set_interrupt(Some(Arc::new(move || hook_sig.check())));
        Ok(PyBench {
            inner: Mutex::new(Some(Inner {
                bench,
                scenario,
                capture: 0,
            })),
            exprs: Mutex::new(HashMap::new()),
            sig,
            captures: AtomicU64::new(0),
            what,
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }

    /// Remove everything the bench made (namespaces, links, commands); idempotent.
    fn close(&self, py: Python<'_>) {
        let taken = lock(&self.inner).take();
        if let Some(mut inner) = taken {
            py.detach(move || {
                let _ = inner.bench.set_capture(None);
                inner.bench.stop_daemons();
                drop(inner);
            });
        }
    }

    /// True once closed.
    #[getter]
    fn closed(&self) -> bool {
        lock(&self.inner).is_none()
    }

    /// Every port (``"node:iface"``), in declaration order.
    #[getter]
    fn ports(&self) -> PyResult<Vec<String>> {
        let g = lock(&self.inner);
        let inner = g
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the Bench is closed"))?;
        Ok(inner.bench.ports().iter().map(|p| p.to_string()).collect())
    }

    /// The names of the scenario file's tests (see :meth:`run`).
    #[getter]
    fn tests(&self) -> PyResult<Vec<String>> {
        let g = lock(&self.inner);
        let inner = g
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the Bench is closed"))?;
        Ok(inner
            .scenario
            .tests
            .iter()
            .map(|t| t.name.clone())
            .collect())
    }

    /// The MAC address of a port, ``"02:..."``.
    fn mac(&self, port: &str) -> PyResult<String> {
        self.port_value(port, "no MAC address", |t, p| {
            t.mac(p).map(|m| m.to_string())
        })
    }

    /// The first address of a port (IPv4 first), ``"198.18.1.2"``.
    fn ip(&self, port: &str) -> PyResult<String> {
        self.port_value(port, "has no address", |t, p| {
            t.ip(p, None).map(|a| a.to_string())
        })
    }

    /// Send ``frame`` on ``port``, ``count`` times, paced at ``rate`` frames/s (None: at
    /// once). A Scapy expression's ``Ether.src``/``IP.src`` default to the port's own.
    #[pyo3(signature = (port, frame, count = 1, rate = None))]
    fn send(
        &self,
        py: Python<'_>,
        port: &str,
        frame: &Bound<'_, PyAny>,
        count: u64,
        rate: Option<f64>,
    ) -> PyResult<()> {
        let p = self.port_ref(port)?;
        let f = FrameArg::extract(frame, &self.exprs)?;
        if let Some(r) = rate {
            if !(r.is_finite() && r > 0.0) {
                return Err(PyValueError::new_err(format!(
                    "rate {r}: frames per second, > 0"
                )));
            }
        }
        self.with(py, move |inner, _| {
            let frames = inner.sent(&p, f)?;
            let refs: Vec<&[u8]> = frames.iter().map(|v| &v[..]).collect();
            steps::send_frames(&mut inner.bench, &p, &refs, count, rate).map_err(errors::fail)?;
            Ok(())
        })
    }

    /// Wait up to ``within`` seconds for a frame on ``port`` and return it (a
    /// :class:`Received`): equal to ``frame`` (but the fields named in ``ignore``) and/or
    /// whose ``fields`` (tshark's names) hold the values given; without either, any frame.
    /// Frames passed over are consumed (``strict=True``: they stay for :meth:`expect_none`).
    /// ``filter``: a Wireshark display filter the frame must pass too (``"udp.port == 9"``).
    /// Raises :class:`ExpectationFailed` with the diff against the closest frame.
    #[pyo3(signature = (port, frame = None, fields = None, ignore = None, within = 1.0, strict = false, filter = None))]
    #[allow(clippy::too_many_arguments)]
    fn expect(
        &self,
        py: Python<'_>,
        port: &str,
        frame: Option<&Bound<'_, PyAny>>,
        fields: Option<&Bound<'_, PyDict>>,
        ignore: Option<&Bound<'_, PyAny>>,
        within: f64,
        strict: bool,
        filter: Option<&str>,
    ) -> PyResult<Received> {
        let p = self.port_ref(port)?;
        let f = frame
            .map(|f| FrameArg::extract(f, &self.exprs))
            .transpose()?;
        let want = Self::want(fields, ignore, strict)?;
        let filter = filter.map(parse_filter).transpose()?;
        let within = seconds("within", within)?;
        self.expect_on(py, p, f, want, filter, within)
    }

    /// Wait ``for_`` seconds, then fail if anything but noise (IPv6 ND/MLD, LLDP, ...) is
    /// pending on any of ``ports`` (a port or a list of them); with ``filter``, if any frame
    /// passing that display filter arrived (others are let be).
    #[pyo3(signature = (ports, for_ = 0.1, filter = None))]
    fn expect_none(
        &self,
        py: Python<'_>,
        ports: &Bound<'_, PyAny>,
        for_: f64,
        filter: Option<&str>,
    ) -> PyResult<()> {
        let filter = filter.map(parse_filter).transpose()?;
        let names: Vec<String> = if ports.is_instance_of::<PyString>() {
            vec![ports.extract()?]
        } else {
            ports.extract()?
        };
        let refs = names
            .iter()
            .map(|n| self.port_ref(n))
            .collect::<PyResult<Vec<_>>>()?;
        let wait = seconds("for_", for_)?;
        self.with(py, move |inner, _| {
            let Some(filter) = filter else {
                steps::expect_none(&mut inner.bench, &refs, wait, None).map_err(errors::fail)?;
                return Ok(());
            };
            // The quiet period runs once, on the first port; the others are looked at then.
            for (i, p) in refs.iter().enumerate() {
                let t = if i == 0 { wait } else { Duration::ZERO };
                let text = filter.text().to_string();
                let f = filter.clone();
                let m = Matcher::predicate(format!("a frame passing '{text}'"), move |b| {
                    f.matches(b, &Default::default())
                });
                match inner.bench.expect(p, m, t) {
                    Ok(got) => {
                        return Err(errors::ExpectationFailed::new_err(format!(
                            "on {p}: expected no frame passing '{text}' within {wait:?}; \
                             arrived: {}",
                            vethbench::frame::summary(&got.frame)
                        )))
                    }
                    Err(scen::ScenarioError::Harness(HarnessError::Expectation(_))) => {}
                    Err(e) => return Err(errors::fail(e.into_fail())),
                }
            }
            Ok(())
        })
    }

    /// Send ``frame`` on ``port`` and return the answer that comes back on it (Scapy's
    /// ``sr1``): the frame ``expect`` (and/or ``fields``), or without them the first frame.
    #[pyo3(signature = (port, frame, expect = None, fields = None, ignore = None, within = 1.0, filter = None))]
    #[allow(clippy::too_many_arguments)]
    fn sr(
        &self,
        py: Python<'_>,
        port: &str,
        frame: &Bound<'_, PyAny>,
        expect: Option<&Bound<'_, PyAny>>,
        fields: Option<&Bound<'_, PyDict>>,
        ignore: Option<&Bound<'_, PyAny>>,
        within: f64,
        filter: Option<&str>,
    ) -> PyResult<Received> {
        self.send(py, port, frame, 1, None)?;
        self.expect(py, port, expect, fields, ignore, within, false, filter)
    }

    /// Run ``cmd`` by ``sh -c`` inside ``node`` and return a
    /// ``subprocess.CompletedProcess`` (text output). ``check``: a non-zero exit raises
    /// :class:`ExpectationFailed` with its output. Ctrl-C kills it.
    #[pyo3(signature = (node, cmd, timeout = 30.0, check = true))]
    fn exec<'py>(
        &self,
        py: Python<'py>,
        node: &str,
        cmd: &str,
        timeout: f64,
        check: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds("timeout", timeout)?;
        let (n, c) = (node.to_string(), cmd.to_string());
        let what = c.clone();
        let out = self.with(py, move |inner, sig| {
            let bench = &mut inner.bench;
            std::thread::scope(|s| {
                let h = s.spawn(move || bench.exec(&n, &c, timeout));
                while !h.is_finished() {
                    std::thread::sleep(Duration::from_millis(2));
                    sig.check();
                }
                match h.join() {
                    Ok(r) => r.map_err(errors::scenario),
                    Err(_) => Err(PyRuntimeError::new_err(format!("exec '{what}': panicked"))),
                }
            })
        })?;
        if check && out.code != Some(0) {
            let mut m = format!("'{cmd}' on {node} {} (expected exit 0)", out.status_text());
            for (k, v) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                if !v.trim().is_empty() {
                    m.push_str(&format!("\n{k}:\n{}", v.trim_end()));
                }
            }
            return Err(errors::ExpectationFailed::new_err(m));
        }
        let code: i64 = out.code.map_or(-1, i64::from);
        py.import("subprocess")?
            .getattr("CompletedProcess")?
            .call1((cmd, code, out.stdout, out.stderr))
    }

    /// Ping ``to`` (IPv4) from ``node``'s own stack, ``count`` echo requests, one second
    /// for each reply; raises :class:`ExpectationFailed` unless every one is answered.
    #[pyo3(signature = (node, to, count = 1))]
    fn ping(&self, py: Python<'_>, node: &str, to: &str, count: u32) -> PyResult<()> {
        let to: std::net::IpAddr = to
            .parse()
            .map_err(|_| PyValueError::new_err(format!("ping: '{to}' is not an IP address")))?;
        self.run_step(
            py,
            StepKind::Ping {
                node: node.to_string(),
                to,
                count,
            },
        )
    }

    /// Start ``cmd`` in ``node`` until the bench closes (or the scenario's next test), and
    /// wait until it is ready: ``ready="tcp:80"`` (a TCP socket listens on port 80 in the
    /// node) or ``"file:PATH"`` (the path exists); None: a new socket, or 0.5 s.
    #[pyo3(signature = (node, cmd, ready = None, timeout = 10.0))]
    fn daemon(
        &self,
        py: Python<'_>,
        node: &str,
        cmd: &str,
        ready: Option<&str>,
        timeout: f64,
    ) -> PyResult<()> {
        let ready = match ready {
            None => None,
            Some(r) => Some(parse_ready(r)?),
        };
        self.run_step(
            py,
            StepKind::Daemon {
                node: node.to_string(),
                run: cmd.to_string(),
                ready,
                timeout: seconds("timeout", timeout)?,
            },
        )
    }

    /// Empty every port's queue: the next expectation sees only what comes after. Returns
    /// how many frames were dropped.
    fn flush(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |inner, _| Ok(inner.flush()))
    }

    /// Write every frame received on ``port`` (``"all"``: on every port) to the pcapng
    /// ``path`` until the returned :class:`Capture` stops (or the next capture starts).
    fn capture(slf: Bound<'_, Self>, port: &str, path: &str) -> PyResult<Capture> {
        let this = slf.get();
        let one = if port == "all" {
            None
        } else {
            Some(this.port_ref(port)?)
        };
        let id = this.captures.fetch_add(1, Ordering::Relaxed) + 1;
        let p = path.to_string();
        this.with(slf.py(), move |inner, _| {
            let ports = inner.bench.ports();
            let tap: Box<dyn Tap + Send> = match &one {
                None => {
                    let names: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    Box::new(PcapngTap::create(&p, &refs).map_err(harness_err)?)
                }
                Some(port) => {
                    let end = inner.bench.end(port).map_err(errors::scenario)?;
                    let name = port.to_string();
                    Box::new(OnePort {
                        inner: PcapngTap::create(&p, &[&name]).map_err(harness_err)?,
                        end: end.0,
                    })
                }
            };
            inner
                .bench
                .set_capture(Some(tap))
                .map_err(errors::scenario)?;
            inner.capture = id;
            Ok(())
        })?;
        Ok(Capture {
            bench: slf.clone().unbind(),
            id,
            path: path.to_string(),
        })
    }

    /// A stream from ``src`` to ``dst``, measured as ``vethbench test`` measures one
    /// (sender, receiver and checker in Rust, the GIL released); returns the figures of
    /// ``vethbench test --json`` as a dict. ``frame``: the template (default: a UDP frame
    /// of ``size`` bytes, addressed port to port); ``expect``: as it arrives (a router
    /// rewrote MACs and TTL), ``ignore``: fields not checked. ``count`` frames or
    /// ``duration`` seconds at ``rate`` frames/s (None: as fast as possible). ``check``:
    /// thresholds (``max_loss=0``, ``"0.1%"``...) or, without any, the report's verdict
    /// raise :class:`ExpectationFailed`. Ctrl-C stops the sender (KeyboardInterrupt).
    #[pyo3(signature = (src, dst, frame = None, expect = None, ignore = None, size = None,
        rate = None, count = None, duration = None, max_loss = None, min_loss = None,
        max_reorder = None, max_p99_us = None, check = true))]
    #[allow(clippy::too_many_arguments)]
    fn stream<'py>(
        &self,
        py: Python<'py>,
        src: &str,
        dst: &str,
        frame: Option<&Bound<'py, PyAny>>,
        expect: Option<&Bound<'py, PyAny>>,
        ignore: Option<&Bound<'py, PyAny>>,
        size: Option<usize>,
        rate: Option<f64>,
        count: Option<u64>,
        duration: Option<f64>,
        max_loss: Option<&Bound<'py, PyAny>>,
        min_loss: Option<&Bound<'py, PyAny>>,
        max_reorder: Option<&Bound<'py, PyAny>>,
        max_p99_us: Option<f64>,
        check: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let from = self.port_ref(src)?;
        let to = self.port_ref(dst)?;
        let want = Self::want(None, ignore, false)?;
        let duration = duration.map(|d| seconds("duration", d)).transpose()?;
        let count = match (count, duration) {
            (None, None) => Some(1000),
            (c, _) => c,
        };
        let step = StreamStep {
            from,
            to,
            frame: frame.map(|f| frame_src(f, &self.exprs)).transpose()?,
            expect: expect.map(|f| frame_src(f, &self.exprs)).transpose()?,
            ignore: want.ignore,
            size,
            rate_pps: rate,
            count,
            duration,
            max_loss: max_loss.map(limit).transpose()?,
            min_loss: min_loss.map(limit).transpose()?,
            max_reorder: max_reorder.map(limit).transpose()?,
            max_p99_us,
            save: Vec::new(),
        };
        let (report, verdict) = self.with(py, move |inner, sig| {
            let started = stream::start(&mut inner.bench, &step).map_err(errors::fail)?;
            let mut stopped = false;
            while !started.run.is_finished() {
                std::thread::sleep(Duration::from_millis(5));
                if !stopped && sig.check() {
                    started.run.stop();
                    stopped = true;
                }
            }
            started
                .finish(&mut inner.bench, &step)
                .map_err(errors::fail)
        })?;
        if let (true, Err(f)) = (check, verdict) {
            return Err(errors::fail(f));
        }
        Ok(crate::report::report_to_py(py, &report)?.into_any())
    }

    /// Run the scenario file's tests (or the one named ``name``) on this bench, as
    /// ``vethbench run`` does; returns ``[(name, outcome), ...]`` and raises
    /// :class:`ExpectationFailed` with the failing step's message when one does not pass.
    #[pyo3(signature = (name = None))]
    fn run(&self, py: Python<'_>, name: Option<String>) -> PyResult<Vec<(String, String)>> {
        let results = self.with(py, move |inner, _| {
            let s = inner.scenario.clone();
            let opts = scen::RunOptions::default();
            let mut out = Vec::new();
            for (i, t) in s.tests.iter().enumerate() {
                if name.as_ref().is_some_and(|n| *n != t.name) {
                    continue;
                }
                let r = scen::runner::run_test(&mut inner.bench, &s, i, t, &opts)
                    .map_err(errors::scenario)?;
                out.push(r);
            }
            if out.is_empty() {
                return Err(PyValueError::new_err(match name {
                    Some(n) => format!("no test named '{n}'"),
                    None => "the scenario has no tests".to_string(),
                }));
            }
            Ok(out)
        })?;
        let mut rows = Vec::new();
        for r in &results {
            let outcome = format!("{:?}", r.outcome).to_ascii_lowercase();
            if r.outcome != Outcome::Passed {
                let why = r
                    .failing_step()
                    .map(|s| format!("line {}: {}: {}", s.line, s.step, s.message))
                    .unwrap_or_default();
                return Err(errors::ExpectationFailed::new_err(format!(
                    "test '{}' {outcome}: {why}",
                    r.name
                )));
            }
            rows.push((r.name.clone(), outcome));
        }
        Ok(rows)
    }

    /// For tests only (not part of the API): panic with ``msg`` inside a call, the GIL
    /// released and the bench locked, as a bug in a step would. It arrives as
    /// ``PanicException``; the bench stays usable (its lock tolerates the poison).
    fn _panic(&self, py: Python<'_>, msg: String) -> PyResult<()> {
        self.with(py, move |_, _| -> PyResult<()> { panic!("{msg}") })
    }

    /// For benches: ``n`` steps of ``send(src, sent)`` + ``expect(dst, want, ignore)`` run
    /// by the Rust scenario steps alone (no Python between them); each step's ns.
    #[pyo3(signature = (src, sent, dst, want, ignore, n))]
    #[allow(clippy::too_many_arguments)]
    fn _rust_steps(
        &self,
        py: Python<'_>,
        src: &str,
        sent: Vec<u8>,
        dst: &str,
        want: Vec<u8>,
        ignore: Vec<String>,
        n: usize,
    ) -> PyResult<Vec<u64>> {
        let (from, to) = (self.port_ref(src)?, self.port_ref(dst)?);
        let w = Want {
            frame: None,
            ignore,
            fields: Vec::new(),
            filter: None,
            save: Vec::new(),
            strict: false,
        };
        self.with(py, move |inner, _| {
            let mut ns = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                steps::send_frames(&mut inner.bench, &from, &[&sent], 1, None)
                    .map_err(errors::fail)?;
                steps::expect_built(
                    &mut inner.bench,
                    &to,
                    vec![want.clone()],
                    &w,
                    Duration::from_secs(1),
                )
                .map_err(errors::fail)?;
                ns.push(t.elapsed().as_nanos() as u64);
            }
            Ok(ns)
        })
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { ", closed" } else { "" };
        format!("Bench({:?}{state})", self.what)
    }
}

fn parse_filter(text: &str) -> PyResult<Filter> {
    Filter::parse(text).map_err(|e| PyValueError::new_err(format!("filter '{text}': {e}")))
}

/// A display filter, with the frame (but its ignored fields) and the field conditions when
/// given: one predicate (its failure lists what arrived, without a field diff).
fn filtered(expected: Vec<Vec<u8>>, want: &Want, filter: Filter) -> PyResult<Matcher> {
    let ignore: Vec<&str> = want.ignore.iter().map(String::as_str).collect();
    let base = match expected.into_iter().next() {
        None => None,
        Some(b) if ignore.is_empty() => Some(Matcher::exact(b)),
        Some(b) => Some(Matcher::masked(b, &ignore).map_err(harness_err)?),
    };
    let conds = want.fields.clone();
    let mut what = match &base {
        Some(b) => b.describe(),
        None => "a frame".to_string(),
    };
    if !conds.is_empty() {
        what.push_str(&format!(" where {}", fields::describe(&conds)));
    }
    what.push_str(&format!(" passing '{}'", filter.text()));
    Ok(Matcher::predicate(what, move |f| {
        base.as_ref().is_none_or(|b| b.matches(f))
            && fields::all_hold(&conds, f)
            && filter.matches(f, &Default::default())
    }))
}

fn parse_ready(r: &str) -> PyResult<Ready> {
    check_steps::parse_ready(r).map_err(|m| PyValueError::new_err(format!("ready: {m}")))
}

/// `0` (frames) or `"0.1%"`.
fn limit(v: &Bound<'_, PyAny>) -> PyResult<Limit> {
    let text = v.str()?.to_cow()?.into_owned();
    check_steps::parse_limit(&text).map_err(PyValueError::new_err)
}

/// A frame argument as a scenario's frame (bytes as `hex:`).
fn frame_src(obj: &Bound<'_, PyAny>, cache: &ExprCache) -> PyResult<FrameSrc> {
    let text = match FrameArg::extract(obj, cache)? {
        FrameArg::Expr(e, text) => {
            return Ok(FrameSrc {
                text,
                expr: (*e).clone(),
                vars: false,
            })
        }
        FrameArg::Bytes(b) => {
            let mut t = String::from("hex:");
            for x in b {
                t.push_str(&format!("{x:02x}"));
            }
            t
        }
    };
    let expr = check_steps::parse_frame(&text)
        .map_err(|m| PyValueError::new_err(format!("frame '{text}': {m}")))?;
    Ok(FrameSrc {
        text,
        expr,
        vars: false,
    })
}

fn harness_err(e: HarnessError) -> PyErr {
    errors::scenario(scen::ScenarioError::Harness(e))
}

/// A tap that keeps one end's frames (as interface 0 of its pcapng).
struct OnePort<T> {
    inner: T,
    end: usize,
}

impl<T: Tap> Tap for OnePort<T> {
    fn record(&mut self, end: usize, frame: &[u8], meta: &RxMeta) -> Result<(), HarnessError> {
        if end == self.end {
            self.inner.record(0, frame, meta)
        } else {
            Ok(())
        }
    }
    fn finish(&mut self) -> Result<(), HarnessError> {
        self.inner.finish()
    }
}

/// A frame an expectation matched.
#[pyclass(module = "vethbench", name = "Received", frozen)]
pub struct Received {
    /// A `vethbench.Frame`.
    data: Py<PyAny>,
    time_ns: u64,
    port: String,
}

impl Received {
    fn bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(self.data.bind(py).cast::<PyBytes>()?.clone())
    }
}

#[pymethods]
impl Received {
    /// The frame: a ``vethbench.Frame`` (``bytes``, with ``.scapy()``, ``.show()``...).
    #[getter]
    fn data(&self, py: Python<'_>) -> Py<PyAny> {
        self.data.clone_ref(py)
    }

    /// The kernel's receive timestamp, ns since the epoch (CLOCK_REALTIME).
    #[getter]
    fn time_ns(&self) -> u64 {
        self.time_ns
    }

    /// The port it arrived on, ``"node:iface"``.
    #[getter]
    fn port(&self) -> &str {
        &self.port
    }

    /// The frame's fields by tshark's names, each a list of its values, outer first
    /// (``rx.fields["ip.ttl"] == ["63"]``), as ``vethbench.fields()`` gives them.
    #[getter]
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        frames::fields_dict(py, self.bytes(py)?.as_bytes())
    }

    /// ``scapy.layers.l2.Ether(data)`` (Scapy imported on first use).
    fn scapy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.data.bind(py).call_method0("scapy")
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, self.bytes(py)?.as_bytes()))
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.bytes(py)?.as_bytes().len())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Received(port={:?}, time_ns={}, {})",
            self.port,
            self.time_ns,
            vethbench::frame::summary(self.bytes(py)?.as_bytes())
        ))
    }
}

/// A running capture of :meth:`Bench.capture`; :meth:`stop` (or the end of a ``with``
/// block) finishes its pcapng.
#[pyclass(module = "vethbench", name = "Capture", frozen)]
pub struct Capture {
    bench: Py<PyBench>,
    id: u64,
    path: String,
}

#[pymethods]
impl Capture {
    /// The pcapng's path.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// Finish the pcapng (what every port has queued is read first); returns its path.
    /// Idempotent; a no-op once another capture replaced this one or the bench closed.
    fn stop(&self, py: Python<'_>) -> PyResult<String> {
        let b = self.bench.get();
        if b.closed() {
            return Ok(self.path.clone());
        }
        let id = self.id;
        b.with(py, move |inner, _| {
            if inner.capture != id {
                return Ok(());
            }
            let ports = inner.bench.ports();
            if let Some(first) = ports.first().and_then(|p| inner.bench.end(p).ok()) {
                let _ = inner
                    .bench
                    .testbench()
                    .expect_no_other(first, Duration::ZERO);
            }
            inner.capture = 0;
            inner.bench.set_capture(None).map_err(errors::scenario)
        })?;
        Ok(self.path.clone())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBench>()?;
    m.add_class::<Received>()?;
    m.add_class::<Capture>()?;
    Ok(())
}
