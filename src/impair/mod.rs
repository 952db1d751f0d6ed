//! Seeded impairments: loss, duplication, reordering, corruption, delay with jitter and a rate
//! limit, decided per frame from a seed so that a failure seen once replays. This kernel has no
//! netem, and netem decides at random; here a [`Relay`] forwards frames between two interfaces
//! (AF_PACKET rings in, batched sends out) and [`Fate::of`] decides each frame's fate from the
//! seed, the direction and the frame's index in that direction alone: the same seed and the
//! same frames in the same order give the same drops, duplicates and reorderings, whatever the
//! timing.
//!
//! What stays true: the relay allocates nothing per frame (a slab of slots and a heap of due
//! times sized at start); every frame received is counted once as forwarded, dropped (the
//! impairment), or overflowed (the slab full, which only a delay longer than the slab can hold
//! at the offered rate causes, reported apart). Delays count from the kernel's receive
//! timestamp, so the time the relay takes to wake is not added to them.

mod relay;

pub use relay::{DirStats, Relay};

/// An error of this module.
#[derive(Debug, thiserror::Error)]
pub enum ImpairError {
    #[error("impairment '{text}': {why}")]
    Spec { text: String, why: String },
    #[error("relay on {iface}: {source}")]
    Sock {
        iface: String,
        #[source]
        source: crate::sock::SockError,
    },
    #[error(transparent)]
    Link(#[from] crate::link::LinkError),
}

/// What happens to frames in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImpairSpec {
    /// Fractions in 0..=1.
    pub loss: f64,
    pub duplicate: f64,
    /// A reordered frame is held back and sent after the next one (never a duplicated one).
    pub reorder: f64,
    /// A corrupted frame has one bit flipped (past the Ethernet header, so it still arrives).
    pub corrupt: f64,
    pub delay_ns: u64,
    /// Each frame's delay is `delay ± jitter`, uniform (frames may then overtake each other).
    pub jitter_ns: u64,
    /// Bits per second on the way out (the frame's bytes), or unlimited.
    pub rate_bps: Option<u64>,
    pub seed: u64,
}

fn spec_err(text: &str, why: impl Into<String>) -> ImpairError {
    ImpairError::Spec {
        text: text.to_string(),
        why: why.into(),
    }
}

/// `1%`, `0.5%`, `0.01` → a fraction.
pub fn parse_fraction(s: &str) -> Result<f64, ImpairError> {
    let t = s.trim();
    let (num, div) = match t.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (t, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=div).contains(&v) => Ok(v / div),
        _ => Err(spec_err(
            s,
            "expected a share from 0% to 100% (1%, 0.5%, 0.01)",
        )),
    }
}

/// `2ms`, `500us`, `1s`, `0` → nanoseconds (at most an hour).
pub fn parse_duration_ns(s: &str) -> Result<u64, ImpairError> {
    let t = s.trim();
    let at = t
        .find(|c: char| c.is_ascii_alphabetic() || c == 'µ')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(at);
    let mult = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "" if num.trim() == "0" => 1.0,
        _ => {
            return Err(spec_err(
                s,
                "expected a duration with its unit (2ms, 500us, 1s)",
            ))
        }
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * mult <= 3.6e12 => Ok((v * mult).round() as u64),
        _ => Err(spec_err(
            s,
            "expected a duration from 0 to 1 hour (2ms, 500us, 1s)",
        )),
    }
}

/// `100mbit`, `1gbit`, `500kbit`, `64000` (bits/s) → bits per second.
pub fn parse_rate_bps(s: &str) -> Result<u64, ImpairError> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mult) = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1.0)]
        .iter()
        .find_map(|(u, m)| t.strip_suffix(u).map(|n| (n.to_string(), *m)))
        .unwrap_or((t.clone(), 1.0));
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v * mult >= 1000.0 && v * mult <= 1e12 => Ok((v * mult) as u64),
        _ => Err(spec_err(
            s,
            "expected a rate from 1kbit to 1000gbit (100mbit, 1gbit)",
        )),
    }
}

