//! eBPF programs as devices under test: an ELF object (with BTF) loaded by aya, a program run on
//! a frame with the kernel's `BPF_PROG_RUN` ([`Object::run`]), attached to an interface (XDP
//! native or generic, tc ingress or egress: [`Hook`], [`Object::attach`]), and its maps read and
//! written by key ([`Object::map_get`], [`Object::map_set`], per-CPU maps too), listed
//! ([`Object::map_keys`]); [`btf`] reads the object's BTF for map keys and values by member.
//!
//! Why aya: a maintained pure-Rust loader (no libbpf C build, no `bpftool`), which does the ELF
//! relocation, BTF and map creation, attaches through bpf links (XDP, and TCX on kernels ≥ 6.6:
//! no clsact qdisc to add or leave behind), and has `BPF_PROG_TEST_RUN` for XDP and tc programs
//! since 0.14. Its 0.16 needs Rust 1.98; 0.14 builds with this crate's toolchain.
//!
//! What stays true: whatever an [`Object`] loaded and attached goes away when it drops, or when
//! the process dies (even by SIGKILL): programs, maps and links are held by file descriptors,
//! and nothing is pinned unless [`Attachment::pin`] asks. A program the verifier rejects is one
//! error carrying the verifier log's last lines.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use aya::maps::{Map, MapData};
use aya::programs::links::FdLink;
use aya::programs::tc::TcAttachType;
use aya::programs::{Program, ProgramError, TestRun, TestRunOptions, XdpMode};

use crate::error::Capability;

pub mod btf;

/// Lines of the verifier's log an error keeps.
const VERIFIER_TAIL: usize = 8;

/// Where a program is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// XDP in the driver (veth has native XDP).
    Xdp,
    /// XDP in the generic (skb) path.
    XdpGeneric,
    /// tc, on the way in (clsact ingress, direct action).
    TcIngress,
    /// tc, on the way out.
    TcEgress,
}

impl std::str::FromStr for Hook {
    type Err = BpfError;
    fn from_str(s: &str) -> Result<Hook, BpfError> {
        match s {
            "xdp" => Ok(Hook::Xdp),
            "xdp-generic" => Ok(Hook::XdpGeneric),
            "tc-ingress" => Ok(Hook::TcIngress),
            "tc-egress" => Ok(Hook::TcEgress),
            _ => Err(BpfError::BadHook(s.to_string())),
        }
    }
}

impl std::fmt::Display for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Hook::Xdp => "xdp",
            Hook::XdpGeneric => "xdp-generic",
            Hook::TcIngress => "tc-ingress",
            Hook::TcEgress => "tc-egress",
        })
    }
}

/// The kind of program, which decides what its return code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xdp,
    Tc,
}

/// An error of this module.
#[derive(Debug, thiserror::Error)]
pub enum BpfError {
    #[error("{path}: {why}")]
    Object { path: String, why: String },
    #[error("{path} has no program '{name}' (it has: {have})")]
    NoProgram {
        path: String,
        name: String,
        have: String,
    },
    #[error("program '{name}' is {kind}, not an XDP or tc program")]
    Unsupported { name: String, kind: String },
    #[error("the verifier rejected '{name}': {log}")]
    Rejected { name: String, log: String },
    #[error("{what}: permission denied: needs {} and {} ({})", Capability::Bpf.name(), Capability::NetAdmin.name(), Capability::hint_all(&[Capability::Bpf, Capability::NetAdmin]))]
    Permission { what: String },
    #[error("program '{name}' is {kind}: it cannot be attached at {hook}")]
    WrongHook {
        name: String,
        kind: &'static str,
        hook: Hook,
    },
    #[error("'{0}' is not a hook: xdp, xdp-generic, tc-ingress or tc-egress")]
    BadHook(String),
    #[error("{what}: {why}")]
    Kernel { what: String, why: String },
    #[error("{path} has no map '{name}' (it has: {have})")]
    NoMap {
        path: String,
        name: String,
        have: String,
    },
    #[error("map '{map}': {why}")]
    Map { map: String, why: String },
    #[error("the frame is {len} bytes: BPF_PROG_RUN takes 14 to {max}")]
    FrameSize { len: usize, max: usize },
}

