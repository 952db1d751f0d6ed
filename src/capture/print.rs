//! The printed line of a captured frame: nothing, a numbered one-line summary with the time
//! since the first frame (like tshark), or the values of `-T fields`.
//!
//! The seam to `frame`: the two functions at the bottom are the only calls into the frame
//! printers, so a rename there is a one-line change here.

use std::fmt::Write as _;

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
            Printer::Fields(fs) => write_fields(fs, line, data, meta),
            Printer::Summary => {
                let t0 = *first_ts.get_or_insert(meta.ts_ns);
                let rel = meta.ts_ns.saturating_sub(t0);
                let _ = write!(
                    line,
                    "{:>5} {:>4}.{:09} ",
                    n,
                    rel / 1_000_000_000,
                    rel % 1_000_000_000
                );
                write_summary(line, data);
            }
        }
    }
}

/// The seam: `frame`'s one-line summary.
fn write_summary(line: &mut String, data: &[u8]) {
    crate::frame::write_summary(line, data);
}

/// The seam: `frame`'s `-T fields` values.
fn write_fields(fs: &FieldSet, line: &mut String, data: &[u8], meta: &RxMeta) {
    fs.write_line(line, data, meta.wire_len, meta.ts_ns);
}
