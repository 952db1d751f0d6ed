//! How `-T fields` writes its values: tshark's `-E` options ([`FieldFormat`]), MAC addresses
//! by tshark's names for them without its OUI table, and `frame.time_relative`'s seconds.
//! Nothing here allocates: each writer appends to the caller's `String`.

use std::fmt::Write as _;

use crate::frame::{FrameError, MacAddr};

/// tshark's `-E` options of `-T fields`: `header=y|n`, `separator=C` (`/t`, `/s`),
/// `quote=d|s|n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFormat {
    /// Print the field names first.
    pub header: bool,
    /// Between values (a tab by default).
    pub separator: String,
    /// Around each value that is not empty.
    pub quote: Option<char>,
}

impl Default for FieldFormat {
    fn default() -> Self {
        FieldFormat {
            header: false,
            separator: "\t".into(),
            quote: None,
        }
    }
}

impl FieldFormat {
    /// The `-E` options, each `KEY=VALUE`.
    pub fn parse<S: AsRef<str>>(opts: &[S]) -> Result<FieldFormat, FrameError> {
        let mut f = FieldFormat::default();
        for o in opts {
            let o = o.as_ref();
            let bad = || {
                FrameError::invalid(
                    "-E option",
                    o,
                    "expected header=y|n, separator=C, quote=d|s|n",
                )
            };
            let (k, v) = o.split_once('=').ok_or_else(bad)?;
            match (k, v) {
                ("header", "y") => f.header = true,
                ("header", "n") => f.header = false,
                ("separator", "/t") => f.separator = "\t".into(),
                ("separator", "/s") => f.separator = " ".into(),
                ("separator", s) if !s.is_empty() => f.separator = s.into(),
                ("quote", "d") => f.quote = Some('"'),
                ("quote", "s") => f.quote = Some('\''),
                ("quote", "n") => f.quote = None,
                _ => return Err(bad()),
            }
        }
        Ok(f)
    }
}

/// A MAC address as tshark resolves it without its OUI table: `Broadcast`,
/// `IPv6mcast_ff:00:00:02`, `IPv4mcast_01:02:03`, else the address.
pub fn write_mac_name(out: &mut String, m: MacAddr) {
    let b = m.0;
    let _ = match b {
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] => write!(out, "Broadcast"),
        [0x33, 0x33, 0, 0, 0, x] => write!(out, "IPv6mcast_{x:02x}"),
        [0x33, 0x33, ..] => write!(
            out,
            "IPv6mcast_{:02x}:{:02x}:{:02x}:{:02x}",
            b[2], b[3], b[4], b[5]
        ),
        [0x01, 0x00, 0x5e, ..] => write!(out, "IPv4mcast_{:02x}:{:02x}:{:02x}", b[3], b[4], b[5]),
        _ => write!(out, "{m}"),
    };
}

/// `SECS.NANOS` since `t0_ns`, negative before it, as tshark prints `frame.time_relative`.
pub fn write_relative(out: &mut String, ts_ns: u128, t0_ns: u128) {
    let (neg, rel) = match ts_ns.checked_sub(t0_ns) {
        Some(rel) => ("", rel),
        None => ("-", t0_ns - ts_ns),
    };
    let _ = write!(
        out,
        "{neg}{}.{:09}",
        rel / 1_000_000_000,
        rel % 1_000_000_000
    );
}
