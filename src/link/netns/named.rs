//! Named namespaces, compatible with `ip netns`: bind mounts of a namespace file on
//! `/run/netns/NAME`, with `/run/netns` a shared mount (mode 0755 whatever the umask).
//!
//! What stays true: only namespace mounts in `/run/netns` count. A symlink or a plain file
//! planted there is neither listed nor followed nor unmounted: [`del`] refuses it.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::stat::{fstat, Mode};

use super::private::lo_up;
use super::{enter, errno_err, io_err_io, is_net_ns, Netns, NetnsKind, THREAD_NETNS};
use crate::link::LinkError;
use crate::Capability;

/// Where `ip netns` keeps its bind mounts.
pub const NETNS_RUN_DIR: &str = "/run/netns";

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
/// holds it (a process inside, an open fd). When another process removes it at the same time,
/// the one that loses gets [`LinkError::NetnsGone`].
pub fn del(name: &str) -> Result<(), LinkError> {
    check_netns_name(name)?;
    let path = Path::new(NETNS_RUN_DIR).join(name);
    let gone = || LinkError::NetnsGone {
        name: name.to_string(),
    };
    if entry_kind(&path).is_none() {
        return Err(LinkError::NoSuchNetns {
            name: name.to_string(),
        });
    }
    match settled_kind(&path) {
        // There a moment ago: a concurrent `del` removed it.
        None => return Err(gone()),
        Some(NetnsKind::Net) => {}
        Some(other) => {
            return Err(LinkError::NotNetns {
                path: path.display().to_string(),
                what: other.describe(),
            })
        }
    }
    // UMOUNT_NOFOLLOW: a symlink swapped in since the check is not followed either.
    match umount2(&path, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW) {
        Ok(()) => {}
        // Not a mount point (any more) or no file: another process unmounted it since the check.
        Err(Errno::EINVAL) | Err(Errno::ENOENT) => {
            let _ = fs::remove_file(&path);
            return Err(gone());
        }
        Err(e) => {
            return Err(errno_err(
                format!("unmount {}", path.display()),
                e,
                Capability::SysAdmin,
            ))
        }
    }
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        // Unmounted by us, removed by the other: it is gone either way.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LinkError::from_errno(
            format!("remove {}", path.display()),
            e,
            Capability::SysAdmin,
        )),
    }
}

/// [`entry_kind`], but an empty file is watched for a moment: one a concurrent `del` has
/// unmounted is removed next, one a concurrent `add` made is mounted next (a plain file that
/// stays is refused, never removed).
///
/// The watch lasts up to 1 s: on a loaded machine the other process may be descheduled between
/// its unmount and its removal for well over 100 ms (seen under a load of 17 on 2 cores).
fn settled_kind(path: &Path) -> Option<NetnsKind> {
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let mut kind = entry_kind(path);
    while kind == Some(NetnsKind::NotNsfs)
        && is_empty_file(path)
        && std::time::Instant::now() < give_up
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
        kind = entry_kind(path);
    }
    // Gone since the last look (the check of emptiness found no file): nothing there.
    if kind == Some(NetnsKind::NotNsfs) && fs::symlink_metadata(path).is_err() {
        return None;
    }
    kind
}

fn is_empty_file(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file() && m.len() == 0)
}

/// What the entry `path` of `/run/netns` is, without following a symlink; None: nothing there.
fn entry_kind(path: &Path) -> Option<NetnsKind> {
    let meta = fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        return Some(NetnsKind::Symlink);
    }
    if !meta.file_type().is_file() {
        return Some(NetnsKind::NotNsfs);
    }
    match open(
        path,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Some(is_net_ns(&fd)),
        // A mount we may not open is still a mount: let the unmount say why.
        Err(Errno::EACCES) | Err(Errno::EPERM) => Some(NetnsKind::Net),
        // Removed between the stat and the open (a concurrent `del`): nothing there.
        Err(Errno::ENOENT) => None,
        Err(_) => Some(NetnsKind::NotNsfs),
    }
}

/// The named namespaces, sorted (ours and `ip netns add`'s alike): the entries of `/run/netns`
/// that are network namespace mounts.
pub fn list() -> Result<Vec<String>, LinkError> {
    let dir = match fs::read_dir(NETNS_RUN_DIR) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err_io(format!("read {NETNS_RUN_DIR}"), e)),
    };
    // Only namespace mounts: a leftover file, a symlink or a directory planted there is not
    // a namespace.
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| entry_kind(&Path::new(NETNS_RUN_DIR).join(n)) == Some(NetnsKind::Net))
        .collect();
    names.sort();
    Ok(names)
}

/// The name under `/run/netns` of the namespace `ns`, if any.
pub fn name_of(ns: &Netns) -> Option<String> {
    let st = fstat(&ns.fd).ok()?;
    list().ok()?.into_iter().find(|n| {
        fs::symlink_metadata(Path::new(NETNS_RUN_DIR).join(n))
            .map(|m| m.ino() == st.st_ino && m.dev() == st.st_dev)
            .unwrap_or(false)
    })
}

/// Replace this process by `cmd args...` running inside the namespace `name` refers to (a
/// [`super::NetnsRef`]: a name, a path, `pid:PID`), like
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
    match fs::create_dir(NETNS_RUN_DIR) {
        // 0755 whatever the umask, as `ip netns add` makes it: never world-writable.
        Ok(()) => {
            fs::set_permissions(NETNS_RUN_DIR, fs::Permissions::from_mode(0o755)).map_err(|e| {
                LinkError::from_errno(
                    format!("chmod 0755 {NETNS_RUN_DIR}"),
                    e,
                    Capability::SysAdmin,
                )
            })?
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
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
