//! The printed line of a captured frame: nothing, a numbered one-line summary with the time
//! since the first frame (like tshark), or the values of `-T fields`.
//!
//! The lines themselves are `frame`'s: [`crate::frame::write_numbered`] (shared with `read`)
//! and [`FieldSet::write_line`].

use crate::frame::fields::FieldSet;
use crate::frame::FrameError;
use crate::sock::RxMeta;

/// How captured frames are printed.
#[derive(Debug)]
pub enum Printer {
    /// Not at all (writing a file, or `-q`).
    None,
    /// `N  SECS.NANOS summary`, SECS since the first frame printed.
    Summary,
    /// Tab-separated values of these fields.
    Fields(FieldSet),
}

impl Printer {
    /// A fields printer for these field names (e.g. `eth.src`, `ip.src`, `tcp.dstport`).
    pub fn fields<S: AsRef<str>>(names: &[S]) -> Result<Printer, FrameError> {
        Ok(Printer::Fields(FieldSet::parse(names)?))
    }

    /// True when nothing is printed.
    pub fn is_none(&self) -> bool {
        matches!(self, Printer::None)
    }

    /// Append the line of frame number `n` (from 1), without its newline, to `line`;
    /// `first_ts` is the first printed frame's timestamp (set by the first call).
    pub fn write_line(
        &self,
        line: &mut String,
        n: u64,
        data: &[u8],
        meta: &RxMeta,
        first_ts: &mut Option<u64>,
    ) {
        match self {
            Printer::None => {}
            Printer::Fields(fs) => {
                let t0 = *first_ts.get_or_insert(meta.ts_ns);
                let info = crate::frame::fields::FrameInfo {
                    number: n,
                    ts_ns: meta.ts_ns,
                    t0_ns: t0,
                    wire_len: meta.wire_len,
                };
                fs.write_frame(line, data, &info);
            }
            Printer::Summary => {
                let t0 = *first_ts.get_or_insert(meta.ts_ns);
                crate::frame::write_numbered_wire(line, n, meta.ts_ns, t0, data, meta.wire_len);
            }
        }
    }
}
