//! Display filters (`read -Y`, a scenario's `fields:` conditions) over arbitrary text: parsing,
//! type-checking and running one on a frame answer or refuse, never panic or overflow the
//! stack. `ff HI LO TEXT` wraps TEXT in `HI LO` levels of `(`, `!` and `not ` in turn (deep
//! nesting, which random text never reaches); the rest is the filter as written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vethbench::frame::filter::Filter;

/// Ether / IPv4 198.18.0.1 -> 198.18.0.2 / UDP 1234 -> 9 / "hi".
const FRAME: [u8; 44] = [
    0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, //
    0x45, 0, 0, 30, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, //
    0x04, 0xd2, 0, 9, 0, 10, 0, 0, b'h', b'i',
];

fn check(src: &str) {
    if let Ok(f) = Filter::parse(src) {
        let _ = f.matches_frame(&FRAME);
        let _ = f.matches_frame(&FRAME[..20]);
    }
}

fuzz_target!(|data: &[u8]| {
    if let [0xff, hi, lo, rest @ ..] = data {
        let Ok(mid) = std::str::from_utf8(rest) else {
            return;
        };
        let depth = u16::from_be_bytes([*hi, *lo]) as usize;
        let open = ["(", "!", "not "];
        let mut src = String::new();
        for i in 0..depth {
            src.push_str(open[i % 3]);
        }
        src.push_str(mid);
        for i in (0..depth).rev() {
            if i % 3 == 0 {
                src.push(')');
            }
        }
        check(&src);
        return;
    }
    if let Ok(src) = std::str::from_utf8(data) {
        check(src);
    }
});
