//! Netlink: veth pairs, addresses, link state, network namespaces. (Owned by the topology work; stub.)

/// An error from netlink or namespace operations.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{op}: {source}")]
    Io {
        op: String,
        #[source]
        source: std::io::Error,
    },
}