/// What one [`Object::run`] gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// The program's return code.
    pub ret: u32,
    /// Its name (`XDP_DROP`, `TC_ACT_SHOT`...).
    pub verdict: String,
    /// The kernel's average time per run, in nanoseconds.
    pub duration_ns: u64,
    /// The frame as the program left it.
    pub frame: Vec<u8>,
}

/// The name of return code `ret` of a program of `kind`.
pub fn verdict_name(kind: Kind, ret: u32) -> String {
    let name = match kind {
        Kind::Xdp => match ret {
            0 => "XDP_ABORTED",
            1 => "XDP_DROP",
            2 => "XDP_PASS",
            3 => "XDP_TX",
            4 => "XDP_REDIRECT",
            _ => "",
        },
        Kind::Tc => match ret as i32 {
            -1 => "TC_ACT_UNSPEC",
            0 => "TC_ACT_OK",
            1 => "TC_ACT_RECLASSIFY",
            2 => "TC_ACT_SHOT",
            3 => "TC_ACT_PIPE",
            4 => "TC_ACT_STOLEN",
            5 => "TC_ACT_QUEUED",
            6 => "TC_ACT_REPEAT",
            7 => "TC_ACT_REDIRECT",
            _ => "",
        },
    };
    if name.is_empty() {
        ret.to_string()
    } else {
        name.to_string()
    }
}

/// The return code a verdict name (or number) stands for.
pub fn verdict_code(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<i64>() {
        return u32::try_from(n)
            .ok()
            .or(i32::try_from(n).ok().map(|v| v as u32));
    }
    (0..8)
        .flat_map(|r| [(Kind::Xdp, r), (Kind::Tc, r)])
        .chain([(Kind::Tc, u32::MAX)])
        .find(|(k, r)| verdict_name(*k, *r) == name)
        .map(|(_, r)| r)
}

/// A loaded object: its programs (loaded into the kernel on first use) and maps.
#[derive(Debug)]
pub struct Object {
    path: String,
    ebpf: aya::Ebpf,
}

/// A program attached to an interface; detached when dropped, unless pinned.
#[derive(Debug)]
pub struct Attachment {
    link: FdLink,
    pub program: String,
    pub iface: String,
    pub hook: Hook,
}

impl Attachment {
    /// Pin the link on bpffs at `path` so that it outlives this process; `unpin` removes it.
    pub fn pin(self, path: &Path) -> Result<PathBuf, BpfError> {
        self.link.pin(path).map_err(|e| BpfError::Kernel {
            what: format!("pinning the link at {}", path.display()),
            why: e.to_string(),
        })?;
        Ok(path.to_path_buf())
    }
}

/// Remove a link pinned by [`Attachment::pin`]: the program is detached.
pub fn unpin(path: &Path) -> Result<(), BpfError> {
    let link = aya::programs::links::PinnedLink::from_pin(path).map_err(|e| BpfError::Kernel {
        what: format!("opening the pinned link {}", path.display()),
        why: e.to_string(),
    })?;
    link.unpin().map(drop).map_err(|e| BpfError::Kernel {
        what: format!("unpinning {}", path.display()),
        why: e.to_string(),
    })
}

fn is_eperm(e: &ProgramError) -> bool {
    let io = match e {
        ProgramError::SyscallError(s) => Some(&s.io_error),
        ProgramError::LoadError { io_error, .. } => Some(io_error),
        _ => None,
    };
    io.and_then(|e| e.raw_os_error()) == Some(libc::EPERM)
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(VERIFIER_TAIL)..].join(" | ")
}

