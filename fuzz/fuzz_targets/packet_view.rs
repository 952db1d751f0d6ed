//! The packet view over arbitrary bytes: everything that reads a frame's headers (the view's
//! layout and fields, `show()`, the one-line summary, the hexdump, every `-T fields` field)
//! must never panic, whatever the bytes. `frame::read_every_way` is the one entry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vethbench::frame::read_every_way(data);
});
