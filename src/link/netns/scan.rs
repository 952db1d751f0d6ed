//! Every network namespace on the host, like `lsns -t net`: the caller's, the named ones
//! (`/run/netns`), the ones bind-mounted anywhere else (nsfs mounts in `/proc/self/mountinfo`,
//! e.g. `/run/docker/netns/ID`), and the ones only processes hold (`/proc/*/ns/net`),
//! deduplicated by nsfs inode. Each comes with the processes in it and, when their cgroup path
//! names one, the container (docker, podman/libpod, containerd, CRI-O, kubepods).
//!
//! What stays true: a scan never enters a namespace and opens nothing but `/proc` and
//! `/run/netns` entries; a process that exits during the scan is simply not counted. Cost: one
//! readlink per process, two small reads per namespace found only through processes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{named, Netns, NETNS_RUN_DIR, THREAD_NETNS};
use crate::link::LinkError;

/// A container found in a process's cgroup path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    /// The 64-hex-digit id, as `docker ps --no-trunc` shows it.
    pub id: String,
    /// `docker`, `podman`, `containerd`, `cri-o`, `kubernetes`; None when only the id is known.
    pub runtime: Option<&'static str>,
}

/// One network namespace and who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetnsEntry {
    /// The nsfs inode (`readlink /proc/PID/ns/net`, `lsns -t net`).
    pub inode: u64,
    /// Its name under `/run/netns`, if it has one.
    pub name: Option<String>,
    /// Other bind mounts of it (nsfs mounts outside `/run/netns`).
    pub mounts: Vec<String>,
    /// The lowest PID in it, as `lsns` shows.
    pub pid: Option<u32>,
    /// That process's command name (`/proc/PID/comm`).
    pub comm: Option<String>,
    /// How many processes are in it.
    pub nprocs: usize,
    /// The container holding it, from the cgroup path of its processes.
    pub container: Option<Container>,
    /// True for the namespace of the thread that scanned.
    pub current: bool,
    /// A path that opens it.
    #[serde(skip)]
    path: PathBuf,
}

impl NetnsEntry {
    /// The namespace as people name it: its name, `pid 1234 (comm)`, a mount path, or its
    /// inode.
    pub fn label(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        if let Some(pid) = self.pid {
            return match &self.comm {
                Some(c) => format!("pid {pid} ({c})"),
                None => format!("pid {pid}"),
            };
        }
        if let Some(m) = self.mounts.first() {
            return m.clone();
        }
        format!("inode {}", self.inode)
    }

    /// Open it (it may have gone since the scan: then an error).
    pub fn open(&self) -> Result<Netns, LinkError> {
        if let Some(n) = &self.name {
            return Netns::open(n);
        }
        // Not through NetnsRef: an unnamed entry needs no look-up of /run/netns names.
        let gone = || LinkError::NoSuchNetns { name: self.label() };
        let fd = super::open_ns_file(&self.path).map_err(|_| gone())?;
        if super::is_net_ns(&fd) != super::NetnsKind::Net {
            return Err(gone());
        }
        let ns = Netns {
            current: super::same_inode(&fd, Path::new(THREAD_NETNS)),
            fd,
            name: None,
            desc: Some(self.label()),
        };
        // The process may have exited and its pid been reused: check the inode.
        if ns.inode() != self.inode {
            return Err(gone());
        }
        Ok(ns)
    }
}

/// Every network namespace, the caller's first, then by inode.
pub fn scan() -> Result<Vec<NetnsEntry>, LinkError> {
    let mut by_inode: BTreeMap<u64, NetnsEntry> = BTreeMap::new();
    let blank = |inode: u64, path: PathBuf| NetnsEntry {
        inode,
        name: None,
        mounts: Vec::new(),
        pid: None,
        comm: None,
        nprocs: 0,
        container: None,
        current: false,
        path,
    };
    let current = fs::metadata(THREAD_NETNS)
        .map_err(|e| super::io_err_io(format!("stat {THREAD_NETNS}"), e))?
        .ino();
    by_inode.insert(current, {
        let mut e = blank(current, PathBuf::from(THREAD_NETNS));
        e.current = true;
        e
    });
    for name in named::list()? {
        let path = Path::new(NETNS_RUN_DIR).join(&name);
        if let Ok(m) = fs::metadata(&path) {
            let e = by_inode
                .entry(m.ino())
                .or_insert_with(|| blank(m.ino(), path.clone()));
            if e.name.is_none() {
                e.name = Some(name);
                e.path = path;
            }
        }
    }
    for (inode, mount) in nsfs_mounts() {
        if mount.starts_with(NETNS_RUN_DIR) {
            continue;
        }
        let e = by_inode
            .entry(inode)
            .or_insert_with(|| blank(inode, PathBuf::from(&mount)));
        if !e.mounts.contains(&mount) {
            e.mounts.push(mount);
        }
    }
    // Processes, in PID order (so the first one seen is the lowest).
    let mut pids: Vec<u32> = fs::read_dir("/proc")
        .map_err(|e| super::io_err_io("read /proc", e))?
        .filter_map(|d| d.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let Some(inode) = pid_netns_inode(pid) else {
            continue;
        };
        let e = by_inode
            .entry(inode)
            .or_insert_with(|| blank(inode, PathBuf::from(format!("/proc/{pid}/ns/net"))));
        e.nprocs += 1;
        if e.pid.is_none() {
            e.pid = Some(pid);
            if e.name.is_none() && e.mounts.is_empty() && !e.current {
                e.path = PathBuf::from(format!("/proc/{pid}/ns/net"));
            }
        }
        if e.container.is_none() && e.nprocs <= 8 {
            e.container = container_of(pid);
        }
    }
    let mut out: Vec<NetnsEntry> = by_inode.into_values().collect();
    for e in &mut out {
        if let Some(pid) = e.pid {
            e.comm = comm_of(pid);
        }
    }
    out.sort_by_key(|e| (!e.current, e.inode));
    Ok(out)
}

