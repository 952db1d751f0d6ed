//! Wireshark's display-filter language (`-Y`), one engine over the one packet view: `read -Y`,
//! `capture -Y` and the scenario conditions call [`Filter::parse`] once and
//! [`Filter::matches`] per frame.
//!
//! Three steps, one file each: `parse.rs` (text → untyped tree, every node with its column;
//! nesting bounded), `compile.rs` (names checked against the view's field table, each literal
//! converted to the field's type once: a number in any base, a MAC, an IPv4/IPv6 address or
//! CIDR block, bytes, a string, a regex; an unknown field, operator or a type mismatch is a
//! [`FilterError`] with its column), `eval.rs` (one walk of the frame per call, each field the
//! filter names tested as the walk emits it; the tree folded over the results). Nothing is
//! allocated per frame: results are bit masks, the one text buffer is reused per thread.
//!
//! Semantics are tshark 4.0's (Debian bookworm), checked against it in `tests/filter_tshark.rs`:
//! a field the frame holds several times (both addresses of `ip.addr`, stacked VLANs, an ICMP
//! error's quoted packet) matches `==`, `<`, `contains`, `matches`, `in` when any occurrence
//! does; `a != b` is `!(a == b)` on a present field (every occurrence differs: tshark 3.6+'s
//! `all_ne`); `~=` / `!==` / `any_ne` is "some occurrence differs", `===` / `all_eq` "every
//! occurrence equals". A comparison on an absent field is false, `!=` included.
//!
//! What it does not do: field-to-field comparisons, arithmetic, functions (`len()`,
//! `upper()`), display filter macros, tshark's value strings (`tcp.flags.str`), layer
//! operators (`ip.src#2`). See `docs/read.md` ("Display filters") for the differences.

mod compile;
mod eval;
mod parse;

pub use compile::sample_literal;
pub use parse::{MAX_DEPTH, MAX_TERMS};

/// A filter that does not parse or does not type-check: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {col}: {msg}")]
pub struct FilterError {
    /// 1-based column (in characters) of the token at fault.
    pub col: usize,
    pub msg: String,
}

impl FilterError {
    pub(crate) fn new(col: usize, msg: impl Into<String>) -> Self {
        FilterError {
            col,
            msg: msg.into(),
        }
    }
}

/// What a filter knows about a frame besides its bytes (the `frame.*` fields).
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameMeta<'a> {
    /// Its number, from 1.
    pub number: u64,
    /// Its timestamp, in ns since the epoch.
    pub ts_ns: u64,
    /// The first frame's timestamp (for `frame.time_relative`).
    pub t0_ns: u64,
    /// Its length on the wire (the captured bytes may be fewer); 0 means the captured length.
    pub wire_len: u32,
    /// The index of its interface in the file (IDB order); `None` for a pcap file or a live
    /// frame (tshark has no `frame.interface_id` there).
    pub interface_id: Option<u32>,
    /// The IDB's `if_name`, when it has one.
    pub interface_name: Option<&'a str>,
    /// The IDB's `if_description`, when it has one.
    pub interface_description: Option<&'a str>,
    /// Reassembly saw the frame: the bytes given are the ones to walk, the frame's own are here.
    pub defrag: Option<&'a crate::frame::reassembly::Defrag>,
}

/// A checked display filter, ready to run on frames.
#[derive(Debug, Clone)]
pub struct Filter {
    text: String,
    prog: compile::Program,
}

impl Filter {
    /// Parse and type-check `text` against the field table.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let tree = parse::parse(text)?;
        let prog = compile::compile(&tree)?;
        Ok(Filter {
            text: text.to_string(),
            prog,
        })
    }

    /// Whether the frame passes. One walk of its headers; allocates nothing (after a thread's
    /// first call).
    pub fn matches(&self, frame: &[u8], meta: &FrameMeta<'_>) -> bool {
        eval::matches(&self.prog, frame, meta)
    }

    /// Whether a frame without metadata (a live frame: no number, time or interface) passes:
    /// what the scenario conditions ask.
    pub fn matches_frame(&self, frame: &[u8]) -> bool {
        self.matches(frame, &FrameMeta::default())
    }

    /// The filter as written.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl std::str::FromStr for Filter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, FilterError> {
        Filter::parse(s)
    }
}

#[cfg(test)]
mod tests;
