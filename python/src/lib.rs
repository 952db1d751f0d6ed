//! `vethbench._native`: the compiled half of the `vethbench` Python package. Conversions happen
//! at this edge only; everything else is the core crate.
use pyo3::prelude::*;

mod bench;
mod errors;
mod port;

/// Build the frame(s) of a Scapy expression; returns the first frame's bytes.
#[pyfunction]
fn frame(expr: &str) -> PyResult<Vec<u8>> {
    let parsed = vethbench::frame::expr::parse(expr)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    let mut frames = parsed
        .build()
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(frames.swap_remove(0))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(frame, m)?)?;
    m.add_class::<port::Port>()?;
    bench::register(m)?;
    errors::register(m)?;
    Ok(())
}
