//! `vethbench._native`: the compiled half of the `vethbench` Python package. Conversions happen
//! at this edge only; everything else is the core crate.
//!
//! The modules: `frames` (the frame argument every function takes, the `Frame` type handed
//! back, `frame()`/`show()`/`summary()`/`fields()`), `report` (a run's report as the dict of
//! `vethbench test --json`), `testbench` (`Testbench`), `port` (`Port`).
use pyo3::prelude::*;

pub mod frames;
mod port;
pub mod report;
pub mod testbench;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(frames::frame, m)?)?;
    m.add_function(wrap_pyfunction!(frames::frames, m)?)?;
    m.add_function(wrap_pyfunction!(frames::show, m)?)?;
    m.add_function(wrap_pyfunction!(frames::summary, m)?)?;
    m.add_function(wrap_pyfunction!(frames::hexdump, m)?)?;
    m.add_function(wrap_pyfunction!(frames::fields, m)?)?;
    m.add(
        "ExpressionError",
        m.py().get_type::<frames::ExpressionError>(),
    )?;
    m.add_class::<port::Port>()?;
    m.add_class::<testbench::Testbench>()?;
    Ok(())
}
