//! Network namespaces: named ones compatible with `ip netns`, and anonymous ones that cannot leak.
//!
//! - Named: a fresh namespace bind-mounted on `/run/netns/NAME`, with `/run/netns` a shared
//!   mount (as iproute2 makes it), so `ip netns list` sees ours and we see theirs. The
//!   namespace lives until [`del`], whatever happens to the process that made it.
//! - Anonymous: [`PrivateNetns`] holds only an fd. No bind mount, so when the process exits,
//!   even by SIGKILL, the kernel drops the last reference and removes the namespace and every
//!   link in it. This is the default for tests and the harness.
//!
//! What must stay true: `setns`/`unshare` move only the calling *thread*, so every namespace
//! switch here happens on a thread we spawn for it ([`Netns::run`]), except [`enter`] and
//! [`NetnsGuard`], which move the caller on purpose. Paths use `/proc/thread-self`, never
//! `/proc/self` (the latter is the main thread's namespace, not ours).

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::{fstat, Mode};

use super::nl::Netlink;
use super::LinkError;
use crate::Capability;

/// Where `ip netns` keeps its bind mounts.
pub const NETNS_RUN_DIR: &str = "/run/netns";
/// The calling thread's network namespace.
const THREAD_NETNS: &str = "/proc/thread-self/ns/net";
/// `statfs` magic of nsfs, the filesystem of namespace files.
const NSFS_MAGIC: libc::__fsword_t = 0x6e73_6673;

/// An open network namespace: named, the caller's own, or anonymous ([`PrivateNetns`]).
#[derive(Debug)]
pub struct Netns {
    fd: OwnedFd,
    name: Option<String>,
    /// The namespace of the thread that opened the handle: [`Netns::run`] needs no `setns`
    /// (which would ask for CAP_SYS_ADMIN for nothing).
    current: bool,
}

impl Netns {
    /// The calling thread's namespace, named when it is one of `/run/netns/*`.
    pub fn current() -> Result<Self, LinkError> {
        let fd = open_ns_file(Path::new(THREAD_NETNS))
            .map_err(|e| io_err(format!("open {THREAD_NETNS}"), e))?;
        let mut ns = Netns {
            fd,
            name: None,
            current: true,
        };
        ns.name = name_of(&ns);
        Ok(ns)
    }

