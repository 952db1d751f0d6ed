//! Scapy expressions over arbitrary text: the parser and the engine must answer with a value
//! or an `ExprError`, never a panic, whatever the input (seeded with the golden expressions).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Ok(e) = vethbench::frame::expr::parse(src) {
            let _ = e.build();
        }
    }
});
