//! The scalars of a test's steps, read and checked: durations (`100ms`), rates (`10k`),
//! stream thresholds (`5`, `0.1%`) and how a daemon says it is ready (`tcp:PORT`,
//! `file:PATH`). The `parse_*` functions are the ones the Python bindings call too.

use std::time::Duration;

use crate::scenario::check::{at, err, Problem};
use crate::scenario::model::{Limit, Ready};
use crate::scenario::yaml::{Scalar, S};

pub(super) fn opt_duration(
    s: &Option<S<Scalar>>,
    key: &str,
    dflt: Duration,
) -> Result<Duration, Problem> {
    s.as_ref().map_or(Ok(dflt), |s| duration(s, key))
}

pub(super) fn duration(s: &S<Scalar>, key: &str) -> Result<Duration, Problem> {
    parse_duration(&s.value.0).map_err(|m| (at(s), key.to_string(), m))
}

/// `100ms`, `1s`, `50us`, `2m`, `1.5s`.
pub fn parse_duration(t: &str) -> Result<Duration, String> {
    let t = t.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("'{t}' is not a duration (e.g. 100ms, 2s)"))?;
    let scale = match unit.trim() {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "" => return Err(format!("'{t}' needs a unit (ns, us, ms, s, m)")),
        u => return Err(format!("'{t}': unknown unit '{u}' (ns, us, ms, s, m)")),
    };
    let s = n * scale;
    if !(s.is_finite() && s < 86_400.0) {
        return Err(format!("'{t}' is out of range"));
    }
    Ok(Duration::from_secs_f64(s))
}

pub(super) fn rate(s: &S<Scalar>) -> Result<f64, Problem> {
    let t = s.value.0.trim();
    let (n, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M')) => (&t[..i], 1e6),
        _ => (t, 1.0),
    };
    match n.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r * mult),
        _ => err(
            at(s),
            "rate",
            format!("'{t}' is not a rate in frames per second (e.g. 1000, 10k)"),
        ),
    }
}

pub(super) fn limit(s: &S<Scalar>, key: &str) -> Result<Limit, Problem> {
    parse_limit(&s.value.0).or_else(|m| err(at(s), key, m))
}

/// A stream threshold: a count of frames (`5`) or a percentage of those sent (`0.1%`).
pub fn parse_limit(t: &str) -> Result<Limit, String> {
    let t = t.trim();
    if let Some(p) = t.strip_suffix('%') {
        if let Ok(p) = p.trim().parse::<f64>() {
            if (0.0..=100.0).contains(&p) {
                return Ok(Limit::Percent(p));
            }
        }
    } else if let Ok(n) = t.parse::<u64>() {
        return Ok(Limit::Frames(n));
    }
    Err(format!(
        "'{t}' is neither a count of frames nor a percentage (e.g. 0, 5, 0.1%)"
    ))
}

pub(super) fn ready(s: &S<String>) -> Result<Ready, Problem> {
    parse_ready(&s.value).or_else(|m| err(at(s), "ready", m))
}

/// How a daemon says it is ready: `tcp:PORT` or `file:PATH`.
pub fn parse_ready(t: &str) -> Result<Ready, String> {
    let t = t.trim();
    if let Some(p) = t.strip_prefix("tcp:") {
        if let Ok(p) = p.parse::<u16>() {
            if p > 0 {
                return Ok(Ready::Tcp(p));
            }
        }
    } else if let Some(p) = t.strip_prefix("file:") {
        if !p.is_empty() {
            return Ok(Ready::File(p.into()));
        }
    }
    Err(format!("'{t}': expected tcp:PORT or file:PATH"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("50us").unwrap(), Duration::from_micros(50));
        assert!(parse_duration("100").unwrap_err().contains("unit"));
        assert!(parse_duration("1h").is_err());
    }
}
