//! The diff report printed: a line per difference (`frame 12: ip.ttl 64 → 63`), then a summary
//! line; or the same as JSON (`--json`).

use std::fmt::Write as _;

use super::{DiffReport, Difference};

/// One line per difference, then the summary (`A: 3 frames, B: 3 frames: 2 equal, 1 changed,
/// ...`).
pub fn write_text(out: &mut String, r: &DiffReport) {
    for d in &r.differences {
        match d {
            Difference::Changed { a, b, fields, more } => {
                let _ = write!(out, "frame {a}");
                if a != b {
                    let _ = write!(out, " (B frame {b})");
                }
                out.push(':');
                for (k, f) in fields.iter().enumerate() {
                    out.push_str(if k == 0 { " " } else { ", " });
                    let _ = write!(
                        out,
                        "{} {} → {}",
                        f.field,
                        f.a.as_deref().unwrap_or("(absent)"),
                        f.b.as_deref().unwrap_or("(absent)")
                    );
                }
                if *more > 0 {
                    let _ = write!(out, " (and {more} more)");
                }
                out.push('\n');
            }
            Difference::Missing { a } => {
                let _ = writeln!(out, "frame {a}: missing from B");
            }
            Difference::Extra { b } => {
                let _ = writeln!(out, "B frame {b}: extra (not in A)");
            }
            Difference::Reordered { a, b } => {
                let _ = writeln!(out, "frame {a}: reordered (B frame {b})");
            }
        }
    }
    let frames = |n: usize| if n == 1 { "frame" } else { "frames" };
    let _ = writeln!(
        out,
        "A: {} {}, B: {} {}: {} equal, {} changed, {} missing, {} extra, {} reordered{}",
        r.a_frames,
        frames(r.a_frames),
        r.b_frames,
        frames(r.b_frames),
        r.equal,
        r.changed,
        r.missing,
        r.extra,
        r.reordered,
        if r.identical() { " (identical)" } else { "" }
    );
}

/// The report as one JSON object (`identical`, the counts, `differences`).
pub fn write_json(r: &DiffReport, a: &str, b: &str) -> serde_json::Value {
    use serde_json::json;
    let diffs: Vec<_> = r
        .differences
        .iter()
        .map(|d| match d {
            Difference::Changed { a, b, fields, more } => json!({
                "kind": "changed", "a_frame": a, "b_frame": b, "more": more,
                "fields": fields.iter().map(|f| json!({"field": f.field, "a": f.a, "b": f.b})).collect::<Vec<_>>(),
            }),
            Difference::Missing { a } => json!({"kind": "missing", "a_frame": a}),
            Difference::Extra { b } => json!({"kind": "extra", "b_frame": b}),
            Difference::Reordered { a, b } => {
                json!({"kind": "reordered", "a_frame": a, "b_frame": b})
            }
        })
        .collect();
    json!({
        "schema_version": 1,
        "a": a, "b": b,
        "identical": r.identical(),
        "a_frames": r.a_frames, "b_frames": r.b_frames,
        "equal": r.equal, "changed": r.changed, "missing": r.missing,
        "extra": r.extra, "reordered": r.reordered,
        "differences": diffs,
    })
}
