//! Frames at the Python edge: the one extractor of a frame argument ([`with_frame`]), the
//! `bytes` subclass frames come back as ([`to_frame`], `vethbench.Frame`), the expression
//! error ([`expr_error`], `vethbench.ExpressionError`), and the frame functions `frame`,
//! `frames`, `show`, `summary`, `fields`, `hexdump`, each a thin call into the core crate's
//! engine (`vethbench::frame`).
//!
//! What stays true:
//! - **Every function that takes a frame takes it through [`with_frame`]**: a `str` is a
//!   Scapy expression (built by the engine, one frame), `bytes` (and `vethbench.Frame`) are
//!   read in place, `bytearray` and `memoryview` are copied once (the buffer protocol is not
//!   in the stable ABI of Python 3.9, which the abi3 wheel targets), and anything else with
//!   `__bytes__` (a Scapy `Packet`) is converted by it. Nothing else is a frame (TypeError).
//! - **Frames come back as `vethbench.Frame`**, a `bytes` subclass defined in Python
//!   (`vethbench/_frame.py`) whose `.scapy()` imports Scapy only when called.
//! - **A bad expression is a `ValueError`** (`vethbench.ExpressionError`) whose `column` is
//!   the 1-based column the engine points at, and whose message shows the expression with a
//!   caret under it.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyType};

use vethbench::frame::expr::ExprError;

pyo3::create_exception!(
    vethbench,
    ExpressionError,
    PyValueError,
    "A Scapy expression the engine cannot build: ``column`` is the 1-based column it points \
     at, ``expr`` the expression."
);

/// `vethbench._frame.Frame`, imported once.
static FRAME_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn frame_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    FRAME_TYPE.import(py, "vethbench._frame", "Frame")
}

/// `data` as a `vethbench.Frame` (a `bytes` subclass).
pub fn to_frame<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    frame_type(py)?.call1((PyBytes::new(py, data),))
}

/// The `ValueError` of a bad expression: the engine's message, the expression and a caret
/// under the column; `.column` and `.expr` set.
pub fn expr_error(py: Python<'_>, expr: &str, e: &ExprError) -> PyErr {
    let shown = expr.replace('\n', " ");
    let pad = " ".repeat(e.col.saturating_sub(1).min(shown.chars().count()));
    let err = ExpressionError::new_err(format!("{e}\n    {shown}\n    {pad}^"));
    let value = err.value(py);
    // Setting an attribute on a fresh exception instance does not fail.
    let _ = value.setattr("column", e.col);
    let _ = value.setattr("expr", expr);
    err
}

/// Every frame a Scapy expression builds (one, or several with `fragment(...)`).
pub fn build(py: Python<'_>, expr: &str) -> PyResult<Vec<Vec<u8>>> {
    vethbench::frame::expr::parse(expr)
        .and_then(|e| e.build())
        .map_err(|e| expr_error(py, expr, &e))
}

/// The one frame of a Scapy expression (a `fragment(...)` giving several is a ValueError).
pub fn build_one(py: Python<'_>, expr: &str) -> PyResult<Vec<u8>> {
    let mut frames = build(py, expr)?;
    if frames.len() != 1 {
        return Err(PyValueError::new_err(format!(
            "{} builds {} frames where one is taken (vethbench.frames() returns them all)",
            expr.trim(),
            frames.len()
        )));
    }
    Ok(frames.remove(0))
}

