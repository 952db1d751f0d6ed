//! [`NetnsRef`]: how a network namespace is named wherever one is taken (`-n`, `--netns`,
//! `--peer-netns`, the `NS:` of `NS:IFACE`, the harness's attach API).
//!
//! - `NAME`: `/run/netns/NAME`, as `ip -n NAME` (a single path component);
//! - a path (anything with a `/`): a namespace file, e.g. `/proc/1234/ns/net`,
//!   `/var/run/docker/netns/ID`, `/run/netns/NAME`;
//! - `pid:PID`: the namespace process PID is in (`/proc/PID/ns/net`), like `nsenter -t PID -n`.
//!
//! What stays true: opening a reference checks what it opened. A file that is not a network
//! namespace, a process that does not exist (or exited), and a namespace we may not open are
//! each a one-line [`LinkError`], never a namespace of the wrong kind entered.

use std::fmt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use super::{check_netns_name, is_net_ns, open_ns_file, Netns, NetnsKind};
use crate::link::LinkError;

/// A reference to a network namespace (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetnsRef {
    /// `/run/netns/NAME`.
    Name(String),
    /// A namespace file.
    Path(PathBuf),
    /// The namespace of a process.
    Pid(u32),
}

impl NetnsRef {
    /// `pid:PID`, a path (contains `/`), or a name in `/run/netns`.
    pub fn parse(s: &str) -> Result<Self, LinkError> {
        if let Some(pid) = s.strip_prefix("pid:") {
            return match pid.parse::<u32>() {
                Ok(p) if p > 0 && pid.bytes().all(|b| b.is_ascii_digit()) => Ok(NetnsRef::Pid(p)),
                _ => Err(LinkError::InvalidName {
                    what: "network namespace reference",
                    name: s.to_string(),
                    reason: "expected pid:PID with a process id, e.g. pid:1234",
                }),
            };
        }
        if s.contains('/') {
            return Ok(NetnsRef::Path(PathBuf::from(s)));
        }
        check_netns_name(s)?;
        Ok(NetnsRef::Name(s.to_string()))
    }
}

impl std::str::FromStr for NetnsRef {
    type Err = LinkError;
    fn from_str(s: &str) -> Result<Self, LinkError> {
        NetnsRef::parse(s)
    }
}

impl fmt::Display for NetnsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetnsRef::Name(n) => f.write_str(n),
            NetnsRef::Path(p) => write!(f, "{}", p.display()),
            NetnsRef::Pid(p) => write!(f, "pid:{p}"),
        }
    }
}

/// Split `NS:IFACE` at its last `:` (an interface name has none; a path or `pid:` may):
/// `("NS", "IFACE")`, or `(None, s)` when there is no `:`.
pub fn split_iface(s: &str) -> (Option<&str>, &str) {
    match s.rfind(':') {
        Some(i) => (Some(&s[..i]), &s[i + 1..]),
        None => (None, s),
    }
}

/// Open a namespace file and check that it is a network namespace.
pub(super) fn open_path(path: &Path) -> Result<Netns, LinkError> {
    let shown = path.display().to_string();
    let fd = match open_ns_file(path) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) | Err(Errno::ENOTDIR) => {
            return Err(LinkError::NoSuchNetns { name: shown });
        }
        Err(Errno::EACCES) | Err(Errno::EPERM) => {
            return Err(LinkError::NetnsAccess {
                path: shown.clone(),
                what: shown,
                as_root: nix::unistd::geteuid().is_root(),
            });
        }
        Err(e) => return Err(super::io_err(format!("open {shown}"), e)),
    };
    match is_net_ns(&fd) {
        NetnsKind::Net => Ok(Netns::from_fd(fd, Some(shown))),
        other => Err(LinkError::NotNetns {
            path: shown,
            what: match super::special_file_kind(&fd) {
                Some(kind) => format!("{kind}, not a namespace file"),
                None => other.describe(),
            },
        }),
    }
}

/// Open the network namespace of process `pid`.
pub(super) fn open_pid(pid: u32) -> Result<Netns, LinkError> {
    let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
    match open_ns_file(&path) {
        Ok(fd) => {
            let desc = super::scan::process_label(pid);
            match is_net_ns(&fd) {
                NetnsKind::Net => Ok(Netns::from_fd(fd, Some(desc))),
                other => Err(LinkError::NotNetns {
                    path: path.display().to_string(),
                    what: other.describe(),
                }),
            }
        }
        // ESRCH/ENOENT: no such process, or it exited (a zombie's ns links are gone too).
        Err(Errno::ENOENT) | Err(Errno::ESRCH) | Err(Errno::EINVAL) => {
            Err(LinkError::NoSuchProcess { pid })
        }
        Err(Errno::EACCES) | Err(Errno::EPERM) => Err(LinkError::NetnsAccess {
            what: format!("process {pid}"),
            path: path.display().to_string(),
            as_root: nix::unistd::geteuid().is_root(),
        }),
        Err(e) => Err(super::io_err(format!("open {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_by_shape() {
        assert_eq!(
            NetnsRef::parse("net1").unwrap(),
            NetnsRef::Name("net1".into())
        );
        assert_eq!(NetnsRef::parse("pid:42").unwrap(), NetnsRef::Pid(42));
        assert_eq!(
            NetnsRef::parse("/proc/42/ns/net").unwrap(),
            NetnsRef::Path("/proc/42/ns/net".into())
        );
        assert_eq!(
            NetnsRef::parse("./ns").unwrap(),
            NetnsRef::Path("./ns".into())
        );
        for bad in ["pid:", "pid:0", "pid:x", "pid:-1", "pid:+3", "", ".."] {
            let e = NetnsRef::parse(bad).unwrap_err();
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        for s in ["net1", "pid:42", "/proc/42/ns/net"] {
            assert_eq!(NetnsRef::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn iface_split_takes_the_last_colon() {
        assert_eq!(split_iface("veth1"), (None, "veth1"));
        assert_eq!(split_iface("net1:veth1"), (Some("net1"), "veth1"));
        assert_eq!(split_iface("pid:12:eth0"), (Some("pid:12"), "eth0"));
        assert_eq!(
            split_iface("/run/docker/netns/ab:cd:eth0"),
            (Some("/run/docker/netns/ab:cd"), "eth0")
        );
    }

    #[test]
    fn bad_references_are_typed() {
        let e = Netns::open_ref(&NetnsRef::Path("/etc/hostname".into())).unwrap_err();
        assert!(matches!(e, LinkError::NotNetns { .. }), "{e}");
        let e = Netns::open_ref(&NetnsRef::Path("/surely/missing/ns".into())).unwrap_err();
        assert!(matches!(e, LinkError::NoSuchNetns { .. }), "{e}");
        let e = Netns::open_ref(&NetnsRef::Path("/proc/self/ns/mnt".into())).unwrap_err();
        assert!(e.to_string().contains("mount namespace"), "{e}");
        // Beyond pid_max (at most 2^22).
        let e = Netns::open_ref(&NetnsRef::Pid(99_999_999)).unwrap_err();
        assert!(
            matches!(e, LinkError::NoSuchProcess { pid: 99_999_999 }),
            "{e}"
        );
    }
}
