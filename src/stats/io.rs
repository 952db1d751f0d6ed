//! Frames and bytes per time interval (tshark's `-z io,stat,INTERVAL[,FILTER]...`): one column
//! per display filter (an empty filter, or none, counts every frame), one row per interval from
//! the first frame, laid out as tshark 4.0 prints it, or as JSON.
//!
//! Counting follows tshark's tap: a frame's time is its offset from the capture's first frame,
//! rounded to the microsecond; a frame earlier than the interval its column last counted is not
//! counted (tshark ignores frames "in the past"); an interval of 0, or one longer than the
//! capture, is one row over the whole capture. Only intervals that hold frames are stored (a
//! sparse list, so a long gap in a capture costs nothing); the rows in between print as zeros.
//! tshark's calculated columns (`COUNT(field)`, `SUM()`, `AVG()`, `LOAD()` ...) are not
//! supported: they are refused when the argument is parsed.
//!
//! tshark 4.0 prints the duration of a whole-second interval as `4. 10000` (the microseconds
//! padded with spaces, not zeros); it is reproduced, so the tables compare equal.

use std::fmt::Write as _;

use crate::frame::filter::{Filter, FrameMeta};

use super::StatError;

/// Rows beyond this many are not printed (a 1 µs interval over an hour of capture would be
/// 3.6 billion lines): the table says so instead.
pub const MAX_ROWS: u64 = 10_000_000;

#[derive(Debug)]
struct Column {
    /// The filter as given (None: every frame).
    text: Option<String>,
    filter: Option<Filter>,
    /// (interval index, frames, bytes), in increasing index order; only non-empty intervals.
    items: Vec<(u64, u64, u64)>,
}

/// `-z io,stat`: the interval, the columns, and what was counted.
#[derive(Debug)]
pub struct IoStat {
    arg: String,
    /// The interval in µs; `None`: the whole capture (an interval of 0).
    interval_us: Option<u64>,
    /// Decimal places of the interval as given (tshark's `invl_prec`).
    prec: u32,
    cols: Vec<Column>,
    /// The largest offset from the first frame seen, in ns (tshark's elapsed time).
    elapsed_ns: u64,
}

