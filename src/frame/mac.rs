//! [`MacAddr`]: the one place a MAC address is parsed (`02:00:00:00:00:01`, also `-` separated)
//! and printed (lower-case hex, `:` separated). `show`, `-T fields`, the packet view's field
//! values, `link` and the CLI all go through it.
//!
//! Printing goes through [`fmt::Display`], so `write!(line, "{mac}")` into a reused `String`
//! allocates nothing.

use std::fmt;
use std::str::FromStr;

use super::FrameError;

/// An Ethernet MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// ff:ff:ff:ff:ff:ff, Scapy's destination when none is given.
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    /// The six bytes.
    pub fn octets(self) -> [u8; 6] {
        self.0
    }
}

impl From<[u8; 6]> for MacAddr {
    fn from(b: [u8; 6]) -> Self {
        MacAddr(b)
    }
}

impl FromStr for MacAddr {
    type Err = FrameError;

    /// Six hex bytes separated by `:` or `-` (`02:00:00:00:00:01`).
    fn from_str(s: &str) -> Result<Self, FrameError> {
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(FrameError::invalid(
                "MAC address",
                s,
                "expected six hex bytes separated by ':' or '-' (e.g. 02:00:00:00:00:01)",
            ));
        }
        let mut mac = [0u8; 6];
        for (byte, part) in mac.iter_mut().zip(parts) {
            if part.is_empty() || part.len() > 2 {
                return Err(FrameError::invalid(
                    "MAC address",
                    s,
                    format!("'{part}' is not one hex byte"),
                ));
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| {
                FrameError::invalid("MAC address", s, format!("'{part}' is not hex"))
            })?;
        }
        Ok(MacAddr(mac))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_parsing() {
        assert_eq!(
            "22:11:11:11:11:aB".parse::<MacAddr>().unwrap().0,
            [0x22, 0x11, 0x11, 0x11, 0x11, 0xab]
        );
        assert_eq!(
            "02-00-00-00-00-01".parse::<MacAddr>().unwrap(),
            MacAddr([2, 0, 0, 0, 0, 1])
        );
        for bad in [
            "",
            "22:11:11:11:11",
            "22:11:11:11:11:11:11",
            "zz:11:11:11:11:11",
            "022:1:1:1:1:1",
            "2::1:1:1:1",
        ] {
            let e = bad.parse::<MacAddr>().unwrap_err();
            assert!(e.to_string().contains("invalid MAC address"), "{bad}: {e}");
        }
        assert_eq!(
            MacAddr([2, 0, 0, 0, 0xab, 1]).to_string(),
            "02:00:00:00:ab:01"
        );
    }
}
