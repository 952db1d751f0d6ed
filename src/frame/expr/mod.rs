//! Frames in Scapy's own syntax: `Ether(dst="02:00:00:00:00:02")/IP(dst="198.18.0.2")/TCP(flags="S")`.
//!
//! What must stay true: for the same expression, [`Expr::build`] returns exactly the bytes of
//! Scapy 2.5's `raw(pkt)` (or of `fragment(pkt, fragsize)`), defaults included; any field set
//! explicitly wins over the computed one (`IP(chksum=0)` builds a broken frame on purpose),
//! and a length or count the engine computes that does not fit its field is an error ("does
//! not fit"), never a wrapped value (where Scapy masks a 4-bit ihl/dataofs, this refuses).
//! Nesting is bounded ([`MAX_NESTING`]) by the parser, so nothing that walks an [`Expr`]
//! recursively can overflow the stack. This is the one builder: [`crate::frame::FrameSpec`]
//! lowers to it.
//!
//! By concern: `parse/` reads the Python subset into an [`Expr`] (layers, fields, values,
//! each with its column; the literals in `parse/literal.rs`); `value.rs` the values; `class.rs` the [`LayerClass`] trait a layer
//! implements and the [`Fields`] it reads; `build.rs` the engine (Scapy's `bind_layers` table,
//! defaults, innermost layer first so lengths and checksums see their payload); `layers/` one
//! file per protocol family.
//!
//! ```
//! use vethbench::frame::expr;
//!
//! let e = expr::parse(r#"Ether(dst="02:00:00:00:00:02")/IP(dst="198.18.0.2", ttl=3)/"hi""#)?;
//! let frames = e.build()?; // Scapy's fallbacks: Ether src 00:..:00, IP src 0.0.0.0
//! assert_eq!(frames.len(), 1);
//! assert_eq!(frames[0].len(), 14 + 20 + 2);
//! assert_eq!(&frames[0][12..14], &[0x08, 0x00]); // bound by the IP layer above
//!
//! // fragment(): several frames, in order
//! let e = expr::parse(r#"fragment(Ether()/IP(dst="198.18.0.2")/("x"*100), fragsize=40)"#)?;
//! assert_eq!(e.build()?.len(), 3);
//!
//! // errors point at a column
//! let err = expr::parse("Ether()/IP(tll=3)")?.build().unwrap_err();
//! assert_eq!(err.to_string(), "column 12: IP has no field 'tll'; did you mean 'ttl'?");
//! # Ok::<(), expr::ExprError>(())
//! ```

mod build;
mod class;
mod env;
mod parse;
mod value;

pub mod layers;

pub use build::{build_layers, Layer};
pub use class::{Ctx, Fields, LayerClass};
pub use env::IfaceEnv;
pub use parse::{parse, DEFAULT_FRAGSIZE, MAX_NESTING};
pub use value::Value;

/// A parsed expression: the layers joined by `/`, and an optional `fragment(..., fragsize=N)`
/// around them.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub layers: Vec<LayerExpr>,
    /// `fragment(pkt, fragsize=N)`: IPv4 fragments of at most N payload bytes (a multiple of 8).
    pub fragsize: Option<usize>,
}

/// `Name(field=value, ...)`; a bare string or bytes is `Raw(load=...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerExpr {
    pub name: String,
    /// 1-based column of the name in the source.
    pub col: usize,
    pub fields: Vec<FieldArg>,
}

/// `field=value` inside a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldArg {
    pub name: String,
    /// 1-based column of the field name.
    pub col: usize,
    pub value: Value,
}

/// Where the values an expression leaves to its surroundings come from: functions such as a
/// scenario's `mac("r1:eth0")`, and the defaults Scapy finds in the host's tables (the
/// interface's MAC for `Ether.src`, a route's source address for `IP.src`).
pub trait Env {
    /// `name(args)` inside the expression; `None`: no such function here.
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    /// `Ether.src` when not given (Scapy: the MAC of the interface the route goes out of).
    fn default_src_mac(&self) -> Option<crate::frame::MacAddr> {
        None
    }
    /// `IP.src`/`IPv6.src` when not given (Scapy: the route's source address).
    fn default_src_ip(&self, _dst: std::net::IpAddr) -> Option<std::net::IpAddr> {
        None
    }
}

/// No surroundings: Scapy's fallbacks everywhere.
#[derive(Debug)]
pub struct NoEnv;
impl Env for NoEnv {}

/// An error in an expression, with the 1-based column it points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {col}: {msg}")]
pub struct ExprError {
    pub col: usize,
    pub msg: String,
}

impl ExprError {
    pub fn new(col: usize, msg: impl Into<String>) -> Self {
        ExprError {
            col,
            msg: msg.into(),
        }
    }
}

impl Expr {
    /// The frames (one, or several with `fragment`), with Scapy's fallbacks for what the
    /// surroundings would give.
    pub fn build(&self) -> Result<Vec<Vec<u8>>, ExprError> {
        self.build_with(&NoEnv)
    }

    /// The frames, asking `env` for functions and host-dependent defaults.
    pub fn build_with(&self, env: &dyn Env) -> Result<Vec<Vec<u8>>, ExprError> {
        let layers = build::resolve(&self.layers, env)?;
        match self.fragsize {
            None => Ok(vec![build_layers(&layers, env)?]),
            Some(n) => layers::ip::fragment(&layers, n, env),
        }
    }
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod parse_tests;