    /// A named namespace (`/run/netns/NAME`), like `ip -n NAME`.
    pub fn open(name: &str) -> Result<Self, LinkError> {
        check_netns_name(name)?;
        let path = Path::new(NETNS_RUN_DIR).join(name);
        let fd = match open_ns_file(&path) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => {
                return Err(LinkError::NoSuchNetns {
                    name: name.to_string(),
                })
            }
            Err(e) => return Err(io_err(format!("open {}", path.display()), e)),
        };
        // A leftover file that is no longer a bind mount is not a namespace.
        match nix::sys::statfs::fstatfs(&fd) {
            Ok(st) if st.filesystem_type().0 == NSFS_MAGIC => {}
            _ => {
                return Err(LinkError::NoSuchNetns {
                    name: name.to_string(),
                })
            }
        }
        let current = same_inode(&fd, Path::new(THREAD_NETNS));
        Ok(Netns {
            fd,
            name: Some(name.to_string()),
            current,
        })
    }

    /// `Some(name)` → [`Netns::open`], `None` → [`Netns::current`].
    pub fn open_or_current(name: Option<&str>) -> Result<Self, LinkError> {
        match name {
            Some(n) => Netns::open(n),
            None => Netns::current(),
        }
    }

    /// The name under `/run/netns`, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The name, or a description for messages.
    pub fn label(&self) -> String {
        match (&self.name, self.current) {
            (Some(n), _) => n.clone(),
            (None, true) => "(current)".to_string(),
            (None, false) => format!("(anonymous, inode {})", self.inode()),
        }
    }

    /// True when this is the namespace of the thread that opened the handle.
    pub fn is_current(&self) -> bool {
        self.current
    }

    /// The nsfs inode: what `lsns` and `readlink /proc/PID/ns/net` show.
    pub fn inode(&self) -> u64 {
        fstat(&self.fd).map(|s| s.st_ino).unwrap_or(0)
    }

    /// The namespace file descriptor (for IFLA_NET_NS_FD, NETNSA_FD, setns).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// True when both handles are the same namespace.
    pub fn same_as(&self, other: &Netns) -> bool {
        match (fstat(&self.fd), fstat(&other.fd)) {
            (Ok(a), Ok(b)) => a.st_ino == b.st_ino && a.st_dev == b.st_dev,
            _ => false,
        }
    }

    /// Run `f` inside this namespace: on a scoped thread that entered it, or directly on the
    /// calling thread when it is already there. Sockets `f` opens stay in this namespace.
    pub fn run<T, F>(&self, f: F) -> Result<T, LinkError>
    where
        T: Send,
        F: FnOnce() -> Result<T, LinkError> + Send,
    {
        if self.current {
            return f();
        }
        let fd = self.fd.as_fd();
        let label = self.label();
        std::thread::scope(|s| {
            let h = s.spawn(move || {
                setns(fd, CloneFlags::CLONE_NEWNET).map_err(|e| {
                    errno_err(
                        format!("enter network namespace '{label}'"),
                        e,
                        Capability::SysAdmin,
                    )
                })?;
                f()
            });
            match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// A netlink socket in this namespace (usable from any thread afterwards).
    pub fn netlink(&self) -> Result<Netlink, LinkError> {
        self.run(Netlink::open)
    }
}

/// Move the calling thread into the named namespace (`/run/netns/NAME`), like `ip -n NAME`.
/// Threads spawned afterwards inherit it; sockets opened afterwards belong to it.
pub fn enter(name: &str) -> Result<(), LinkError> {
    let ns = Netns::open(name)?;
    setns(ns.fd(), CloneFlags::CLONE_NEWNET).map_err(|e| {
        errno_err(
            format!("enter network namespace '{name}'"),
            e,
            Capability::SysAdmin,
        )
    })
}

/// The calling thread moved into a namespace; moved back on drop. `!Send`: it changed this
/// thread, and only this thread can change back.
#[derive(Debug)]
pub struct NetnsGuard {
    previous: OwnedFd,
    _not_send: PhantomData<*const ()>,
}

impl NetnsGuard {
    /// Enter `ns` on the calling thread until the guard drops.
    pub fn enter(ns: &Netns) -> Result<Self, LinkError> {
        let previous = open_ns_file(Path::new(THREAD_NETNS))
            .map_err(|e| io_err(format!("open {THREAD_NETNS}"), e))?;
        setns(ns.fd(), CloneFlags::CLONE_NEWNET).map_err(|e| {
            errno_err(
                format!("enter network namespace '{}'", ns.label()),
                e,
                Capability::SysAdmin,
            )
        })?;
        Ok(NetnsGuard {
            previous,
            _not_send: PhantomData,
        })
    }
}

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        // We entered with the same privileges, so going back cannot fail for permissions.
        let _ = setns(&self.previous, CloneFlags::CLONE_NEWNET);
    }
}

// ---------------------------------------------------------------------------------------------
// Named namespaces (`ip netns`).

