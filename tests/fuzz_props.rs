//! The capture reader over arbitrary bytes, in every `cargo test` (the cargo-fuzz targets in
//! `fuzz/` need nightly; these need nothing): random bytes, random bytes behind a real pcap or
//! pcapng header, and the golden captures of `fixtures/captures` cut short and with bits
//! flipped. Opening and reading to the end never panics, always ends, and every error is one
//! line naming the file (the CLI prints it as is).

use proptest::prelude::*;
use vethbench::pcapng::CaptureReader;

/// A golden capture's bytes.
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Open `bytes` and read every frame; returns how many were read before the end or the error.
/// Panics (fails the property) on an error of more than one line, or one that does not name
/// the file, or a reader that yields more frames than the bytes can hold.
fn read_all(bytes: &[u8]) -> usize {
    let one_line = |e: &dyn std::fmt::Display| {
        let text = e.to_string();
        assert!(!text.contains('\n'), "not one line: {text:?}");
        assert!(
            text.contains("fuzz.cap"),
            "does not name the file: {text:?}"
        );
    };
    let mut r = match CaptureReader::new(bytes, "fuzz.cap") {
        Ok(r) => r,
        Err(e) => {
            one_line(&e);
            return 0;
        }
    };
    let mut frames = 0;
    while let Some(f) = r.next() {
        match f {
            Ok(f) => {
                assert!(f.data.len() <= bytes.len());
                // Every frame takes at least a 16-byte header (pcap) or a 32-byte EPB.
                frames += 1;
                assert!(
                    frames * 12 <= bytes.len(),
                    "{frames} frames from {} bytes",
                    bytes.len()
                );
            }
            Err(e) => {
                one_line(&e);
                break;
            }
        }
    }
    // After the end or an error, the reader yields nothing more (its doc says so).
    assert!(
        r.next().is_none(),
        "the reader went on after its end or an error"
    );
    frames
}

/// Each golden capture is read whole, error-free (the properties below start from them).
#[test]
fn golden_captures_read_whole() {
    for name in ["dumpcap-vethY.pcapng", "tcpdump-vethY.pcap"] {
        assert_eq!(read_all(&fixture(name)), 4, "{name}");
    }
}

/// The headers a real file starts with, so random bytes behind them reach the block parsers.
const HEADERS: [&[u8]; 4] = [
    // pcapng SHB start: type, length 28, byte-order magic (little endian), version 1.0.
    &[
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
    ],
    // The same, big endian.
    &[
        0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0, 0,
    ],
    // pcap, µs, little endian: magic, version 2.4, zone, sigfigs, snaplen 65535, Ethernet.
    &[
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ],
    // pcap, ns, big endian.
    &[
        0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1,
    ],
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        read_all(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_real_header(
        header in 0..HEADERS.len(),
        rest in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut bytes = HEADERS[header].to_vec();
        bytes.extend_from_slice(&rest);
        read_all(&bytes);
    }

    /// A golden capture cut at any length: the frames before the cut are read, then an error
    /// (or a clean end exactly at a block boundary).
    #[test]
    fn golden_capture_truncated(pcapng in any::<bool>(), cut in any::<prop::sample::Index>()) {
        let name = if pcapng { "dumpcap-vethY.pcapng" } else { "tcpdump-vethY.pcap" };
        let bytes = fixture(name);
        let n = read_all(&bytes[..cut.index(bytes.len())]);
        prop_assert!(n <= 4);
    }

    /// A golden capture with up to 8 bits flipped anywhere (lengths, magics, options...).
    #[test]
    fn golden_capture_with_bits_flipped(
        pcapng in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..8),
    ) {
        let name = if pcapng { "dumpcap-vethY.pcapng" } else { "tcpdump-vethY.pcap" };
        let mut bytes = fixture(name);
        for (at, bit) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        read_all(&bytes);
    }
}