/// Digits of `v` in decimal, at least 1 and at most `max` (tshark's `magnitude`).
fn magnitude(mut v: u64, max: u32) -> u32 {
    let mut mag = 0;
    for _ in 0..max {
        mag += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    mag
}

impl IoStat {
    /// Parse `io,stat,INTERVAL[,FILTER]...` (`arg` is the whole `-z` argument).
    pub fn parse(arg: &str) -> Result<IoStat, StatError> {
        let err = |why: String| StatError {
            arg: arg.to_string(),
            why,
        };
        let rest = arg.strip_prefix("io,stat,").ok_or_else(|| {
            err("give an interval: io,stat,1 (seconds; 0 for the whole capture)".into())
        })?;
        let (num, filters) = match rest.find(',') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let secs: f64 = num
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                err(format!(
                    "'{num}' is not an interval in seconds (e.g. 1, 0.5, 0)"
                ))
            })?;
        if secs > 1e9 {
            return Err(err(format!(
                "an interval of {num} s is longer than any capture"
            )));
        }
        let (interval_us, prec) = if secs == 0.0 {
            (None, 0)
        } else {
            let us = (secs * 1e6 + 0.5) as u64;
            if us < 1 {
                return Err(err(
                    "the interval must be at least 0.000001 s, or 0 for the whole capture".into(),
                ));
            }
            // Decimal places: those the value needs, or (for a whole number) those written.
            let mut prec = 6;
            let mut m = 10;
            while m < 10_000_000 && us.is_multiple_of(m) {
                prec -= 1;
                m *= 10;
            }
            if prec == 0 {
                if let Some(dot) = num.find('.') {
                    let written = num.len() - dot - 1;
                    prec = written.min(6) as u32;
                }
            }
            (Some(us), prec)
        };
        let mut cols = Vec::new();
        match filters {
            None => cols.push(Column {
                text: None,
                filter: None,
                items: Vec::new(),
            }),
            Some(list) => {
                if list.is_empty() {
                    return Err(err(
                        "a trailing comma: name a filter after it, or drop it".into()
                    ));
                }
                for part in split_filters(list) {
                    let t = part.trim();
                    if t.is_empty() {
                        cols.push(Column {
                            text: None,
                            filter: None,
                            items: Vec::new(),
                        });
                        continue;
                    }
                    if let Some(func) = [
                        "FRAMES", "BYTES", "COUNT", "SUM", "MIN", "MAX", "AVG", "LOAD",
                    ]
                    .iter()
                    .find(|f| t.starts_with(&format!("{f}(")))
                    {
                        return Err(err(format!(
                            "{func}() columns are not supported: a column is a display filter (frames and bytes)"
                        )));
                    }
                    let f = Filter::parse(t).map_err(|e| err(format!("filter '{t}': {e}")))?;
                    cols.push(Column {
                        text: Some(t.to_string()),
                        filter: Some(f),
                        items: Vec::new(),
                    });
                }
            }
        }
        Ok(IoStat {
            arg: arg.to_string(),
            interval_us,
            prec,
            cols,
            elapsed_ns: 0,
        })
    }

    /// Count one frame: `rel_ns` is its offset from the capture's first frame.
    pub(super) fn add(&mut self, frame: &[u8], wire_len: u32, rel_ns: u64, meta: &FrameMeta<'_>) {
        self.elapsed_ns = self.elapsed_ns.max(rel_ns);
        let rel_us = rel_ns / 1_000_000_000 * 1_000_000 + (rel_ns % 1_000_000_000 + 500) / 1000;
        let idx = self.interval_us.map_or(0, |i| rel_us / i);
        for c in &mut self.cols {
            if let Some(f) = &c.filter {
                if !f.matches(frame, meta) {
                    continue;
                }
            }
            match c.items.last_mut() {
                Some(last) if last.0 == idx => {
                    last.1 += 1;
                    last.2 += u64::from(wire_len);
                }
                // A frame before the interval this column last counted: ignored, as tshark does.
                Some(last) if last.0 > idx => {}
                _ => c.items.push((idx, 1, u64::from(wire_len))),
            }
        }
    }

    /// The duration in µs (tshark's rounding of the elapsed time).
    fn duration_us(&self) -> u64 {
        let e = self.elapsed_ns;
        e / 1_000_000_000 * 1_000_000 + (e % 1_000_000_000 + 500) / 1000
    }

    /// The rows tshark prints: (interval in µs, rounded duration in µs, precision, whole capture?).
    fn geometry(&self) -> (u64, u64, u32, bool) {
        let mut duration = self.duration_us();
        let whole = match self.interval_us {
            None => true,
            Some(i) => i > duration,
        };
        let dur_mag = magnitude(duration / 1_000_000, 5);
        let prec = if whole {
            if dur_mag >= 2 {
                1
            } else {
                3
            }
        } else {
            self.prec
        };
        let dv = 1_000_000 / 10u64.pow(prec);
        if duration % dv > 5 * (dv / 10) {
            duration = (duration + 5 * (dv / 10)) / dv * dv;
        }
        let interval = if whole {
            duration
        } else {
            self.interval_us.unwrap_or(duration)
        };
        (interval, duration, prec, whole)
    }

    /// Frames and bytes of `col` in the interval starting at `t` (µs).
    fn cell(col: &Column, interval: u64, whole: bool, t: u64) -> (u64, u64) {
        let idx = if whole { 0 } else { t / interval };
        match col.items.binary_search_by_key(&idx, |it| it.0) {
            Ok(i) => (col.items[i].1, col.items[i].2),
            Err(_) => (0, 0),
        }
    }

    /// The table, as tshark 4.0 prints it.
    pub(super) fn write_text(&self, out: &mut String) {
        let (interval, duration, prec, whole) = self.geometry();
        let dur_mag = magnitude(duration / 1_000_000, 5);
        let invl_mag = magnitude(interval / 1_000_000, 5);
        let frac = |p: u32| if p == 0 { 0 } else { p + 1 };
        let mut border = if whole {
            30 + dur_mag + frac(prec)
        } else {
            25 + invl_mag.max(dur_mag) + frac(prec)
        } as usize;
        let invl_col_w = (if prec == 0 {
            2 * dur_mag + 8
        } else {
            2 * dur_mag + 2 * prec + 10
        })
        .max(12) as usize;
        let widths: Vec<(usize, usize)> = self
            .cols
            .iter()
            .map(|c| {
                let fr = c.items.iter().map(|i| i.1).max().unwrap_or(0);
                let by = c.items.iter().map(|i| i.2).max().unwrap_or(0);
                (
                    magnitude(fr, 15).max(6) as usize,
                    magnitude(by, 15).max(5) as usize,
                )
            })
            .collect();
        let tabrow_w = invl_col_w + widths.iter().map(|(f, b)| f + b + 6).sum::<usize>();
        border = border.max(tabrow_w);
        let max_filter_w = self
            .cols
            .iter()
            .map(|c| c.text.as_ref().map_or(26, |t| t.len() + 11))
            .max()
            .unwrap_or(26);
        if max_filter_w > border && border < 102 {
            border = max_filter_w.min(102);
        }
        if border - tabrow_w == 1 {
            border += 1;
        }
        let pad_to = |out: &mut String, start: usize| {
            let used = out.len() - start;
            let _ = writeln!(out, "{:>w$}", "|", w = border.saturating_sub(used).max(1));
        };
        let filler = border.saturating_sub(tabrow_w);

        out.push('\n');
        out.push_str(&"=".repeat(border));
        let _ = writeln!(out, "\n|{:<w$}|", " IO Statistics", w = border - 2);
        let _ = writeln!(out, "|{:w$}|", "", w = border - 2);
        let dur_w = (dur_mag + frac(prec)) as usize;
        let start = out.len();
        let dur_text = if prec == 0 {
            // tshark 4.0's own rendering: microseconds padded with spaces.
            let e = self.elapsed_ns;
            let us = (e % 1_000_000_000 + 500) / 1000;
            let (s, us) = (e / 1_000_000_000 + us / 1_000_000, us % 1_000_000);
            format!("{s}.{us:>6}")
        } else {
            // As a double printed with `prec` places (9.25 s at one place is 9.2, as tshark's).
            format!("{:.p$}", self.elapsed_ns as f64 / 1e9, p = prec as usize)
        };
        let _ = write!(out, "| Duration: {dur_text:>dur_w$} secs");
        pad_to(out, start);
        let start = out.len();
        let invl_text = fixed(interval * 1000, prec);
        let _ = write!(out, "| Interval: {invl_text:>dur_w$} secs");
        pad_to(out, start);
        let _ = writeln!(out, "|{:w$}|", "", w = border - 2);
        for (j, c) in self.cols.iter().enumerate() {
            let start = out.len();
            if j == 0 {
                let _ = write!(out, "| Col{:>2}: ", j + 1);
            } else {
                let _ = write!(out, "|    {:>2}: ", j + 1);
            }
            match &c.text {
                None => out.push_str("Frames and bytes"),
                Some(t) => {
                    let max_w = border - 11;
                    let mut rest = t.as_str();
                    while rest.len() > max_w {
                        let cut = floor_char_boundary(rest, max_w);
                        let (len, next) = match rest[..cut].rfind(' ') {
                            Some(sp) => (sp, sp + 1),
                            None => (cut, cut),
                        };
                        out.push_str(&rest[..len]);
                        pad_to(out, start_of_line(out));
                        out.push_str("|         ");
                        rest = &rest[next..];
                    }
                    out.push_str(rest);
                }
            }
            pad_to(out, start_of_line(out));
            let _ = start;
        }
        out.push_str("|-");
        out.push_str(&"-".repeat(border - 3));
        out.push_str("|\n");
        // Column numbers.
        let _ = write!(out, "|{:>w$}", "|", w = invl_col_w - 1);
        for (j, (f, b)) in widths.iter().enumerate() {
            let _ = write!(out, "{:<2}{:w$}|", j + 1, "", w = f + b + 3);
        }
        if filler > 0 {
            let _ = write!(out, "{:>filler$}", "|");
        }
        out.push('\n');
        let _ = write!(out, "| Interval{:>w$}", "|", w = invl_col_w - 10);
        for (f, b) in &widths {
            center(out, "Frames", *f);
            center(out, "Bytes", *b);
        }
        if filler > 0 {
            let _ = write!(out, "{:>filler$}", "|");
        }
        out.push_str("\n|-");
        out.push_str(&"-".repeat(tabrow_w - 3));
        out.push('|');
        if filler > 0 {
            let _ = write!(out, "{:>filler$}", "|");
        }
        out.push('\n');

        let rows = duration.div_ceil(interval.max(1));
        if rows > MAX_ROWS {
            let _ = writeln!(
                out,
                "| {rows} intervals: more than {MAX_ROWS} rows are not printed (give a longer interval)"
            );
        } else {
            let dv = 1_000_000 / 10u64.pow(prec);
            let m = dur_mag as usize;
            let p = prec as usize;
            let mut t = 0u64;
            while t < duration {
                let mut end = t + interval;
                let last = end >= duration;
                if last {
                    end = duration;
                }
                if prec == 0 {
                    let sp = if dur_mag == 1 { " " } else { "" };
                    if last {
                        let maxw = if dur_mag >= 3 { m + 1 } else { 3 };
                        let _ = write!(out, "| {sp}{:>m$} <> {:<maxw$}|", t / 1_000_000, "Dur");
                    } else {
                        let _ = write!(
                            out,
                            "| {sp}{:>m$} <> {:>m$} {sp}|",
                            t / 1_000_000,
                            end / 1_000_000
                        );
                    }
                } else {
                    let _ = write!(
                        out,
                        "| {:>m$}.{:0p$} <> {:>m$}.{:0p$} |",
                        t / 1_000_000,
                        t % 1_000_000 / dv,
                        end / 1_000_000,
                        end % 1_000_000 / dv
                    );
                }
                for (c, (f, b)) in self.cols.iter().zip(&widths) {
                    let (fr, by) = Self::cell(c, interval, whole, t);
                    let _ = write!(out, " {fr:>f$} | {by:>b$} |");
                }
                if filler > 0 {
                    let _ = write!(out, "{:>filler$}", "|");
                }
                out.push('\n');
                t += interval;
            }
        }
        out.push_str(&"=".repeat(border));
        out.push('\n');
    }

    /// The table as JSON: the interval, the duration, and per column its filter and intervals.
    pub(super) fn json(&self) -> serde_json::Value {
        let (interval, duration, _, whole) = self.geometry();
        let cols: Vec<_> = self
            .cols
            .iter()
            .map(|c| {
                let mut rows = Vec::new();
                let mut t = 0u64;
                while t < duration && (rows.len() as u64) < MAX_ROWS {
                    let end = (t + interval).min(duration);
                    let (fr, by) = Self::cell(c, interval, whole, t);
                    rows.push(serde_json::json!({
                        "start": t as f64 / 1e6, "end": end as f64 / 1e6, "frames": fr, "bytes": by
                    }));
                    t += interval;
                }
                serde_json::json!({"filter": c.text, "intervals": rows})
            })
            .collect();
        serde_json::json!({
            "stat": self.arg,
            "interval": interval as f64 / 1e6,
            "duration": duration as f64 / 1e6,
            "columns": cols,
        })
    }
}

