//! Where an end is: `IFACE` or `NS:IFACE`, the namespace a name in `/run/netns`, a path to a
//! namespace file, or `pid:PID` (see [`crate::link::netns::NetnsRef`]). The same syntax as
//! `capture -i`, so the ends of one run may be in different namespaces.

use super::super::HarnessError;
use crate::link::netns::reference::split_iface;
use crate::link::Netns;

/// `(namespace, interface)` of an end written `IFACE` or `NS:IFACE`; `default` is the
/// namespace of an end written without one (None: the caller's).
pub fn split_end<'a>(end: &'a str, default: Option<&'a str>) -> (Option<&'a str>, &'a str) {
    match split_iface(end) {
        (Some(ns), iface) => (Some(ns), iface),
        (None, iface) => (default, iface),
    }
}

/// Open the namespace of an end (None: the caller's), the error naming the reference.
pub fn open_netns(reference: Option<&str>) -> Result<Netns, HarnessError> {
    Netns::open_or_current(reference).map_err(HarnessError::io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_split_at_the_last_colon() {
        assert_eq!(split_end("veth1", None), (None, "veth1"));
        assert_eq!(split_end("veth1", Some("n")), (Some("n"), "veth1"));
        assert_eq!(split_end("net2:veth2", Some("n")), (Some("net2"), "veth2"));
        assert_eq!(split_end("pid:7:eth0", None), (Some("pid:7"), "eth0"));
    }
}
