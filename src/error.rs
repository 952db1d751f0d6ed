//! The crate's error type: one variant per module, each module with its own typed error.
//!
//! Errors say what was being done and to what (interface, path, namespace) and, for a
//! permission failure, which capability was missing. They print on one line.

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
}

impl Capability {
    /// The name as `capsh`/`setcap` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetRaw => "CAP_NET_RAW",
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::SysAdmin => "CAP_SYS_ADMIN",
            Capability::SysNice => "CAP_SYS_NICE",
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

/// Any error of the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Frame(#[from] crate::frame::FrameError),
    #[error(transparent)]
    Sock(#[from] crate::sock::SockError),
    #[error(transparent)]
    Link(#[from] crate::link::LinkError),
    #[error(transparent)]
    Pcapng(#[from] crate::pcapng::PcapngError),
    #[error(transparent)]
    Harness(#[from] crate::harness::HarnessError),
}

impl Error {
    /// True when the error is, or wraps, "interface ... does not exist".
    pub fn is_no_such_interface(&self) -> bool {
        match self {
            Error::Sock(crate::sock::SockError::NoSuchInterface { .. }) => true,
            Error::Link(crate::link::LinkError::NoSuchInterface { .. }) => true,
            Error::Harness(h) => h.is_no_such_interface(),
            _ => false,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
