//! The Python subset Scapy users write, read into an [`Expr`].

use super::{Expr, ExprError};

/// Parse a Scapy expression (`Ether()/IP(dst="198.18.0.2")/UDP(dport=53)/"x"`).
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let _ = src;
    Err(ExprError::new(
        1,
        "Scapy expressions are not implemented yet",
    ))
}
