//! A delivery run's [`Report`] as a Python `dict`: the same keys and values as
//! `vethbench test --json` (schema_version 1: `sent`, `received`, `intact`, `lost`,
//! `corrupted`, `reordered`, `duplicated`, `kernel_drops`, `pps`, `latency` with its
//! percentiles in µs, `per_flow`, `verdict`...), because it is made from the report's own
//! serde form. `Testbench.run` and `Bench.stream` both return it ([`report_to_py`]).
//!
//! The conversion walks the JSON value the report serialises to (no text in between):
//! objects become `dict`, arrays `list`, numbers `int` (or `float` when not integral),
//! `null` `None`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use vethbench::harness::Report;

/// The report as the `dict` `vethbench test --json` prints.
pub fn report_to_py<'py>(py: Python<'py>, report: &Report) -> PyResult<Bound<'py, PyDict>> {
    let value = serde_json::to_value(report).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("report does not serialise: {e}"))
    })?;
    Ok(value_to_py(py, &value)?.cast_into::<PyDict>()?)
}

/// A JSON value as the Python object `json.loads` would give.
pub fn value_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_u64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(value_to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, value_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}