/// SplitMix64: a counter-based generator, so draw `i` of frame `k` needs no state.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1) for (seed, direction, frame index, draw).
fn draw(seed: u64, dir: u64, k: u64, i: u64) -> f64 {
    let h = mix(mix(mix(seed ^ dir.wrapping_mul(0xa076_1d64_78bd_642f)) ^ k) ^ i);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The fate of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fate {
    pub drop: bool,
    pub duplicate: bool,
    pub reorder: bool,
    /// Flip bit `corrupt_bit % (8 * (len - 14))` of the bytes after the Ethernet header.
    pub corrupt: Option<u64>,
    /// The delay, jitter applied.
    pub delay_ns: u64,
}

impl Fate {
    /// The fate of frame `k` (0-based, in arrival order) of direction `dir`, from the spec
    /// and its seed alone.
    pub fn of(spec: &ImpairSpec, dir: u64, k: u64) -> Fate {
        let d = |i| draw(spec.seed, dir, k, i);
        let drop = d(0) < spec.loss;
        let duplicate = !drop && d(1) < spec.duplicate;
        let jitter = if spec.jitter_ns > 0 {
            let j = spec.jitter_ns as f64;
            (d(4) * 2.0 * j - j).round() as i64
        } else {
            0
        };
        Fate {
            drop,
            duplicate,
            // A duplicated frame is not also reordered: one frame, one effect the checker sees.
            reorder: !drop && !duplicate && d(2) < spec.reorder,
            corrupt: (!drop && d(3) < spec.corrupt).then(|| mix(spec.seed ^ k ^ 0xc0)),
            delay_ns: (spec.delay_ns as i64 + jitter).max(0) as u64,
        }
    }
}

impl ImpairSpec {
    /// Parse `loss=1%,duplicate=0.1%,reorder=0.5%,corrupt=0.01%,delay=2ms,jitter=500us,
    /// rate=100mbit,seed=7` (any subset, any order).
    pub fn parse(text: &str) -> Result<ImpairSpec, ImpairError> {
        let mut s = ImpairSpec::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once(['=', ':'])
                .ok_or_else(|| spec_err(part, "expected NAME=VALUE (loss=1%)"))?;
            s.set(k.trim(), v.trim())?;
        }
        s.check()?;
        Ok(s)
    }

    /// Set one impairment by name.
    pub fn set(&mut self, key: &str, v: &str) -> Result<(), ImpairError> {
        match key {
            "loss" => self.loss = parse_fraction(v)?,
            "duplicate" => self.duplicate = parse_fraction(v)?,
            "reorder" => self.reorder = parse_fraction(v)?,
            "corrupt" => self.corrupt = parse_fraction(v)?,
            "delay" => self.delay_ns = parse_duration_ns(v)?,
            "jitter" => self.jitter_ns = parse_duration_ns(v)?,
            "rate" => self.rate_bps = Some(parse_rate_bps(v)?),
            "seed" => {
                self.seed = v
                    .parse()
                    .map_err(|_| spec_err(v, "a seed is a whole number from 0 to 2^64-1"))?
            }
            _ => {
                return Err(spec_err(
                    key,
                    "known: loss, duplicate, reorder, corrupt, delay, jitter, rate, seed",
                ))
            }
        }
        Ok(())
    }

    /// The whole spec makes sense: jitter around a delay no shorter than it (frames cannot be
    /// sent before they arrive).
    pub fn check(&self) -> Result<(), ImpairError> {
        if self.jitter_ns > self.delay_ns {
            return Err(spec_err(
                &format!("jitter={}ns", self.jitter_ns),
                "jitter needs a delay at least as long",
            ));
        }
        Ok(())
    }

    /// Nothing impaired (the relay only forwards).
    pub fn is_clean(&self) -> bool {
        *self
            == ImpairSpec {
                seed: self.seed,
                ..ImpairSpec::default()
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_nonsense_is_refused() {
        assert_eq!(parse_fraction("1%").unwrap(), 0.01);
        assert_eq!(parse_fraction("0.5").unwrap(), 0.5);
        assert_eq!(parse_duration_ns("2ms").unwrap(), 2_000_000);
        assert_eq!(parse_duration_ns("500us").unwrap(), 500_000);
        assert_eq!(parse_duration_ns("0").unwrap(), 0);
        assert_eq!(parse_rate_bps("100mbit").unwrap(), 100_000_000);
        for bad in ["101%", "-1%", "x", "NaN%"] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
        for bad in ["2", "2h", "-1ms", "1e20s"] {
            assert!(parse_duration_ns(bad).is_err(), "{bad}");
        }
        for bad in ["fast", "1bit", "0mbit"] {
            assert!(parse_rate_bps(bad).is_err(), "{bad}");
        }
        let s = ImpairSpec::parse("loss=1%, delay=2ms,jitter=500us,seed=7,rate=1gbit").unwrap();
        assert_eq!(s.loss, 0.01);
        assert_eq!((s.delay_ns, s.jitter_ns, s.seed), (2_000_000, 500_000, 7));
        assert_eq!(s.rate_bps, Some(1_000_000_000));
        assert!(ImpairSpec::parse("los=1%").is_err());
        assert!(ImpairSpec::parse("jitter=1ms").is_err());
    }

    #[test]
    fn fates_replay_from_the_seed_and_match_the_shares() {
        let s = ImpairSpec::parse("loss=1%,duplicate=2%,reorder=3%,corrupt=0.5%,seed=7").unwrap();
        let n = 200_000u64;
        let fates: Vec<Fate> = (0..n).map(|k| Fate::of(&s, 0, k)).collect();
        assert_eq!(
            fates,
            (0..n).map(|k| Fate::of(&s, 0, k)).collect::<Vec<_>>()
        );
        let share = |f: fn(&Fate) -> bool| fates.iter().filter(|x| f(x)).count() as f64 / n as f64;
        // Within 5 standard deviations of each share (binomial).
        for (got, p) in [
            (share(|f| f.drop), 0.01),
            (share(|f| f.duplicate), 0.02 * 0.99),
            (share(|f| f.reorder), 0.03 * 0.99 * 0.98),
            (share(|f| f.corrupt.is_some()), 0.005 * 0.99),
        ] {
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            assert!((got - p).abs() < 5.0 * sd, "{got} vs {p}");
        }
        // Another seed, another direction: other fates.
        let t = ImpairSpec { seed: 8, ..s };
        assert_ne!(
            fates,
            (0..n).map(|k| Fate::of(&t, 0, k)).collect::<Vec<_>>()
        );
        assert_ne!(
            fates,
            (0..n).map(|k| Fate::of(&s, 1, k)).collect::<Vec<_>>()
        );
        // Jitter stays within delay ± jitter.
        let j = ImpairSpec::parse("delay=2ms,jitter=500us").unwrap();
        for k in 0..10_000 {
            let d = Fate::of(&j, 0, k).delay_ns;
            assert!((1_500_000..=2_500_000).contains(&d), "{d}");
        }
    }
}
