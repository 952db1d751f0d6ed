//! Capture files: a pcapng writer (nanosecond IDBs, EPB flags, closing ISB), a classic pcap
//! writer (nanosecond magic), and a reader for both.
//!
//! Our own block encoder rather than pcap-file's: pcap-file 3.0.0-rc.3 builds an owned block
//! (options in a `Vec`) for every packet, which allocates per frame on the hot path; here an
//! EPB is a 28-byte header built on the stack, the frame, padding and a fixed trailer, written
//! into one 1 MiB buffer (one `write(2)` per MiB). pcap-file is still used in the unit
//! tests as an independent reader of what we write. The blocks follow
//! draft-ietf-opsawg-pcapng; timestamps are written high word first (the word order
//! pcap-file 2.0 got wrong in ISBs).
//!
//! What stays true: after [`CaptureWriter::finish`] the file is complete (every frame written
//! plus one ISB per interface); the reader yields every good frame before it reports a
//! truncated or corrupt block, and the error names the block's byte offset.

mod reader;
mod writer;

pub use reader::{CaptureReader, FileKind, ReadFrame, ReadIface};
pub use writer::{CaptureWriter, EpbFlags, Format, IfaceDesc, IfaceStats};

/// An error writing or reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum PcapngError {
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is truncated or not a valid pcapng/pcap file at `offset`.
    #[error("{path}: corrupt or truncated at byte {offset}: {why}")]
    Corrupt {
        path: String,
        offset: u64,
        why: String,
    },
}
