//! Printing frames: Scapy-like `show()`, a one-line summary like tshark's, a hexdump.
//! (Stub: owned by the frame work, which replaces these bodies.)

/// A layer-by-layer dump of an Ethernet frame in the style of Scapy's `show()`.
pub fn show(frame: &[u8]) -> String {
    hexdump(frame)
}

/// One line per frame, in the style of tshark's default output.
pub fn summary(frame: &[u8]) -> String {
    format!("{} bytes", frame.len())
}

/// A hexdump in the style of Scapy's `hexdump()`.
pub fn hexdump(frame: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in frame.chunks(16).enumerate() {
        out.push_str(&format!("{:04x} ", i * 16));
        for b in chunk {
            out.push_str(&format!(" {b:02x}"));
        }
        out.push('\n');
    }
    out
}
