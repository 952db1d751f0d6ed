//! Anonymous network namespaces held only by this process (an fd, no bind mount).

use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::sched::{unshare, CloneFlags};

use super::{errno_err, io_err, open_ns_file, Netns, NetnsGuard, THREAD_NETNS};
use crate::link::nl::Netlink;
use crate::link::LinkError;
use crate::Capability;

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
                desc: None,
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
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(LinkError::Permission {
            op: format!("write {}", path.display()),
            cap: Capability::NetAdmin,
        }),
        Err(e) => Err(LinkError::from_errno(
            format!("write {}", path.display()),
            e,
            Capability::NetAdmin,
        )),
    }
}

/// Bring `lo` up in the calling thread's namespace.
pub(super) fn lo_up() -> Result<(), LinkError> {
    let mut nl = Netlink::open()?;
    // lo is always ifindex 1 in a fresh namespace.
    nl.set_up(1, true)
        .map_err(|e| LinkError::from_errno("bring lo up", e, Capability::NetAdmin))
}
