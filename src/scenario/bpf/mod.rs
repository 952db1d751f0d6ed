//! eBPF programs in scenarios: a node's `bpf:` (programs attached to its interfaces, loaded
//! with aya), the `map_update`/`map_expect` steps, the `prog_run` step (BPF_PROG_RUN, and with
//! `dual: true` the same frame on the live link too), and the maps' contents in a failed
//! test's report. One file per concern, arrows pointing down:
//!
//! - `spec.rs`: the file as written ([`BpfYaml`], [`MapStepYaml`], [`ProgRunYaml`]) and
//!   checked at load ([`BpfProgSpec`], [`MapStep`], [`ProgRunStep`]).
//! - `held.rs`: loading and attaching; [`Held`] is what a built topology holds (each node's
//!   objects, one per object file so the programs of one file share its maps, and their links).
//! - `maps.rs`: `map_update`, `map_expect` and the maps in a failed test's report, over
//!   `value.rs` (keys and values to bytes and back, with BTF).
//! - `prog_run.rs`: the `prog_run` step; `dual.rs`: its live half.
//!
//! What stays true: programs, maps and links are held by file descriptors of the runner, so
//! they vanish with it, SIGKILL included; a `pin:` is made only when the file asks, refused if
//! the path exists, and removed when the topology drops (a failed run, the end of a run after
//! SIGTERM or Ctrl-C); `vethbench up` refuses a file with `bpf:` (no process would hold them).

pub mod value;

mod dual;
mod held;
mod maps;
mod prog_run;
mod spec;

pub use dual::{DUAL_QUIET, DUAL_WITHIN};
pub use held::Held;
pub use maps::REPORT_ENTRIES;
pub use spec::{BpfProgSpec, BpfYaml, MapStep, MapStepYaml, ProgRunStep, ProgRunYaml, ValueYaml};

pub(super) use maps::{note_maps, run_map_expect, run_map_update};
pub(super) use prog_run::run_prog_run;
pub(super) use spec::{check_prog, check_refs, map_step, prog_run};

use super::steps::Fail;
use crate::bpf;

fn fail_err(e: bpf::BpfError) -> Fail {
    Fail::Error(crate::error::chain(&e))
}
