//! Latency histogram: one-way (or round-trip) time in ns, recorded with hdrhistogram's
//! `saturating_record` (values above the 60 s bound land in the top bucket, never an error),
//! summarised in µs.
//!
//! One sample per first intact frame: `rx_ts_ns` (the kernel's receive timestamp from the ring
//! header, CLOCK_REALTIME) minus the stamp's `tx_ns` (CLOCK_REALTIME just before the send
//! syscall). A negative difference can only come from a clock step during the run: it is
//! recorded as 0 and counted in `negative`. The histogram is allocated once, before the run.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Upper bound of the histogram: 60 s in ns.
const HIGH_NS: u64 = 60_000_000_000;

/// A latency histogram in ns, 3 significant digits.
#[derive(Debug, Clone)]
pub struct LatencyHist {
    h: Histogram<u64>,
    negative: u64,
}

/// Percentiles in µs, as printed and serialised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub samples: u64,
    pub min_us: f64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p99_9_us: f64,
    pub max_us: f64,
    /// Samples where rx came before tx (a clock step), recorded as 0.
    pub negative: u64,
}

impl Default for LatencyHist {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHist {
    pub fn new() -> Self {
        LatencyHist {
            // Bounds are constants that hdrhistogram accepts: cannot fail.
            h: Histogram::new_with_bounds(1, HIGH_NS, 3).expect("valid histogram bounds"),
            negative: 0,
        }
    }

    /// Record `rx_ts_ns - tx_ns`.
    #[inline]
    pub fn record(&mut self, tx_ns: u64, rx_ts_ns: u64) {
        match rx_ts_ns.checked_sub(tx_ns) {
            Some(d) => self.h.saturating_record(d),
            None => {
                self.negative += 1;
                self.h.saturating_record(0);
            }
        }
    }

    /// Record a duration already in ns.
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        self.h.saturating_record(ns);
    }

    pub fn samples(&self) -> u64 {
        self.h.len()
    }

    /// Merge another histogram (e.g. one per receiver thread).
    pub fn merge(&mut self, other: &LatencyHist) {
        // Same bounds on both sides: cannot fail.
        let _ = self.h.add(&other.h);
        self.negative += other.negative;
    }

    /// The summary, or None when there is no sample.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.h.is_empty() {
            return None;
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Some(LatencySummary {
            samples: self.h.len(),
            min_us: us(self.h.min()),
            mean_us: self.h.mean() / 1000.0,
            p50_us: us(self.h.value_at_quantile(0.50)),
            p90_us: us(self.h.value_at_quantile(0.90)),
            p99_us: us(self.h.value_at_quantile(0.99)),
            p99_9_us: us(self.h.value_at_quantile(0.999)),
            max_us: us(self.h.max()),
            negative: self.negative,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_in_us() {
        let mut h = LatencyHist::new();
        for i in 1..=1000u64 {
            h.record(1_000_000, 1_000_000 + i * 1000); // 1..1000 µs
        }
        let s = h.summary().unwrap();
        assert_eq!(s.samples, 1000);
        assert!((s.p50_us - 500.0).abs() < 1.0, "{s:?}");
        assert!((s.p90_us - 900.0).abs() < 1.0, "{s:?}");
        assert!((s.p99_us - 990.0).abs() < 1.0, "{s:?}");
        assert!((s.max_us - 1000.0).abs() < 1.0, "{s:?}");
        assert!(s.min_us <= s.p50_us && s.p99_9_us <= s.max_us);
    }

    #[test]
    fn negative_and_huge_saturate() {
        let mut h = LatencyHist::new();
        h.record(10, 5);
        h.record(0, u64::MAX);
        let s = h.summary().unwrap();
        assert_eq!(s.negative, 1);
        assert_eq!(s.samples, 2);
        assert!(s.max_us >= 59_000_000.0);
    }

    #[test]
    fn empty_has_no_summary() {
        assert!(LatencyHist::new().summary().is_none());
    }
}