/// `pid 1234 (comm)` (just `pid 1234` when the name cannot be read).
pub fn process_label(pid: u32) -> String {
    match comm_of(pid) {
        Some(c) => format!("pid {pid} ({c})"),
        None => format!("pid {pid}"),
    }
}

/// The inode of `/proc/PID/ns/net` from its link text `net:[INODE]` (no open, no stat).
fn pid_netns_inode(pid: u32) -> Option<u64> {
    let link = fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
    parse_ns_link(link.to_str()?)
}

/// `net:[4026531840]` → 4026531840.
fn parse_ns_link(s: &str) -> Option<u64> {
    s.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok()
}

fn comm_of(pid: u32) -> Option<String> {
    let c = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(c.trim_end().to_string())
}

/// The container a process is in, from `/proc/PID/cgroup`.
pub fn container_of(pid: u32) -> Option<Container> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    // "0::/system.slice/docker-<id>.scope"; v1 lines "N:controllers:/docker/<id>".
    text.lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .find_map(container_in_path)
}

/// The last 64-hex-digit component of a cgroup path, with the runtime its path names.
pub fn container_in_path(path: &str) -> Option<Container> {
    let bytes = path.as_bytes();
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_hexdigit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                i += 1;
            }
            if i - start == 64 {
                found = Some(start);
            }
        } else {
            i += 1;
        }
    }
    let start = found?;
    let id = path[start..start + 64].to_ascii_lowercase();
    let before = &path[..start];
    let runtime = if before.contains("libpod") {
        Some("podman")
    } else if before.contains("crio") {
        Some("cri-o")
    } else if before.contains("containerd") {
        Some("containerd")
    } else if before.contains("docker") {
        Some("docker")
    } else if before.contains("kubepods") {
        Some("kubernetes")
    } else {
        None
    };
    Some(Container { id, runtime })
}

/// Network namespace bind mounts seen by this process: (inode, mount point).
fn nsfs_mounts() -> Vec<(u64, String)> {
    let Ok(text) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    text.lines().filter_map(parse_mountinfo_line).collect()
}

/// `36 25 0:4 net:[4026532285] /run/docker/netns/abc rw shared:5 - nsfs nsfs rw`.
fn parse_mountinfo_line(line: &str) -> Option<(u64, String)> {
    let (left, right) = line.split_once(" - ")?;
    if right.split_whitespace().next()? != "nsfs" {
        return None;
    }
    let mut f = left.split_whitespace();
    let root = f.nth(3)?;
    let mount = f.next()?;
    Some((parse_ns_link(root)?, unescape_octal(mount)))
}

/// mountinfo escapes space, tab, newline and backslash as `\040` etc.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_from_cgroup_paths() {
        let id = "0123456789abcdef".repeat(4);
        for (path, runtime) in [
            (format!("/system.slice/docker-{id}.scope"), Some("docker")),
            (format!("/docker/{id}"), Some("docker")),
            (format!("/machine.slice/libpod-{id}.scope/container"), Some("podman")),
            (format!("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-{id}.scope"), Some("containerd")),
            (format!("/kubepods.slice/crio-{id}.scope"), Some("cri-o")),
            (format!("/kubepods/besteffort/pod8c1f/{id}"), Some("kubernetes")),
            (format!("/vbtest/{id}"), None),
        ] {
            let c = container_in_path(&path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(c.id, id, "{path}");
            assert_eq!(c.runtime, runtime, "{path}");
        }
        assert_eq!(
            container_in_path("/user.slice/user-0.slice/session-1.scope"),
            None
        );
        // 63 and 65 hex digits are not ids.
        assert_eq!(container_in_path(&format!("/x/{}", &id[..63])), None);
        assert_eq!(container_in_path(&format!("/x/{id}0")), None);
    }

    #[test]
    fn mountinfo_nsfs_lines() {
        let l = "610 29 0:4 net:[4026532285] /run/docker/netns/a\\040b rw shared:5 - nsfs nsfs rw";
        assert_eq!(
            parse_mountinfo_line(l),
            Some((4026532285, "/run/docker/netns/a b".to_string()))
        );
        let proc_line = "22 1 0:21 / /proc rw,nosuid - proc proc rw";
        assert_eq!(parse_mountinfo_line(proc_line), None);
        let mnt = "611 29 0:4 mnt:[4026532286] /tmp/m rw - nsfs nsfs rw";
        assert_eq!(parse_mountinfo_line(mnt), None);
    }

    #[test]
    fn the_scan_finds_this_process() {
        let all = scan().unwrap();
        let me = std::process::id();
        assert!(all[0].current, "{all:?}");
        let mine = pid_netns_inode(me).unwrap();
        assert!(all.iter().any(|e| e.inode == mine && e.nprocs >= 1));
    }
}
