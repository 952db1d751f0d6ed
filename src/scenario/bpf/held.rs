//! Loading and attaching: [`Held`], what a built topology holds of eBPF (each node's objects,
//! one per object file so that the programs of one file share its maps, and their links),
//! and the look-ups of a program or a map by node.
//!
//! What stays true: programs, maps and links are held by file descriptors of the runner, so
//! they vanish with it, SIGKILL included; a `pin:` is made only when the file asks, refused if
//! the path exists, and removed (with the directories made for it) when [`Held`] drops.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::bpf::btf::Btf;
use crate::bpf::{self, Attachment, Object};
use crate::link::netns::Netns;
use crate::scenario::model::TopologySpec;
use crate::scenario::steps::Fail;
use crate::scenario::ScenarioError;

/// One object file loaded for a node: its programs share its maps.
#[derive(Debug)]
pub(super) struct Loaded {
    pub(super) node: String,
    pub(super) path: PathBuf,
    pub(super) obj: Mutex<Object>,
    pub(super) btf: Option<Btf>,
    /// Held links (detached when dropped); pinned ones are in [`Held::pins`].
    links: Vec<Attachment>,
}

/// `/sys/fs/bpf` is a bpffs (pins live there).
fn check_bpffs(pin: &Path) -> Result<(), String> {
    const BPF_FS_MAGIC: i64 = 0xcafe4a11;
    match nix::sys::statfs::statfs("/sys/fs/bpf") {
        Ok(s) if s.filesystem_type().0 == BPF_FS_MAGIC => Ok(()),
        _ => Err(format!(
            "pin {}: bpffs is not mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf)",
            pin.display()
        )),
    }
}

/// The programs, maps and links a built topology holds.
#[derive(Debug, Default)]
pub struct Held {
    pub(super) loaded: Vec<Loaded>,
    /// Pinned links, unpinned (so detached) on drop.
    pins: Vec<PathBuf>,
    /// Directories made for pins, removed (if empty) on drop, deepest first.
    dirs: Vec<PathBuf>,
}

impl Drop for Held {
    fn drop(&mut self) {
        for p in self.pins.drain(..) {
            if bpf::unpin(&p).is_err() {
                let _ = std::fs::remove_file(&p);
            }
        }
        for d in self.dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(&d);
        }
    }
}

fn bpf_err(what: String) -> impl FnOnce(bpf::BpfError) -> ScenarioError {
    move |source| ScenarioError::Bpf { what, source }
}

impl Held {
    /// Load and attach every program of `spec` (each node's namespace from `netns`).
    pub fn attach<'a>(
        spec: &TopologySpec,
        netns: impl Fn(&str) -> Result<&'a Netns, ScenarioError>,
    ) -> Result<Held, ScenarioError> {
        let mut held = Held::default();
        for p in &spec.bpf {
            let what = format!(
                "bpf on {}:{} (line {}): '{}' of {}",
                p.node,
                p.iface,
                p.line,
                p.program,
                p.object.display()
            );
            let i = match held
                .loaded
                .iter()
                .position(|l| l.node == p.node && l.path == p.object)
            {
                Some(i) => i,
                None => {
                    let obj = Object::open(&p.object).map_err(bpf_err(what.clone()))?;
                    let btf = std::fs::read(&p.object)
                        .ok()
                        .and_then(|b| Btf::from_elf(&b).ok().flatten());
                    held.loaded.push(Loaded {
                        node: p.node.clone(),
                        path: p.object.clone(),
                        obj: Mutex::new(obj),
                        btf,
                        links: Vec::new(),
                    });
                    held.loaded.len() - 1
                }
            };
            let ns = netns(&p.node)?;
            let l = &mut held.loaded[i];
            let obj = l.obj.get_mut().expect("object lock");
            let att = ns
                .run(|| Ok(obj.attach(&p.program, &p.iface, p.hook)))
                .map_err(|e| ScenarioError::link(what.clone(), e))?
                .map_err(bpf_err(what.clone()))?;
            match &p.pin {
                None => l.links.push(att),
                Some(path) => {
                    if path.exists() {
                        return Err(ScenarioError::Unsupported(format!(
                            "{what}: pin {} already exists (left by another run? remove it with rm)",
                            path.display()
                        )));
                    }
                    check_bpffs(path)
                        .map_err(|m| ScenarioError::Unsupported(format!("{what}: {m}")))?;
                    let mut missing = Vec::new();
                    let mut d = path.parent();
                    while let Some(x) = d.filter(|x| !x.exists()) {
                        missing.push(x.to_path_buf());
                        d = x.parent();
                    }
                    for x in missing.iter().rev() {
                        std::fs::create_dir(x).map_err(|e| ScenarioError::Io {
                            what: format!("{what}: creating {}", x.display()),
                            source: e,
                        })?;
                        held.dirs.push(x.clone());
                    }
                    att.pin(path).map_err(bpf_err(what.clone()))?;
                    held.pins.push(path.clone());
                }
            }
        }
        Ok(held)
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.loaded.is_empty()
    }

    /// The pins made (removed when this drops).
    pub fn pins(&self) -> &[PathBuf] {
        &self.pins
    }

    /// The object of `node` that has program `program`.
    pub(super) fn with_program(&self, node: &str, program: &str) -> Result<&Loaded, Fail> {
        self.loaded
            .iter()
            .filter(|l| l.node == node)
            .find(|l| {
                l.obj
                    .lock()
                    .expect("object lock")
                    .programs()
                    .iter()
                    .any(|(n, _)| n == program)
            })
            .ok_or_else(|| {
                Fail::Error(format!(
                    "node {node} has no program '{program}' in its bpf: objects ({})",
                    self.objects_of(node)
                ))
            })
    }

    /// The object of `node` that has map `map`.
    pub(super) fn with_map(&self, node: &str, map: &str) -> Result<&Loaded, Fail> {
        self.loaded
            .iter()
            .filter(|l| l.node == node)
            .find(|l| {
                l.obj
                    .lock()
                    .expect("object lock")
                    .maps()
                    .iter()
                    .any(|n| n == map)
            })
            .ok_or_else(|| {
                let have: Vec<String> = self
                    .loaded
                    .iter()
                    .filter(|l| l.node == node)
                    .flat_map(|l| l.obj.lock().expect("object lock").maps())
                    .filter(|m| !m.starts_with('.'))
                    .collect();
                Fail::Error(format!(
                    "node {node} has no map '{map}' (its maps: {})",
                    have.join(", ")
                ))
            })
    }

    fn objects_of(&self, node: &str) -> String {
        self.loaded
            .iter()
            .filter(|l| l.node == node)
            .map(|l| l.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