/// Call `f` with the bytes of a frame argument: a Scapy expression (`str`), `bytes` (read in
/// place), `bytearray` or `memoryview` (copied once), or an object with `__bytes__` (a Scapy
/// packet). See the module doc.
pub fn with_frame<T>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> PyResult<T>) -> PyResult<T> {
    let py = obj.py();
    if let Ok(b) = obj.cast::<PyBytes>() {
        return f(b.as_bytes());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let expr = s.to_cow()?;
        return f(&build_one(py, &expr)?);
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return f(&b.to_vec());
    }
    if obj.cast::<PyMemoryView>().is_ok() {
        let copy = py.get_type::<PyBytes>().call1((obj,))?;
        return f(copy.cast::<PyBytes>()?.as_bytes());
    }
    if obj.hasattr("__bytes__")? {
        let bytes = obj.call_method0("__bytes__")?;
        let b = bytes.cast::<PyBytes>().map_err(|_| {
            PyTypeError::new_err(format!(
                "{}.__bytes__() returned {}, not bytes",
                type_name(obj),
                type_name(&bytes)
            ))
        })?;
        return f(b.as_bytes());
    }
    Err(PyTypeError::new_err(format!(
        "a frame is a Scapy expression (str), bytes, bytearray, memoryview or an object with \
         __bytes__ (a Scapy packet), not {}",
        type_name(obj)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The fields of a frame as `vethbench.fields()` returns them: tshark's name → every value,
/// in frame order (outer first), each as `tshark -T fields` prints it.
pub fn fields_dict<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, value) in vethbench::frame::fields::all_values(data) {
        match d.get_item(name)? {
            Some(list) => list.cast::<PyList>()?.append(value)?,
            None => d.set_item(name, PyList::new(py, [value])?)?,
        }
    }
    Ok(d)
}

/// The frame a Scapy expression builds, byte for byte what Scapy's ``raw()`` gives:
/// ``frame('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1",
/// dst="198.18.0.2")/UDP(dport=9)/"hi"')``. Unset fields take Scapy's defaults with no route
/// (``Ether`` src 00:00:00:00:00:00, ``IP`` src 0.0.0.0). Any other frame argument (bytes, a
/// Scapy packet) comes back as it is, as a ``Frame``.
///
/// Returns a ``vethbench.Frame`` (a ``bytes`` subclass; ``.scapy()`` gives Scapy's
/// ``Ether``). A bad expression raises ``vethbench.ExpressionError`` (a ``ValueError``)
/// whose ``column`` points at the mistake; an expression giving several frames
/// (``fragment(...)``) raises ``ValueError``: use ``frames()``.
#[pyfunction]
#[pyo3(signature = (frame, /))]
pub fn frame<'py>(frame: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if frame.get_type().is(frame_type(frame.py())?) {
        return Ok(frame.clone());
    }
    with_frame(frame, |b| to_frame(frame.py(), b))
}

/// Every frame a Scapy expression builds, as a list of ``Frame``: one, or several for
/// ``fragment(IP(...)/..., fragsize=N)``.
#[pyfunction]
#[pyo3(signature = (expr, /))]
pub fn frames<'py>(py: Python<'py>, expr: &str) -> PyResult<Bound<'py, PyList>> {
    let built = build(py, expr)?;
    let list = PyList::empty(py);
    for f in built {
        list.append(to_frame(py, &f)?)?;
    }
    Ok(list)
}

/// Scapy's ``show()`` of the frame, as a string (what ``Ether(frame).show()`` prints and
/// ``vethbench read -V`` prints per frame): one ``###[ Layer ]###`` block per layer, a line
/// per field.
#[pyfunction]
#[pyo3(signature = (frame, /))]
pub fn show(frame: &Bound<'_, PyAny>) -> PyResult<String> {
    with_frame(frame, |b| Ok(vethbench::frame::show(b)))
}

/// The frame on one line as tshark prints it (without the number and time columns):
/// ``198.18.0.1 → 198.18.0.2 UDP 44 49152 → 9 Len=2``.
#[pyfunction]
#[pyo3(signature = (frame, /))]
pub fn summary(frame: &Bound<'_, PyAny>) -> PyResult<String> {
    with_frame(frame, |b| Ok(vethbench::frame::summary(b)))
}

/// Scapy's ``hexdump()`` of the frame, as a string.
#[pyfunction]
#[pyo3(signature = (frame, /))]
pub fn hexdump(frame: &Bound<'_, PyAny>) -> PyResult<String> {
    with_frame(frame, |b| Ok(vethbench::frame::hexdump(b)))
}

/// Every header field of the frame, by tshark's name, as ``dict[str, list[str]]``: each
/// name maps to the list of its values in frame order, outer first (always a list, so a
/// field a frame holds twice, ``vlan.id`` of a QinQ frame or ``ip.src`` of an ICMP error and
/// the packet it quotes, is ``["100", "200"]``), each value as ``tshark -T fields -e NAME``
/// prints it (``"0x0800"``, ``"198.18.0.1"``, ``"64"``). ``data`` lists the bytes no header
/// claims, in hex. A field the frame does not have is absent.
#[pyfunction]
#[pyo3(signature = (frame, /))]
pub fn fields<'py>(frame: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    with_frame(frame, |b| fields_dict(frame.py(), b))
}
