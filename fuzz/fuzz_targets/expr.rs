//! Scapy expressions over arbitrary text: the parser and the engine must answer with a value
//! or an `ExprError`, never a panic or a stack overflow, whatever the input (seeded with the
//! golden expressions; `fuzz/expr.dict` gives libFuzzer the tokens, brackets included).
//!
//! Nesting (issue 21: 8000 parentheses overflowed the stack, which random bytes never reach)
//! has two structured modes, wrapping the text in the middle in openers and their closers:
//! - `ff PICK HI LO TEXT`: one opener (`PICK` of [`NEST`]), `HI LO` levels (up to 65535);
//! - `fe HI LO N PAT[N] TEXT`: level `i` opens with `PAT[i % N]` of [`NEST`], so brackets,
//!   calls and tuples alternate (a limit kept per kind of bracket would miss that).
#![no_main]

use libfuzzer_sys::fuzz_target;

const NEST: [(&str, &str); 7] = [
    ("(", ")"),
    ("[", "]"),
    ("f(", ")"),
    ("(1,", ")"),
    ("IP(options=[", "])"),
    ("Raw(load=", ")"),
    ("[b'x',", "]"),
];

fn check(src: &str) {
    if let Ok(e) = vethbench::frame::expr::parse(src) {
        let _ = e.build();
    }
}

/// `Ether()/` and `mid` inside `depth` levels whose openers `pick(level)` chooses.
fn nested(depth: usize, mid: &str, pick: impl Fn(usize) -> usize) -> String {
    let mut src = String::from("Ether()/");
    for i in 0..depth {
        src.push_str(NEST[pick(i) % NEST.len()].0);
    }
    src.push_str(mid);
    for i in (0..depth).rev() {
        src.push_str(NEST[pick(i) % NEST.len()].1);
    }
    src
}

fuzz_target!(|data: &[u8]| {
    match data {
        [0xff, pick, hi, lo, rest @ ..] => {
            if let Ok(mid) = std::str::from_utf8(rest) {
                let depth = u16::from_be_bytes([*hi, *lo]) as usize;
                check(&nested(depth, mid, |_| *pick as usize));
            }
        }
        [0xfe, hi, lo, n, rest @ ..] if *n > 0 && rest.len() >= *n as usize => {
            let (pat, rest) = rest.split_at(*n as usize);
            if let Ok(mid) = std::str::from_utf8(rest) {
                let depth = u16::from_be_bytes([*hi, *lo]) as usize;
                check(&nested(depth, mid, |i| pat[i % pat.len()] as usize));
            }
        }
        _ => {
            if let Ok(src) = std::str::from_utf8(data) {
                check(src);
            }
        }
    }
});
