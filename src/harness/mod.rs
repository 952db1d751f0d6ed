//! The testbench: topology + sender + capturer + expectations + latency. (Owned by the harness work; stub.)

/// An error that stops a test run (a failed expectation is a report, not an error).
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{0}")]
    Setup(String),
}
