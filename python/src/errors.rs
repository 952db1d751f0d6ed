//! The exceptions of the package, and the one place the core's errors become them:
//!
//! - a failed expectation: [`ExpectationFailed`] (an `AssertionError`, so pytest shows its
//!   message: what was expected, what arrived, the field-level diff, as the CLI prints it);
//! - a scenario file or topology that does not check, a bad frame expression (with its
//!   column), an unknown port or node: `ValueError`;
//! - a missing privilege: `PermissionError` naming the capability;
//! - anything else the kernel refused: `OSError`, the whole error chain on one line.
//!
//! A wait stopped by a signal handler's exception (Ctrl-C: `KeyboardInterrupt`) raises that
//! exception, not one of these.
//!
//! A Rust panic (a bug) unwinds to the PyO3 boundary of the call and is raised there as PyO3's
//! `PanicException` (`vethbench.PanicException`), with the panic's message: the interpreter
//! goes on (the crates build with `panic = "unwind"`, Cargo's default; nothing may set
//! `abort`). It derives from `BaseException`, as PyO3 makes it, so `except Exception` does not
//! swallow a bug while pytest still reports it as the test's failure. [`_panic`] (and
//! `Bench._panic`) panic on purpose, for the tests of that.

use pyo3::exceptions::{PyAssertionError, PyOSError, PyPermissionError, PyValueError};
use pyo3::prelude::*;

use vethbench::link::LinkError;
use vethbench::scenario::steps::Fail;
use vethbench::scenario::{LoadError, ScenarioError};

pyo3::create_exception!(
    vethbench,
    ExpectationFailed,
    PyAssertionError,
    "An expectation of a Bench failed: the message says what was expected, what arrived \
     instead and how the closest frame differs (``ip.ttl: expected 63, got 64``)."
);

/// A core error as the Python exception of its kind.
pub fn scenario(e: ScenarioError) -> PyErr {
    let text = vethbench::error::chain(&e);
    match &e {
        ScenarioError::Load(_)
        | ScenarioError::NoSuchPort(_)
        | ScenarioError::NoSuchNode(_)
        | ScenarioError::Frame { .. } => PyValueError::new_err(text),
        // A harness error (opening a port's sockets...) as Testbench raises it.
        ScenarioError::Harness(h) => crate::testbench::harness_err(h),
        ScenarioError::Link {
            source: LinkError::Permission { .. },
            ..
        } => PyPermissionError::new_err(text),
        _ => PyOSError::new_err(text),
    }
}

/// A topology given in Python (not a file): its problems name the key, not a line.
pub fn topology(e: LoadError) -> PyErr {
    match e {
        LoadError::Invalid { key, msg, .. } => PyValueError::new_err(if key.is_empty() {
            format!("Topology: {msg}")
        } else {
            format!("Topology: {key}: {msg}")
        }),
        e => PyValueError::new_err(vethbench::error::chain(&e)),
    }
}

/// A step that did not pass.
pub fn fail(f: Fail) -> PyErr {
    match f {
        Fail::Failed(m) => ExpectationFailed::new_err(m),
        Fail::Error(m) if m.contains("CAP_") => PyPermissionError::new_err(m),
        Fail::Error(m) => PyOSError::new_err(m),
    }
}

/// For tests only (not part of the API): panic with `msg`, the GIL held, or released when
/// `detached` (as in a blocking wait), so a test can see the panic arrive as
/// `PanicException` and the interpreter go on.
#[pyfunction]
#[pyo3(signature = (msg, detached = false))]
fn _panic(py: Python<'_>, msg: String, detached: bool) {
    if detached {
        py.detach(move || panic!("{msg}"))
    } else {
        panic!("{msg}")
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ExpectationFailed", m.py().get_type::<ExpectationFailed>())?;
    m.add(
        "PanicException",
        m.py().get_type::<pyo3::panic::PanicException>(),
    )?;
    m.add_function(wrap_pyfunction!(_panic, m)?)
}