impl Object {
    /// Read and parse the ELF object at `path` (maps are created in the kernel here; programs
    /// are loaded when first used).
    pub fn open(path: &Path) -> Result<Object, BpfError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| BpfError::Object {
            path: p.clone(),
            why: e.to_string(),
        })?;
        let ebpf = aya::EbpfLoader::new().load(&bytes).map_err(|e| {
            // The errno is a source of aya's error (`failed to create map`: EPERM).
            let text = crate::error::chain(&e);
            if text.contains("Operation not permitted") {
                BpfError::Permission {
                    what: format!("loading {p}"),
                }
            } else {
                BpfError::Object {
                    path: p.clone(),
                    why: text,
                }
            }
        })?;
        Ok(Object { path: p, ebpf })
    }

    /// The programs of the object, by name, with their kind (None: not XDP or tc).
    pub fn programs(&self) -> Vec<(String, Option<Kind>)> {
        let mut v: Vec<_> = self
            .ebpf
            .programs()
            .map(|(n, p)| (n.to_string(), kind_of(p)))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// The maps of the object, by name.
    pub fn maps(&self) -> Vec<String> {
        let mut v: Vec<_> = self.ebpf.maps().map(|(n, _)| n.to_string()).collect();
        v.sort();
        v
    }

    fn program(&mut self, name: &str) -> Result<(&mut Program, Kind), BpfError> {
        let have = self
            .programs()
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
            .join(", ");
        let path = self.path.clone();
        let prog = self
            .ebpf
            .program_mut(name)
            .ok_or_else(|| BpfError::NoProgram {
                path,
                name: name.to_string(),
                have,
            })?;
        let kind = kind_of(prog).ok_or_else(|| BpfError::Unsupported {
            name: name.to_string(),
            kind: format!("{:?}", prog.prog_type()),
        })?;
        if prog.fd().is_err() {
            let loaded = match prog {
                Program::Xdp(p) => p.load(),
                Program::SchedClassifier(p) => p.load(),
                _ => unreachable!("kind_of checked the type"),
            };
            loaded.map_err(|e| match e {
                ProgramError::LoadError { verifier_log, .. }
                    if !verifier_log.to_string().trim().is_empty() =>
                {
                    BpfError::Rejected {
                        name: name.to_string(),
                        log: tail(&verifier_log.to_string()),
                    }
                }
                e if is_eperm(&e) => BpfError::Permission {
                    what: format!("loading '{name}'"),
                },
                e => BpfError::Kernel {
                    what: format!("loading '{name}'"),
                    why: e.to_string(),
                },
            })?;
        }
        Ok((prog, kind))
    }

    /// Load (if needed) program `name` and check the verifier takes it.
    pub fn load(&mut self, name: &str) -> Result<Kind, BpfError> {
        self.program(name).map(|(_, k)| k)
    }

    /// Run program `name` on `frame` `repeat` times with `BPF_PROG_RUN`.
    pub fn run(&mut self, name: &str, frame: &[u8], repeat: u32) -> Result<RunResult, BpfError> {
        const MAX: usize = 9000;
        if !(14..=MAX).contains(&frame.len()) {
            return Err(BpfError::FrameSize {
                len: frame.len(),
                max: MAX,
            });
        }
        let (prog, kind) = self.program(name)?;
        // Room for a program that grows the frame (head or tail adjustments).
        let mut out = vec![0u8; frame.len() + 512];
        let opts = TestRunOptions {
            data_in: Some(frame),
            data_out: Some(&mut out),
            repeat: repeat.max(1),
            ..TestRunOptions::default()
        };
        let r = match prog {
            Program::Xdp(p) => p.test_run(opts),
            Program::SchedClassifier(p) => p.test_run(opts),
            _ => unreachable!("kind_of checked the type"),
        }
        .map_err(|e| {
            if is_eperm(&e) {
                BpfError::Permission {
                    what: format!("BPF_PROG_RUN of '{name}'"),
                }
            } else {
                BpfError::Kernel {
                    what: format!("BPF_PROG_RUN of '{name}'"),
                    why: e.to_string(),
                }
            }
        })?;
        out.truncate((r.data_size_out as usize).min(out.len()));
        Ok(RunResult {
            ret: r.return_value,
            verdict: verdict_name(kind, r.return_value),
            duration_ns: r.duration.as_nanos() as u64,
            frame: out,
        })
    }

    /// Attach program `name` to `iface` (in the calling thread's namespace) at `hook`.
    pub fn attach(&mut self, name: &str, iface: &str, hook: Hook) -> Result<Attachment, BpfError> {
        let (prog, kind) = self.program(name)?;
        let wrong = |kind| BpfError::WrongHook {
            name: name.to_string(),
            kind,
            hook,
        };
        let what = || format!("attaching '{name}' to {iface} at {hook}");
        let map = |e: ProgramError| {
            if is_eperm(&e) {
                BpfError::Permission { what: what() }
            } else {
                BpfError::Kernel {
                    what: what(),
                    why: e.to_string(),
                }
            }
        };
        let link: FdLink = match (prog, hook) {
            (Program::Xdp(p), Hook::Xdp | Hook::XdpGeneric) => {
                let mode = if hook == Hook::Xdp {
                    XdpMode::Driver
                } else {
                    XdpMode::Skb
                };
                let id = p.attach(iface, mode).map_err(map)?;
                let l = p.take_link(id).map_err(map)?;
                l.try_into()
                    .map_err(|e: aya::programs::links::LinkError| BpfError::Kernel {
                        what: what(),
                        why: format!("{e} (the kernel attached it without a bpf link)"),
                    })?
            }
            (Program::SchedClassifier(p), Hook::TcIngress | Hook::TcEgress) => {
                let t = if hook == Hook::TcIngress {
                    TcAttachType::Ingress
                } else {
                    TcAttachType::Egress
                };
                let id = p.attach(iface, t).map_err(map)?;
                let l = p.take_link(id).map_err(map)?;
                l.try_into()
                    .map_err(|e: aya::programs::links::LinkError| BpfError::Kernel {
                        what: what(),
                        why: format!("{e} (TCX needs Linux 6.6)"),
                    })?
            }
            _ => {
                return Err(wrong(if kind == Kind::Xdp {
                    "an XDP program"
                } else {
                    "a tc program"
                }))
            }
        };
        Ok(Attachment {
            link,
            program: name.to_string(),
            iface: iface.to_string(),
            hook,
        })
    }

    fn map_data(&self, map: &str) -> Result<(&MapData, bool), BpfError> {
        let have = self.maps().join(", ");
        let m = self.ebpf.map(map).ok_or_else(|| BpfError::NoMap {
            path: self.path.clone(),
            name: map.to_string(),
            have,
        })?;
        Ok(match m {
            Map::Array(d)
            | Map::HashMap(d)
            | Map::LruHashMap(d)
            | Map::DevMap(d)
            | Map::DevMapHash(d) => (d, false),
            Map::PerCpuArray(d) | Map::PerCpuHashMap(d) | Map::PerCpuLruHashMap(d) => (d, true),
            _ => return Err(BpfError::Map {
                map: map.to_string(),
                why:
                    "only array, hash, LRU hash, devmap and their per-CPU maps are read and written"
                        .into(),
            }),
        })
    }

    /// The layout of `map`: key and value sizes, per-CPU or not.
    pub fn map_shape(&self, map: &str) -> Result<MapShape, BpfError> {
        let (d, per_cpu) = self.map_data(map)?;
        let info = d.info().map_err(|e| BpfError::Map {
            map: map.to_string(),
            why: e.to_string(),
        })?;
        let cpus = if per_cpu {
            Some(aya::util::nr_cpus().map_err(|(f, e)| BpfError::Map {
                map: map.to_string(),
                why: format!("{f}: {e}"),
            })?)
        } else {
            None
        };
        Ok(MapShape {
            key_size: info.key_size() as usize,
            value_size: info.value_size() as usize,
            cpus,
            max_entries: info.max_entries(),
        })
    }

    /// The key and value sizes of `map`, in bytes.
    pub fn map_sizes(&self, map: &str) -> Result<(usize, usize), BpfError> {
        self.map_shape(map).map(|s| (s.key_size, s.value_size))
    }

    /// The value at `key` in `map` (`None`: no such key); bytes as the kernel holds them (a
    /// per-CPU map: [`MapShape::value_len`] bytes, one slot per CPU).
    pub fn map_get(&self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>, BpfError> {
        let shape = self.map_shape(map)?;
        check_len(map, "key", key.len(), shape.key_size)?;
        let fd = self.map_data(map)?.0.fd().as_fd();
        crate::sys::bpf::map_lookup(fd, key, shape.value_len()).map_err(|e| BpfError::Map {
            map: map.to_string(),
            why: format!("lookup: {e}"),
        })
    }

    /// Set `key` to `value` in `map` (a per-CPU map: [`MapShape::value_len`] bytes).
    pub fn map_set(&self, map: &str, key: &[u8], value: &[u8]) -> Result<(), BpfError> {
        let shape = self.map_shape(map)?;
        check_len(map, "key", key.len(), shape.key_size)?;
        check_len(map, "value", value.len(), shape.value_len())?;
        let fd = self.map_data(map)?.0.fd().as_fd();
        crate::sys::bpf::map_update(fd, key, value).map_err(|e| BpfError::Map {
            map: map.to_string(),
            why: format!("update: {e}"),
        })
    }

    /// Point entry `index` of the XSKMAP `map` at an AF_XDP socket (`bench xdp`).
    pub fn xsk_set(
        &mut self,
        map: &str,
        index: u32,
        socket: std::os::fd::BorrowedFd<'_>,
    ) -> Result<(), BpfError> {
        let have = self.maps().join(", ");
        let m = self.ebpf.map_mut(map).ok_or_else(|| BpfError::NoMap {
            path: self.path.clone(),
            name: map.to_string(),
            have,
        })?;
        let err = |why: String| BpfError::Map {
            map: map.to_string(),
            why,
        };
        let mut x = aya::maps::XskMap::try_from(m).map_err(|e| err(e.to_string()))?;
        x.set(index, socket, 0)
            .map_err(|e| err(format!("update: {e}")))
    }

    /// Up to `limit` keys of `map`, in the kernel's order.
    pub fn map_keys(&self, map: &str, limit: usize) -> Result<Vec<Vec<u8>>, BpfError> {
        let shape = self.map_shape(map)?;
        let fd = self.map_data(map)?.0.fd().as_fd();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        while keys.len() < limit {
            let next =
                crate::sys::bpf::map_next_key(fd, keys.last().map(Vec::as_slice), shape.key_size)
                    .map_err(|e| BpfError::Map {
                    map: map.to_string(),
                    why: format!("next key: {e}"),
                })?;
            match next {
                Some(k) => keys.push(k),
                None => break,
            }
        }
        Ok(keys)
    }

    /// The object's file, as given.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The layout of a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapShape {
    pub key_size: usize,
    pub value_size: usize,
    /// A per-CPU map: the number of possible CPUs, each with its own value.
    pub cpus: Option<usize>,
    pub max_entries: u32,
}

impl MapShape {
    /// The bytes of one CPU's value in a per-CPU lookup (the kernel rounds up to 8).
    pub fn slot(&self) -> usize {
        match self.cpus {
            Some(_) => self.value_size.div_ceil(8) * 8,
            None => self.value_size,
        }
    }

    /// The bytes a lookup returns and an update takes.
    pub fn value_len(&self) -> usize {
        self.slot() * self.cpus.unwrap_or(1)
    }
}

fn check_len(map: &str, what: &str, got: usize, want: usize) -> Result<(), BpfError> {
    if got == want {
        Ok(())
    } else {
        Err(BpfError::Map {
            map: map.to_string(),
            why: format!("a {what} is {want} bytes, {got} given"),
        })
    }
}

fn kind_of(p: &Program) -> Option<Kind> {
    match p {
        Program::Xdp(_) => Some(Kind::Xdp),
        Program::SchedClassifier(_) => Some(Kind::Tc),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_name_and_parse() {
        assert_eq!(verdict_name(Kind::Xdp, 1), "XDP_DROP");
        assert_eq!(verdict_name(Kind::Tc, 2), "TC_ACT_SHOT");
        assert_eq!(verdict_name(Kind::Tc, u32::MAX), "TC_ACT_UNSPEC");
        assert_eq!(verdict_name(Kind::Xdp, 99), "99");
        assert_eq!(verdict_code("XDP_TX"), Some(3));
        assert_eq!(verdict_code("TC_ACT_OK"), Some(0));
        assert_eq!(verdict_code("TC_ACT_UNSPEC"), Some(u32::MAX));
        assert_eq!(verdict_code("-1"), Some(u32::MAX));
        assert_eq!(verdict_code("NOPE"), None);
        assert!("xdp-native".parse::<Hook>().is_err());
        assert_eq!("tc-egress".parse::<Hook>().unwrap(), Hook::TcEgress);
    }
}
