//! "The only frame received equals this one": a capture file (pcap or pcapng, as tcpdump,
//! dumpcap or `vethbench capture` wrote it) read with pcap-file, a reader independent of
//! vethbench's own.

use std::path::Path;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

/// Every frame of the capture at `path`, in file order, as (original length, captured bytes).
pub fn frames_in(path: impl AsRef<Path>) -> Vec<(u32, Vec<u8>)> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut r = PcapNgReader::new(&bytes[..])
            .unwrap_or_else(|e| panic!("{}: not a pcapng file: {e}", path.display()));
        while let Some(block) = r.next_block() {
            match block.unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
                (Block::EnhancedPacket(p), _) => out.push((p.original_len, p.data.into_owned())),
                (Block::SimplePacket(p), _) => out.push((p.original_len, p.data.into_owned())),
                (Block::Packet(p), _) => out.push((p.original_len, p.data.into_owned())),
                _ => {}
            }
        }
    } else {
        let mut r = PcapReader::new(&bytes[..])
            .unwrap_or_else(|e| panic!("{}: not a pcap file: {e}", path.display()));
        while let Some(p) = r.next_packet() {
            let p = p.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((p.orig_len(), p.data().to_vec()));
        }
    }
    out
}

/// The capture at `path` holds exactly one frame, whole (not cut by a snap length), and it is
/// `want` byte for byte. On a mismatch both frames are printed in hex.
pub fn assert_only_frame(path: impl AsRef<Path>, want: &[u8]) {
    let path = path.as_ref();
    let frames = frames_in(path);
    assert_eq!(
        frames.len(),
        1,
        "{}: {} frames, want exactly one",
        path.display(),
        frames.len()
    );
    let (orig_len, got) = &frames[0];
    assert_eq!(
        *orig_len as usize,
        got.len(),
        "{}: the frame was cut",
        path.display()
    );
    assert_eq!(
        hex(got),
        hex(want),
        "{}: the frame differs from the one sent",
        path.display()
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