/// Create `/run/netns/NAME` with a fresh namespace whose `lo` is up (`ip netns add` + lo up).
pub fn add(name: &str) -> Result<Netns, LinkError> {
    check_netns_name(name)?;
    let path = Path::new(NETNS_RUN_DIR).join(name);
    ensure_run_dir()?;
    // O_EXCL: the file is the lock; a second `add` of the same name fails here.
    match open(
        &path,
        OFlag::O_RDONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => drop(fd),
        Err(Errno::EEXIST) => {
            return Err(LinkError::AlreadyExists {
                what: "network namespace",
                name: name.to_string(),
                netns: None,
            })
        }
        Err(e) => {
            return Err(errno_err(
                format!("create {}", path.display()),
                e,
                Capability::SysAdmin,
            ))
        }
    }
    let made = std::thread::scope(|s| {
        s.spawn(|| -> Result<(), LinkError> {
            unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
                errno_err(
                    "create network namespace (unshare)",
                    e,
                    Capability::SysAdmin,
                )
            })?;
            mount(
                Some(THREAD_NETNS),
                &path,
                Some("none"),
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| {
                errno_err(
                    format!("bind mount onto {}", path.display()),
                    e,
                    Capability::SysAdmin,
                )
            })?;
            lo_up()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    if let Err(e) = made {
        let _ = umount2(&path, MntFlags::MNT_DETACH);
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    Netns::open(name)
}

/// Remove `/run/netns/NAME` (`ip netns del`). The namespace itself goes away when nothing else
/// holds it (a process inside, an open fd).
pub fn del(name: &str) -> Result<(), LinkError> {
    check_netns_name(name)?;
    let path = Path::new(NETNS_RUN_DIR).join(name);
    if fs::symlink_metadata(&path).is_err() {
        return Err(LinkError::NoSuchNetns {
            name: name.to_string(),
        });
    }
    match umount2(&path, MntFlags::MNT_DETACH) {
        // EINVAL: not a mount point (a leftover file); remove it anyway.
        Ok(()) | Err(Errno::EINVAL) => {}
        Err(e) => {
            return Err(errno_err(
                format!("unmount {}", path.display()),
                e,
                Capability::SysAdmin,
            ))
        }
    }
    fs::remove_file(&path).map_err(|e| {
        LinkError::from_errno(
            format!("remove {}", path.display()),
            e,
            Capability::SysAdmin,
        )
    })
}

/// The named namespaces, sorted (ours and `ip netns add`'s alike).
pub fn list() -> Result<Vec<String>, LinkError> {
    let dir = match fs::read_dir(NETNS_RUN_DIR) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err_io(format!("read {NETNS_RUN_DIR}"), e)),
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The name under `/run/netns` of the namespace `ns`, if any.
pub fn name_of(ns: &Netns) -> Option<String> {
    let st = fstat(&ns.fd).ok()?;
    list().ok()?.into_iter().find(|n| {
        fs::metadata(Path::new(NETNS_RUN_DIR).join(n))
            .map(|m| m.ino() == st.st_ino && m.dev() == st.st_dev)
            .unwrap_or(false)
    })
}

/// Replace this process by `cmd args...` running inside the named namespace, like
/// `ip netns exec`: it also gets a private mount namespace with `/sys` remounted, so sysfs
/// shows the namespace's interfaces. Returns only on error.
pub fn exec(name: &str, cmd: &OsStr, args: &[std::ffi::OsString]) -> LinkError {
    use std::os::unix::process::CommandExt;
    if let Err(e) = enter(name) {
        return e;
    }
    // Best effort, as iproute2: without it only /sys is stale, the network is right.
    if unshare(CloneFlags::CLONE_NEWNS).is_ok() {
        let _ = mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_SLAVE | MsFlags::MS_REC,
            None::<&str>,
        );
        if umount2("/sys", MntFlags::MNT_DETACH).is_ok() {
            let _ = mount(
                Some(name),
                "/sys",
                Some("sysfs"),
                MsFlags::empty(),
                None::<&str>,
            );
        }
    }
    let err = std::process::Command::new(cmd).args(args).exec();
    io_err_io(format!("run '{}'", cmd.to_string_lossy()), err)
}

/// Make `/run/netns` exist and be a shared mount, as iproute2 does, so that bind mounts made
/// under it propagate to other mount namespaces (`ip netns exec` children, containers).
fn ensure_run_dir() -> Result<(), LinkError> {
    match fs::create_dir_all(NETNS_RUN_DIR) {
        Ok(()) => {}
        Err(e) => {
            return Err(LinkError::from_errno(
                format!("create {NETNS_RUN_DIR}"),
                e,
                Capability::SysAdmin,
            ))
        }
    }
    let shared = || {
        mount(
            Some(""),
            NETNS_RUN_DIR,
            Some("none"),
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        // EINVAL: not a mount point yet. Bind it onto itself, then make that shared.
        Err(Errno::EINVAL) => mount(
            Some(NETNS_RUN_DIR),
            NETNS_RUN_DIR,
            Some("none"),
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .and_then(|()| shared())
        .map_err(|e| {
            errno_err(
                format!("make {NETNS_RUN_DIR} a shared mount"),
                e,
                Capability::SysAdmin,
            )
        }),
        Err(e) => Err(errno_err(
            format!("make {NETNS_RUN_DIR} a shared mount"),
            e,
            Capability::SysAdmin,
        )),
    }
}

/// A namespace name: a single path component (iproute2's rule), kept short for messages.
pub fn check_netns_name(name: &str) -> Result<(), LinkError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name == "." || name == ".." {
        Some("reserved")
    } else if name.contains('/') {
        Some("contains '/'")
    } else if name.len() > 255 {
        Some("longer than 255 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(LinkError::InvalidName {
            what: "network namespace name",
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Anonymous namespaces.

/// An anonymous network namespace held by this process only (an fd, no bind mount): the
/// kernel removes it and its links when the handle drops or the process dies, SIGKILL
/// included. `lo` is up; IPv6 is disabled by default (no RS/MLD/DAD noise in captures).
#[derive(Debug)]
pub struct PrivateNetns {
    ns: Netns,
}

impl PrivateNetns {
    /// A fresh namespace with `lo` up and IPv6 disabled (`all` and `default`).
    pub fn new() -> Result<Self, LinkError> {
        Self::with_ipv6(false)
    }

    /// A fresh namespace with `lo` up; IPv6 left enabled when `ipv6` is true.
    pub fn with_ipv6(ipv6: bool) -> Result<Self, LinkError> {
        let fd = std::thread::scope(|s| {
            s.spawn(|| -> Result<OwnedFd, LinkError> {
                unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
                    errno_err(
                        "create network namespace (unshare)",
                        e,
                        Capability::SysAdmin,
                    )
                })?;
                let fd = open_ns_file(Path::new(THREAD_NETNS))
                    .map_err(|e| io_err(format!("open {THREAD_NETNS}"), e))?;
                if !ipv6 {
                    // /proc/sys/net resolves against the writing thread's namespace.
                    for knob in ["all", "default"] {
                        set_disable_ipv6(knob, true)?;
                    }
                }
                lo_up()?;
                Ok(fd)
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })?;
        Ok(PrivateNetns {
            ns: Netns {
                fd,
                name: None,
                current: false,
            },
        })
    }

    /// The namespace handle (for [`Netns::run`], IFLA_NET_NS_FD...).
    pub fn netns(&self) -> &Netns {
        &self.ns
    }

    /// Run `f` on a thread inside the namespace.
    pub fn run_in<T: Send>(
        &self,
        f: impl FnOnce() -> Result<T, LinkError> + Send,
    ) -> Result<T, LinkError> {
        self.ns.run(f)
    }

    /// Move the calling thread into the namespace until the guard drops.
    pub fn enter(&self) -> Result<NetnsGuard, LinkError> {
        NetnsGuard::enter(&self.ns)
    }

    /// The nsfs inode (`lsns -t net`, `readlink /proc/PID/ns/net`).
    pub fn inode(&self) -> u64 {
        self.ns.inode()
    }
}

/// Write `/proc/sys/net/ipv6/conf/KNOB/disable_ipv6` in the calling thread's namespace.
/// A kernel without IPv6 has no such file: nothing to disable then.
pub fn set_disable_ipv6(knob: &str, disable: bool) -> Result<(), LinkError> {
    let path = PathBuf::from(format!("/proc/sys/net/ipv6/conf/{knob}/disable_ipv6"));
    match fs::write(&path, if disable { "1" } else { "0" }) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound && knob == "all" => Ok(()),
        Err(e) => Err(LinkError::from_errno(
            format!("write {}", path.display()),
            e,
            Capability::NetAdmin,
        )),
    }
}

/// Bring `lo` up in the calling thread's namespace.
fn lo_up() -> Result<(), LinkError> {
    let mut nl = Netlink::open()?;
    // lo is always ifindex 1 in a fresh namespace.
    nl.set_up(1, true)
        .map_err(|e| LinkError::from_errno("bring lo up", e, Capability::NetAdmin))
}

fn open_ns_file(path: &Path) -> Result<OwnedFd, Errno> {
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
}

fn same_inode(fd: &OwnedFd, path: &Path) -> bool {
    match (fstat(fd), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.st_ino == b.ino() && a.st_dev == b.dev(),
        _ => false,
    }
}

pub(crate) fn errno_err(op: impl Into<String>, e: Errno, cap: Capability) -> LinkError {
    LinkError::from_errno(op, io::Error::from_raw_os_error(e as i32), cap)
}

fn io_err(op: impl Into<String>, e: Errno) -> LinkError {
    LinkError::Io {
        op: op.into(),
        source: io::Error::from_raw_os_error(e as i32),
    }
}

fn io_err_io(op: impl Into<String>, e: io::Error) -> LinkError {
    LinkError::Io {
        op: op.into(),
        source: e,
    }
}

// The raw fd is only used for NETNSA_FD requests made while the handle is borrowed.
impl AsRawFd for Netns {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netns_names() {
        assert!(check_netns_name("net1").is_ok());
        assert!(check_netns_name("").is_err());
        assert!(check_netns_name("..").is_err());
        assert!(check_netns_name("a/b").is_err());
    }

    #[test]
    fn missing_named_netns_is_typed() {
        let e = Netns::open("vethbench-surely-missing-ns").unwrap_err();
        assert!(matches!(e, LinkError::NoSuchNetns { .. }), "{e}");
    }
}
