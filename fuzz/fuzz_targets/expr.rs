//! Scapy expressions over arbitrary text: the parser and the engine must answer with a value
//! or an `ExprError`, never a panic or a stack overflow, whatever the input (seeded with the
//! golden expressions).
//!
//! Input starting with byte 0xff is a nesting case (issue 21: 8000 parentheses overflowed the
//! stack, which random bytes never reach): byte 1 picks an opener (`(`, `[`, `f(`, `(1,`,
//! `IP(options=[`), bytes 2..4 a depth up to 65535, and the rest is the text in the middle,
//! wrapped in that many openers and their closers.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NEST: [(&str, &str); 5] = [
    ("(", ")"),
    ("[", "]"),
    ("f(", ")"),
    ("(1,", ")"),
    ("IP(options=[", "])"),
];

fn check(src: &str) {
    if let Ok(e) = vethbench::frame::expr::parse(src) {
        let _ = e.build();
    }
}

fuzz_target!(|data: &[u8]| {
    if let [0xff, pick, hi, lo, rest @ ..] = data {
        let Ok(mid) = std::str::from_utf8(rest) else {
            return;
        };
        let (open, close) = NEST[*pick as usize % NEST.len()];
        let depth = u16::from_be_bytes([*hi, *lo]) as usize;
        let src = format!(
            "Ether()/{}{mid}{}",
            open.repeat(depth),
            close.repeat(depth)
        );
        check(&src);
        return;
    }
    if let Ok(src) = std::str::from_utf8(data) {
        check(src);
    }
});
