//! Hex payloads: `de ad:BE ef`, `0x0102`.

use crate::frame::FrameError;

/// Parse a hex payload: pairs of hex digits, optionally separated by spaces or `:`.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, FrameError> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !matches!(b, b' ' | b':' | b'\n' | b'\t'))
        .collect();
    let digits = digits.strip_prefix(b"0x").unwrap_or(&digits[..]).to_vec();
    if !digits.len().is_multiple_of(2) {
        return Err(FrameError::invalid(
            "hex payload",
            s,
            "odd number of hex digits",
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| {
                    FrameError::invalid(
                        "hex payload",
                        s,
                        format!("'{}' is not hex", String::from_utf8_lossy(pair)),
                    )
                })
        })
        .collect()
}
