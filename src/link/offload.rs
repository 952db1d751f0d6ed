//! Where a veth's receive work runs, and the offloads that decide it.
//!
//! By default the peer of a veth receives each frame inside the sender's own system call:
//! veth's transmit queues it to the sending CPU's backlog, and the softirq that runs the peer's
//! stack, and copies the frame into every packet socket's ring, runs on that CPU before the
//! syscall returns. A sender and a capture on one pair then share one CPU.
//!
//! With GRO on the receiving end, veth passes frames through a ring (256 entries) to a NAPI
//! instance instead; with threaded NAPI that instance is a kernel thread, `napi/IFACE-ID`,
//! which the scheduler can run on another CPU (or [`crate::sys::cpu::pin_threads`] puts there). veth takes
//! that path only for frames GRO may see: those of a sender whose TSO is off. When the ring
//! is full, veth refuses the frame and the packet socket's send fails with ENOBUFS, which
//! `sock::tx` offers again: backpressure, not loss. [`thread_rx`] sets all three.

use std::io;
use std::os::fd::OwnedFd;

use nix::mount::{mount, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
use nix::unistd::Pid;

use super::netns::{errno_err, Netns};
use super::LinkError;
use crate::sys::ethtool;
use crate::{Capability, NoSuchInterface};

/// An offload `ethtool -K` switches, of the two that decide veth's receive path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offload {
    /// Generic receive offload (`gro`).
    Gro,
    /// TCP segmentation offload (`tso`).
    Tso,
}

impl Offload {
    /// ETHTOOL_G* and ETHTOOL_S* of `<linux/ethtool.h>`.
    fn cmds(self) -> (u32, u32) {
        match self {
            Offload::Gro => (0x2b, 0x2c),
            Offload::Tso => (0x1e, 0x1f),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Offload::Gro => "gro",
            Offload::Tso => "tso",
        }
    }
}

/// A socket for the ioctl, in the calling thread's namespace (no capability needed to open).
fn ioctl_socket() -> Result<OwnedFd, LinkError> {
    socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| errno_err("open a socket for ethtool", e, Capability::NetAdmin))
}

fn ethtool_err(iface: &str, what: &str, e: io::Error) -> LinkError {
    match e.raw_os_error() {
        Some(libc::ENODEV) => LinkError::NoSuchInterface(NoSuchInterface::new(iface)),
        _ => LinkError::from_errno(format!("{iface}: {what}"), e, Capability::NetAdmin),
    }
}

/// Whether `o` is on for `iface`, in the calling thread's namespace (`ethtool -k`).
pub fn get(iface: &str, o: Offload) -> Result<bool, LinkError> {
    let fd = ioctl_socket()?;
    ethtool::value(&fd, iface, o.cmds().0, 0)
        .map(|v| v != 0)
        .map_err(|e| ethtool_err(iface, &format!("read {}", o.name()), e))
}

/// Switch `o` on or off for `iface`, in the calling thread's namespace (`ethtool -K`).
/// Needs CAP_NET_ADMIN.
pub fn set(iface: &str, o: Offload, on: bool) -> Result<(), LinkError> {
    let fd = ioctl_socket()?;
    ethtool::value(&fd, iface, o.cmds().1, on as u32)
        .map(|_| ())
        .map_err(|e| ethtool_err(iface, &format!("set {} {}", o.name(), onoff(on)), e))
}

