//! The leaf errors every layer shares: the [`Capability`] an operation needs, and
//! [`NoSuchInterface`].
//!
//! There is no crate-wide error type: each module has its own typed error, and a layer's error
//! wraps only the errors of the layers below it (`harness` → `capture` / `sock` / `link` /
//! `pcapng` → `frame`). Errors say what was being done and to what (interface, path,
//! namespace) and, for a permission failure, which capability was missing; they print on one
//! line and name no command-line flag. What stays true: this module imports nothing from the
//! crate.

use std::fmt;

/// A Linux capability an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Open AF_PACKET sockets (send, capture).
    NetRaw,
    /// Create and change links, addresses, namespaces' links.
    NetAdmin,
    /// Create, enter and bind-mount network namespaces.
    SysAdmin,
    /// Set another process's CPU affinity (a NAPI kernel thread's).
    SysNice,
    /// Load eBPF programs and create maps.
    Bpf,
}

impl Capability {
    /// The name as `capsh`/`setcap` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetRaw => "CAP_NET_RAW",
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::SysAdmin => "CAP_SYS_ADMIN",
            Capability::SysNice => "CAP_SYS_NICE",
            Capability::Bpf => "CAP_BPF",
        }
    }

    /// One line telling how to get the capability.
    pub fn hint(self) -> String {
        format!(
            "run as root, or grant it: sudo setcap {}+ep $(command -v vethbench)",
            self.name().to_ascii_lowercase()
        )
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The named interface does not exist (in the network namespace it was looked up in).
///
/// `SockError::NoSuchInterface` and `LinkError::NoSuchInterface` hold it as their `source()`,
/// so a caller finds it anywhere in an error chain with one `is::<NoSuchInterface>()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interface '{iface}' does not exist")]
pub struct NoSuchInterface {
    pub iface: String,
}

impl NoSuchInterface {
    pub fn new(iface: impl Into<String>) -> Self {
        NoSuchInterface {
            iface: iface.into(),
        }
    }
}
