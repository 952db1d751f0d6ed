//! Network namespaces: named (compatible with `ip netns`) and anonymous. (Contract; stub body.)

use super::LinkError;

/// Move the calling thread into the named namespace (`/run/netns/NAME`), like `ip -n NAME`.
/// Threads spawned afterwards inherit it; sockets opened afterwards belong to it.
pub fn enter(name: &str) -> Result<(), LinkError> {
    Err(LinkError::NoSuchNetns {
        name: name.to_string(),
    })
}
