//! The packet view over arbitrary bytes: everything that reads a frame's headers (`show()`, the
//! one-line summary, the hexdump, every `-T fields` field, the harness's dissector and layout)
//! must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vethbench::frame::fields::{FieldSet, FIELD_NAMES};
use vethbench::frame::show;

fuzz_target!(|data: &[u8]| {
    let _ = show::show(data);
    let mut line = String::new();
    show::write_summary(&mut line, data);
    let _ = show::hexdump(data);
    let fields = FieldSet::parse(&FIELD_NAMES).expect("every field name parses");
    line.clear();
    fields.write_line(&mut line, data, data.len() as u32, 0);
    assert!(!line.contains('\n'), "{line}");
    let _ = vethbench::harness::dissect::dissect(data);
    let _ = vethbench::harness::dissect::layout(data);
});
