//! Network namespaces: named ones compatible with `ip netns`, any namespace file or process's
//! namespace by reference, and anonymous ones that cannot leak.
//!
//! - [`Netns`]: an open handle to any network namespace, and [`Netns::run`] to run code in it.
//! - [`reference`]: [`NetnsRef`], how a namespace is named everywhere one is taken (`-n`,
//!   `--netns`, `NS:IFACE`): a name in `/run/netns`, a path to a namespace file
//!   (`/proc/PID/ns/net`, `/var/run/docker/netns/ID`), or `pid:PID`.
//! - [`named`]: `/run/netns/NAME` bind mounts, with `/run/netns` a shared mount (as iproute2
//!   makes it), so `ip netns list` sees ours and we see theirs. Such a namespace lives until
//!   [`del`], whatever happens to the process that made it.
//! - [`private`]: [`PrivateNetns`] holds only an fd. No bind mount, so when the process exits,
//!   even by SIGKILL, the kernel drops the last reference and removes the namespace and every
//!   link in it. This is the default for tests and the harness.
//! - [`scan`]: every network namespace on the host (named, bind-mounted anywhere, held only by
//!   processes), deduplicated by inode like `lsns -t net`, with the container that holds it.
//!
//! What must stay true: `setns`/`unshare` move only the calling *thread*, so every namespace
//! switch here happens on a thread we spawn for it ([`Netns::run`]), except [`enter`] and
//! [`NetnsGuard`], which move the caller on purpose. Paths use `/proc/thread-self`, never
//! `/proc/self` (the latter is the main thread's namespace, not ours).

pub mod named;
pub mod private;
pub mod reference;
pub mod scan;

pub use named::{add, check_netns_name, del, exec, list, name_of, NETNS_RUN_DIR};
pub use private::{set_disable_ipv6, PrivateNetns};
pub use reference::NetnsRef;
pub use scan::{scan, Container, NetnsEntry};

use std::fs;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sched::{setns, CloneFlags};
use nix::sys::stat::{fstat, Mode};

use super::nl::Netlink;
use super::LinkError;
use crate::Capability;

/// The calling thread's network namespace.
const THREAD_NETNS: &str = "/proc/thread-self/ns/net";
/// `statfs` magic of nsfs, the filesystem of namespace files.
const NSFS_MAGIC: libc::__fsword_t = 0x6e73_6673;

