//! Integration tests of scenarios (`vethbench run`, `up`, `down`) and the multi-port `Bench`:
//! every file under `examples/` runs and passes; a deliberately wrong twin of each fails with
//! exit 1 and names the failing step; a YAML error is file:line, exit 2, nothing created; a
//! SIGKILLed run leaves no process behind. Topologies live in private namespaces the runner
//! holds (or, for `up`, named ones with a unique prefix, removed by `down`).

#[path = "../common/mod.rs"]
mod common;

mod attached;
mod bench_api;
mod compare;
mod devices;
mod examples;
mod filters;
mod lifecycle;
mod open_files;
mod reports;
mod sysfs;

use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

/// `examples/NAME`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// `vethbench ARGS...`, its output.
pub fn vethbench(args: &[&str]) -> Output {
    common::vethbench()
        .args(args)
        .output()
        .expect("run vethbench")
}

pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A test's scenario file, `NAME` in a temporary directory of its own (removed on drop), which
/// the scenario's commands run in.
pub struct ScenarioDir {
    dir: TempDir,
    name: &'static str,
}

impl ScenarioDir {
    pub fn new(name: &'static str) -> Self {
        ScenarioDir {
            dir: tempfile::tempdir().unwrap(),
            name,
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `DIR/NAME`.
    pub fn file(&self) -> PathBuf {
        self.dir.path().join(self.name)
    }

    /// Write `yaml` as the file; its path.
    pub fn write(&self, yaml: &str) -> PathBuf {
        let path = self.file();
        std::fs::write(&path, yaml).unwrap();
        path
    }

    /// Write `yaml` as the file and run it: `vethbench run ARGS... FILE`.
    pub fn run(&self, yaml: &str, args: &[&str]) -> Output {
        let path = self.write(yaml);
        let mut a = vec!["run"];
        a.extend_from_slice(args);
        a.push(path.to_str().unwrap());
        vethbench(&a)
    }
}
