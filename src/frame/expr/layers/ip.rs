//! `IP` (IPv4, with options) and Scapy's `fragment()`.

use super::super::Proto;
use super::Binding;

pub(super) const PROTOS: &[&dyn Proto] = &[];
pub(super) const BINDINGS: &[Binding] = &[];

/// Scapy's `fragment(pkt, fragsize)`: the IPv4 datagram in `frame` cut into fragments of at
/// most `fragsize` payload bytes (rounded down to a multiple of 8), each a whole frame.
pub fn fragment(frame: &[u8], fragsize: usize) -> Result<Vec<Vec<u8>>, String> {
    let _ = (frame, fragsize);
    Err("fragment() is not implemented yet".into())
}
