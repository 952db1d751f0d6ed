//! The layer classes, one file per protocol family, and Scapy's `bind_layers` table.
//!
//! Each file exports `PROTOS` (its [`LayerClass`]s) and `BINDINGS` (its rows of the table).

use super::LayerClass;

mod icmp;
mod icmpv6;
pub mod ip;
mod ipv6;
mod l2;
mod overlay;
mod pseudo;
mod raw;
mod tcp;
mod tunnel;
mod udp;

/// One row of Scapy's `bind_layers(lower, upper, field=value, ...)`: when `upper` is the
/// payload of `lower`, these fields of `lower` default to these values.
#[derive(Debug)]
pub struct Binding {
    pub lower: &'static str,
    pub upper: &'static str,
    pub fields: &'static [(&'static str, i128)],
}

fn protos() -> impl Iterator<Item = &'static dyn LayerClass> {
    [
        raw::PROTOS,
        l2::PROTOS,
        ip::PROTOS,
        ipv6::PROTOS,
        tcp::PROTOS,
        udp::PROTOS,
        icmp::PROTOS,
        icmpv6::PROTOS,
        tunnel::PROTOS,
        overlay::PROTOS,
    ]
    .into_iter()
    .flatten()
    .copied()
}

pub(super) fn bindings() -> impl Iterator<Item = &'static Binding> {
    [
        raw::BINDINGS,
        l2::BINDINGS,
        ip::BINDINGS,
        ipv6::BINDINGS,
        tcp::BINDINGS,
        udp::BINDINGS,
        icmp::BINDINGS,
        icmpv6::BINDINGS,
        tunnel::BINDINGS,
        overlay::BINDINGS,
    ]
    .into_iter()
    .flatten()
}

/// The layer class called `name` (Scapy's class name, case-sensitive).
pub fn lookup(name: &str) -> Option<&'static dyn LayerClass> {
    protos().find(|p| p.name() == name)
}

/// Every layer name, for help and errors.
pub fn names() -> impl Iterator<Item = &'static str> {
    protos().map(|p| p.name())
}

pub(super) fn close_names(name: &str) -> Vec<&'static str> {
    super::build::close_in(name, names())
}