/// An open network namespace: named, the caller's own, or anonymous ([`PrivateNetns`]).
#[derive(Debug)]
pub struct Netns {
    fd: OwnedFd,
    name: Option<String>,
    /// How it was reached when it has no name: `/proc/123/ns/net`, `pid 123 (sleep)`.
    desc: Option<String>,
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
            desc: None,
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
            desc: None,
            current,
        })
    }

    /// The namespace `r` refers to: a name, a namespace file, or a process's (see
    /// [`NetnsRef`]). A file that is not a network namespace, a process that does not exist,
    /// and a namespace we may not open are one-line errors.
    pub fn open_ref(r: &NetnsRef) -> Result<Self, LinkError> {
        match r {
            NetnsRef::Name(n) => Netns::open(n),
            NetnsRef::Path(p) => reference::open_path(p),
            NetnsRef::Pid(pid) => reference::open_pid(*pid),
        }
    }

    /// `Some(reference)` → [`NetnsRef::parse`] then [`Netns::open_ref`]; `None` →
    /// [`Netns::current`]. A reference is a name in `/run/netns`, a path, or `pid:PID`.
    pub fn open_or_current(reference: Option<&str>) -> Result<Self, LinkError> {
        match reference {
            Some(r) => Netns::open_ref(&NetnsRef::parse(r)?),
            None => Netns::current(),
        }
    }

    /// A handle on an already open namespace file (checked by the caller), described by `desc`
    /// in messages when it has no name.
    pub(crate) fn from_fd(fd: OwnedFd, desc: Option<String>) -> Self {
        let current = same_inode(&fd, Path::new(THREAD_NETNS));
        let mut ns = Netns {
            fd,
            name: None,
            desc,
            current,
        };
        ns.name = name_of(&ns);
        ns
    }

    /// The name under `/run/netns`, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The name, or a description for messages.
    pub fn label(&self) -> String {
        match (&self.name, self.current) {
            (Some(n), _) => n.clone(),
            (None, _) if self.desc.is_some() => self.desc.clone().unwrap_or_default(),
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

/// Move the calling thread into the namespace `reference` names (see [`NetnsRef`]: a name in
/// `/run/netns`, a path, `pid:PID`), like `ip -n NAME` or `nsenter -n`. Threads spawned
/// afterwards inherit it; sockets opened afterwards belong to it.
pub fn enter(reference: &str) -> Result<(), LinkError> {
    let ns = Netns::open_ref(&NetnsRef::parse(reference)?)?;
    setns(ns.fd(), CloneFlags::CLONE_NEWNET).map_err(|e| {
        errno_err(
            format!("enter network namespace '{}'", ns.label()),
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

/// The description given when the handle was opened (a path, `pid 123 (sleep)`), if any.
impl Netns {
    pub fn description(&self) -> Option<&str> {
        self.desc.as_deref()
    }
}

/// What an open file is, as a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetnsKind {
    /// A network namespace file.
    Net,
    /// A namespace file of another type (`mnt`, `pid`...).
    Other(&'static str),
    /// Not on nsfs: a plain file, a directory, a device...
    NotNsfs,
    /// A symbolic link (only seen when not following them).
    Symlink,
}

impl NetnsKind {
    /// For "'PATH' is not a network namespace (WHAT)".
    pub(crate) fn describe(self) -> String {
        match self {
            NetnsKind::Net => "a network namespace".to_string(),
            NetnsKind::Other(t) => format!("a {t} namespace"),
            NetnsKind::NotNsfs => "not a namespace file".to_string(),
            NetnsKind::Symlink => "a symbolic link".to_string(),
        }
    }
}

/// Whether `fd` is a network namespace: on nsfs (fstatfs), and of type net (NS_GET_NSTYPE;
/// the `/proc/self/fd/N` link would show a bind mount's path, not `net:[INODE]`).
pub(crate) fn is_net_ns(fd: &OwnedFd) -> NetnsKind {
    match nix::sys::statfs::fstatfs(fd) {
        Ok(st) if st.filesystem_type().0 == NSFS_MAGIC => {}
        _ => return NetnsKind::NotNsfs,
    }
    match crate::sys::nsfs::ns_type(fd.as_fd()) {
        Ok(t) if t == libc::CLONE_NEWNET => NetnsKind::Net,
        Ok(t) => NetnsKind::Other(match t {
            libc::CLONE_NEWNS => "mount",
            libc::CLONE_NEWPID => "pid",
            libc::CLONE_NEWUTS => "uts",
            libc::CLONE_NEWIPC => "ipc",
            libc::CLONE_NEWUSER => "user",
            libc::CLONE_NEWCGROUP => "cgroup",
            _ => "non-network",
        }),
        Err(_) => NetnsKind::NotNsfs,
    }
}

/// Open a namespace file without blocking: a namespace file is a regular file (on nsfs), so
/// the path is first opened with `O_PATH` (which opens nothing) and `fstat`ed; anything else
/// (a FIFO, whose open would wait for a writer; a device; a socket; a directory) is returned
/// as that `O_PATH` descriptor, which [`is_net_ns`] then calls not a namespace file. A regular
/// file is opened for real, non-blocking, and must be the inode the `O_PATH` one was.
pub(crate) fn open_ns_file(path: &Path) -> Result<OwnedFd, Errno> {
    let probe = open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())?;
    let st = fstat(&probe)?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Ok(probe);
    }
    let fd = open(
        path,
        OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let again = fstat(&fd)?;
    if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino) {
        // Replaced between the two opens: describe what is there now.
        return Ok(probe);
    }
    Ok(fd)
}

/// What kind of file `fd` is, when it is not a regular file ("a FIFO", "a directory"...).
pub(crate) fn special_file_kind(fd: &OwnedFd) -> Option<&'static str> {
    let mode = fstat(fd).ok()?.st_mode & libc::S_IFMT;
    Some(match mode {
        libc::S_IFIFO => "a FIFO",
        libc::S_IFDIR => "a directory",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        libc::S_IFSOCK => "a socket",
        libc::S_IFLNK => "a symbolic link",
        _ => return None,
    })
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
        source: crate::error::TooManyOpenFiles::explain(io::Error::from_raw_os_error(e as i32)),
    }
}

fn io_err_io(op: impl Into<String>, e: io::Error) -> LinkError {
    LinkError::Io {
        op: op.into(),
        source: crate::error::TooManyOpenFiles::explain(e),
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
