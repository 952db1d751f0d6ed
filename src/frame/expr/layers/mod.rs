//! The layer classes, one file per protocol family, and Scapy's `bind_layers` table.
//!
//! Each file exports `PROTOS` (its [`Proto`]s) and `BINDINGS` (its rows of the table).

use super::Proto;

mod icmp;
mod icmpv6;
pub mod ip;
mod ipv6;
mod l2;
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

fn protos() -> impl Iterator<Item = &'static dyn Proto> {
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
    ]
    .into_iter()
    .flatten()
}

/// The layer class called `name` (Scapy's class name, case-sensitive).
pub fn lookup(name: &str) -> Option<&'static dyn Proto> {
    protos().find(|p| p.name() == name)
}

/// Every layer name, for help and errors.
pub fn names() -> impl Iterator<Item = &'static str> {
    protos().map(|p| p.name())
}

pub(super) fn close_names(name: &str) -> Vec<&'static str> {
    super::build::close_in(name, names())
}

/// The Internet checksum (RFC 1071) of `data`, as Scapy's `checksum()`.
pub fn inet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
        .fold(0u32, |a, w| a.wrapping_add(w));
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