/// Split a filter list at the commas that are not inside quotes, braces, brackets or parentheses
/// (tshark splits at every comma and retries; the display-filter grammar has commas only inside
/// those, so this gives the one split that parses).
fn split_filters(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut esc, mut start) = (0i32, false, false, 0);
    for (i, ch) in list.char_indices() {
        if quote {
            match (esc, ch) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => quote = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => quote = true,
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth -= 1,
            ',' if depth <= 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
}

/// `ns` as seconds with `prec` decimal places (truncated: round first).
fn fixed(ns: u64, prec: u32) -> String {
    let s = ns / 1_000_000_000;
    if prec == 0 {
        return s.to_string();
    }
    let frac = ns % 1_000_000_000 / (1_000_000_000 / 10u64.pow(prec));
    format!("{s}.{frac:0w$}", w = prec as usize)
}

/// tshark's `printcenter`: a label centred in a column of `w` (one space of padding each side).
fn center(out: &mut String, label: &str, w: usize) {
    let (w, l) = (w as i64, label.len() as i64);
    let len = 6 - ((w - l) / 2 + 1);
    if len > 0 && len < 6 {
        let sp = (6 - len) as usize;
        let left = if (w - l) % 2 == 0 { sp } else { sp + 1 };
        let _ = write!(out, "{:left$}{label}{:sp$}|", "", "");
    } else if len > 0 && len <= 15 {
        let _ = write!(out, "{label}|");
    }
}

fn start_of_line(out: &str) -> usize {
    out.rfind('\n').map_or(0, |i| i + 1)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
