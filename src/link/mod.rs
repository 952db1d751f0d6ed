//! Netlink: veth pairs, addresses, link state, network namespaces. (Owned by the topology work;
//! the signatures below are the contract other modules build on, the bodies are stubs.)

pub mod iface;
pub mod netns;

pub use iface::IfaceInfo;

use crate::Capability;

/// An error from netlink or namespace operations.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("interface '{iface}' does not exist")]
    NoSuchInterface { iface: String },
    #[error("network namespace '{name}' does not exist")]
    NoSuchNetns { name: String },
    #[error("{op}: permission denied: needs {cap} ({hint})", hint = cap.hint())]
    Permission { op: String, cap: Capability },
    #[error("{op}: {source}")]
    Io {
        op: String,
        #[source]
        source: std::io::Error,
    },
}
