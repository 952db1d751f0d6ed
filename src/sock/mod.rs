//! AF_PACKET sockets: the safe API. Transmit (`sendmmsg` batches) lives in [`tx`], the
//! TPACKET_V3 receive ring in [`ring`], the per-frame `recvmsg` receive socket in [`recvmsg`],
//! in-kernel filters in [`filter`]; every `unsafe` block is in the crate's OS-glue room
//! (`crate::sys`).
//!
//! Sockets belong to the network namespace of the thread that opened them: enter the namespace
//! (see `link::netns`) before opening, not after.

pub mod filter;
pub mod recvmsg;
pub mod ring;
pub mod tx;

use crate::Capability;

/// An error opening or using a packet socket.
#[derive(Debug, thiserror::Error)]
pub enum SockError {
    /// The named interface does not exist in this network namespace.
    #[error("interface '{iface}' does not exist")]
    NoSuchInterface { iface: String },
    /// The kernel said EPERM/EACCES: a capability is missing.
    #[error("{op} on '{iface}': permission denied: needs {cap} ({hint})", hint = cap.hint())]
    Permission {
        op: &'static str,
        iface: String,
        cap: Capability,
    },
    /// Any other system call failure.
    #[error("{op} on '{iface}': {source}")]
    Io {
        op: &'static str,
        iface: String,
        #[source]
        source: std::io::Error,
    },
    /// A filter expression that did not compile, or no compiler available.
    #[error("filter '{expr}': {why}")]
    Filter { expr: String, why: String },
}

impl SockError {
    /// Build an error from an errno, mapping EPERM/EACCES to the capability `cap`.
    pub(crate) fn from_io(
        op: &'static str,
        iface: &str,
        source: std::io::Error,
        cap: Capability,
    ) -> Self {
        match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => SockError::Permission {
                op,
                iface: iface.to_string(),
                cap,
            },
            Some(libc::ENODEV) | Some(libc::ENXIO) => SockError::NoSuchInterface {
                iface: iface.to_string(),
            },
            _ => SockError::Io {
                op,
                iface: iface.to_string(),
                source,
            },
        }
    }
}

/// Resolve an interface name to its ifindex in the calling thread's network namespace.
pub fn ifindex(iface: &str) -> Result<u32, SockError> {
    nix::net::if_::if_nametoindex(iface).map_err(|_| SockError::NoSuchInterface {
        iface: iface.to_string(),
    })
}
