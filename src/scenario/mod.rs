//! Scenarios: a topology with a device under test, and the delivery tests run through it, in
//! one YAML file (`vethbench run FILE`), or the same from Rust.
//!
//! By concern:
//! - [`yaml`]: the file as written (serde structs, every key checked, locations kept);
//!   [`check`]: from it to the checked [`model`] (references resolved), [`check_steps`]: the
//!   tests' steps (frames parsed, field names checked);
//!   [`load`](mod@load): reading a file, errors naming file, line and key.
//! - [`topology`]: building it: nodes are private network namespaces held by this process (or
//!   named ones for `vethbench up`), veth links, bridges, addresses, routes, sysctls;
//!   [`proc`]: commands run inside a node (setup, `exec`, `daemon`), which die with us.
//! - [`bench`](mod@bench): the multi-port [`Bench`] on a built topology: `send`/`expect`/`expect_none`/`sr`
//!   on named ports (`h1:eth0`), frames from Scapy expressions with `mac()`/`ip()`.
//! - [`steps`] and [`runner`]: running a scenario's tests on a [`Bench`], one result per step;
//!   [`stream`](mod@stream): the `stream` step, through a router too.
//! - [`report`]: the human report, JUnit XML, TAP and JSON.
//! - [`bpf`](mod@bpf): eBPF programs on nodes' interfaces, the map and `prog_run` steps;
//!   [`impair`](mod@impair): seeded impairments on links (a relay the runner holds).
//!
//! What stays true: a file that does not check creates nothing; nothing a run creates
//! outlives it, SIGKILL included (private namespaces; children get `PR_SET_PDEATHSIG`); each
//! test starts with every port's receive socket bound and its queue emptied (no sleeps).

pub mod bench;
pub mod bpf;
pub mod check;
pub mod check_steps;
pub mod fields;
pub mod filter;
pub mod impair;
pub mod load;
pub mod model;
pub mod proc;
pub mod report;
pub mod runner;
pub mod steps;
pub mod stream;
pub mod topology;
pub mod yaml;

pub use bench::Bench;
pub use load::{load, parse_str};
pub use model::{PortRef, Scenario, TopologySpec};
pub use runner::{run_scenario, RunOptions, ScenarioResult, TestResult};
pub use steps::{Outcome, StepResult};
pub use topology::Topology;

use crate::harness::HarnessError;
use crate::link::LinkError;

/// A scenario file that cannot be used: nothing was created.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {}{msg}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
    Invalid {
        file: String,
        line: usize,
        key: String,
        msg: String,
    },
}

impl LoadError {
    /// The same error, naming `file`.
    pub fn in_file(self, file: &str) -> Self {
        match self {
            LoadError::Invalid { line, key, msg, .. } => LoadError::Invalid {
                file: file.to_string(),
                line,
                key,
                msg,
            },
            e => e,
        }
    }
}

/// What stops a scenario from running (after it checked): building the topology, a setup
/// command, opening a port.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{what}")]
    Link {
        what: String,
        #[source]
        source: LinkError,
    },
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error("setup{} on {node}: '{run}' {status}{}", line_of(*line), stderr_of(stderr))]
    Setup {
        node: String,
        run: String,
        line: usize,
        status: String,
        stderr: String,
    },
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The kernel lacks a feature the scenario needs.
    #[error("{0}")]
    Unsupported(String),
    #[error("unknown port '{0}'")]
    NoSuchPort(String),
    #[error("unknown node '{0}'")]
    NoSuchNode(String),
    #[error("frame '{text}': {msg}")]
    Frame { text: String, msg: String },
    #[error("{what}")]
    Bpf {
        what: String,
        #[source]
        source: crate::bpf::BpfError,
    },
    #[error("{what}")]
    Impair {
        what: String,
        #[source]
        source: crate::impair::ImpairError,
    },
}

fn line_of(line: usize) -> String {
    if line > 0 {
        format!(" (line {line})")
    } else {
        String::new()
    }
}

fn stderr_of(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!(": {}", s.lines().collect::<Vec<_>>().join(" / "))
    }
}

impl ScenarioError {
    pub(crate) fn link(what: impl Into<String>, source: LinkError) -> Self {
        ScenarioError::Link {
            what: what.into(),
            source,
        }
    }
}
