//! The capture reader over arbitrary bytes: open (pcapng or pcap) and read every frame to the
//! end. It must never panic, and an error must be one line (the CLI prints it as is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vethbench::pcapng::CaptureReader;

fuzz_target!(|data: &[u8]| {
    let mut r = match CaptureReader::new(data, "fuzz") {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.to_string().contains('\n'), "{e}");
            return;
        }
    };
    let _ = (r.kind(), r.interfaces().len());
    while let Some(f) = r.next() {
        match f {
            Ok(f) => {
                assert!(f.data.len() <= data.len());
                let _ = (f.iface, f.ts_ns, f.orig_len, f.flags, f.linktype);
            }
            Err(e) => {
                assert!(!e.to_string().contains('\n'), "{e}");
                break;
            }
        }
    }
    let _ = r.interfaces().len();
});