fn onoff(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// Write `value` to `/sys/class/net/{iface}/{attr}` of the namespace `ns`. Needs
/// CAP_SYS_ADMIN (see [`read_sysfs`]).
pub fn write_sysfs(ns: &Netns, iface: &str, attr: &str, value: &str) -> Result<(), LinkError> {
    in_sysfs(ns, iface, attr, |path| std::fs::write(path, value)).map(|_| ())
}

/// Read `/sys/class/net/{iface}/{attr}` of the namespace `ns`, trimmed.
///
/// sysfs shows the network namespace of whoever mounted it, so a thread spawned for this
/// enters `ns`, takes a private mount namespace and mounts a fresh sysfs there; nothing is
/// mounted anywhere else, and it all goes when the thread ends. Needs CAP_SYS_ADMIN.
pub fn read_sysfs(ns: &Netns, iface: &str, attr: &str) -> Result<String, LinkError> {
    in_sysfs(ns, iface, attr, |path| {
        std::fs::read_to_string(path).map(|s| s.trim().to_string())
    })
}

fn in_sysfs<T: Send>(
    ns: &Netns,
    iface: &str,
    attr: &str,
    f: impl FnOnce(&str) -> io::Result<T> + Send,
) -> Result<T, LinkError> {
    super::check_ifname(iface)?;
    let fd = ns.fd();
    let path = format!("/sys/class/net/{iface}/{attr}");
    std::thread::scope(|s| {
        let h = s.spawn(|| -> Result<T, LinkError> {
            setns(fd, CloneFlags::CLONE_NEWNET).map_err(|e| {
                errno_err(
                    format!("enter network namespace '{}'", ns.label()),
                    e,
                    Capability::SysAdmin,
                )
            })?;
            unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
                .map_err(|e| errno_err("unshare a mount namespace", e, Capability::SysAdmin))?;
            let none = None::<&str>;
            mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none)
                .map_err(|e| errno_err("make / private", e, Capability::SysAdmin))?;
            mount(Some("sysfs"), "/sys", Some("sysfs"), MsFlags::empty(), none)
                .map_err(|e| errno_err("mount sysfs", e, Capability::SysAdmin))?;
            f(&path).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => LinkError::NoSuchInterface(NoSuchInterface::new(iface)),
                _ => LinkError::from_errno(path.clone(), e, Capability::NetAdmin),
            })
        });
        match h.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Threaded NAPI on or off for `iface` in `ns` (`echo 1 > /sys/class/net/IFACE/threaded`).
pub fn set_threaded(ns: &Netns, iface: &str, on: bool) -> Result<(), LinkError> {
    write_sysfs(ns, iface, "threaded", if on { "1" } else { "0" })
}

/// Whether `iface` in `ns` has threaded NAPI on.
pub fn threaded(ns: &Netns, iface: &str) -> Result<bool, LinkError> {
    Ok(read_sysfs(ns, iface, "threaded")? != "0")
}

/// Move the receive work of the pair `tx` -> `rx` off the sender's CPU (`on`): TSO off on
/// `tx`, GRO and threaded NAPI on `rx` (see the module documentation). Frames then cross a
/// ring to the `napi/rx-N` kernel thread. GRO merges nothing of a UDP stream (no socket asked
/// for UDP GRO) nor TCP segments that do not follow each other; a TCP stream can be merged.
/// Off: the kernel's defaults for a new veth, back.
///
/// Returns the NAPI threads that appeared (on): `rx`'s, told apart from those of interfaces of
/// the same name in other namespaces by being new.
pub fn thread_rx(
    ns_tx: &Netns,
    tx: &str,
    ns_rx: &Netns,
    rx: &str,
    on: bool,
) -> Result<Vec<Pid>, LinkError> {
    if on {
        let before = napi_threads(rx);
        ns_tx.run(|| set(tx, Offload::Tso, false))?;
        ns_rx.run(|| set(rx, Offload::Gro, true))?;
        set_threaded(ns_rx, rx, true)?;
        let mut new = napi_threads(rx);
        new.retain(|p| !before.contains(p));
        Ok(new)
    } else {
        set_threaded(ns_rx, rx, false)?;
        ns_rx.run(|| set(rx, Offload::Gro, false))?;
        ns_tx.run(|| set(tx, Offload::Tso, true))?;
        Ok(Vec::new())
    }
}

/// The kernel threads of `iface`'s threaded NAPI instances (`napi/IFACE-ID`). Kernel threads
/// belong to no network namespace: an interface of the same name in another namespace has
/// its threads listed too.
pub fn napi_threads(iface: &str) -> Vec<Pid> {
    let prefix = format!("napi/{iface}-");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<Pid> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim_end().starts_with(&prefix))
        })
        .map(Pid::from_raw)
        .collect();
    pids.sort();
    pids
}
