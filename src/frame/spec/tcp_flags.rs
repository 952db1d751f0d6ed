//! [`TcpFlags`]: TCP flags as Scapy spells them, one letter per bit.

use std::fmt;
use std::str::FromStr;

use crate::frame::FrameError;

/// TCP flags, as Scapy spells them: one letter per bit, `FSRPAUECN` from bit 0 to bit 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// Scapy's letters, bit 0 first.
    pub const LETTERS: &'static str = "FSRPAUECN";
    pub const FIN: TcpFlags = TcpFlags(0x001);
    pub const SYN: TcpFlags = TcpFlags(0x002);
    pub const RST: TcpFlags = TcpFlags(0x004);
    pub const PSH: TcpFlags = TcpFlags(0x008);
    pub const ACK: TcpFlags = TcpFlags(0x010);
    pub const URG: TcpFlags = TcpFlags(0x020);
    pub const ECE: TcpFlags = TcpFlags(0x040);
    pub const CWR: TcpFlags = TcpFlags(0x080);
    pub const NS: TcpFlags = TcpFlags(0x100);

    /// Scapy letters in any order (`S`, `SA`, `FPU`), either case; an empty string is no flag.
    /// The one TCP-flag parser: `--flags` and the engine's `TCP(flags=...)` both call it.
    /// `Err`: the first character that is not a letter.
    pub fn parse_letters(s: &str) -> Result<TcpFlags, char> {
        let mut bits = 0u16;
        for c in s.chars() {
            let i = Self::LETTERS.find(c.to_ascii_uppercase()).ok_or(c)?;
            bits |= 1 << i;
        }
        Ok(TcpFlags(bits))
    }

    /// True if every bit of `other` is set.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl Default for TcpFlags {
    /// Scapy's default: `S`.
    fn default() -> Self {
        TcpFlags::SYN
    }
}

impl FromStr for TcpFlags {
    type Err = FrameError;

    /// [`TcpFlags::parse_letters`].
    fn from_str(s: &str) -> Result<Self, FrameError> {
        Self::parse_letters(s).map_err(|c| {
            FrameError::invalid(
                "TCP flags",
                s,
                format!("'{c}' is not one of Scapy's letters {}", Self::LETTERS),
            )
        })
    }
}

impl fmt::Display for TcpFlags {
    /// Letters in bit order, as Scapy prints them (`FPU`, `SA`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in Self::LETTERS.chars().enumerate() {
            if self.0 & (1 << i) != 0 {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_flags_scapy_letters() {
        assert_eq!("S".parse::<TcpFlags>().unwrap(), TcpFlags::SYN);
        assert_eq!("SA".parse::<TcpFlags>().unwrap().0, 0x12);
        assert_eq!("AS".parse::<TcpFlags>().unwrap().to_string(), "SA");
        assert_eq!("FPU".parse::<TcpFlags>().unwrap().0, 0x29);
        assert_eq!("FSRPAUECN".parse::<TcpFlags>().unwrap().0, 0x1ff);
        assert_eq!("".parse::<TcpFlags>().unwrap().0, 0);
        let e = "SX".parse::<TcpFlags>().unwrap_err().to_string();
        assert!(e.contains("'X'"), "{e}");
    }
}
