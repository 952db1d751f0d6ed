//! Where the frames come from: the capture file read as it is replayed (reopened for each
//! loop), or loaded into memory first (`--preload`, and standard input replayed in a loop).
//!
//! What stays true: the frames of a truncated or corrupt file are all replayed up to the bad
//! block; the error (naming its byte offset) comes after them.

use std::fs::File;
use std::io::BufReader;

use crate::pcapng::{CaptureReader, PcapngError};

/// A file reader as the CLI opens it (a path, or standard input).
pub type Reader = CaptureReader<BufReader<File>>;

/// One frame of the file.
#[derive(Debug, Clone, Copy)]
pub struct SrcFrame<'a> {
    pub ts_ns: u64,
    pub linktype: u16,
    pub data: &'a [u8],
    pub orig_len: u32,
}

/// The frames of a capture file.
#[derive(Debug)]
pub enum Source {
    /// Read as replayed; `reopen` is the path for the next loop (None: standard input).
    Stream {
        reader: Reader,
        reopen: Option<String>,
    },
    /// Every frame in one buffer.
    Memory {
        bytes: Vec<u8>,
        /// (offset in `bytes`, length, timestamp, link type, original length) per frame.
        index: Vec<(usize, usize, u64, u16, u32)>,
        next: usize,
        /// The error that ended the loading, reported after the frames before it.
        error: Option<PcapngError>,
        error_reported: bool,
    },
}

impl Source {
    /// Read `reader` as the replay goes; `reopen` lets a loop start the file again.
    pub fn stream(reader: Reader, reopen: Option<String>) -> Source {
        Source::Stream { reader, reopen }
    }

    /// Load every frame of `reader` into memory (an error is kept for after the frames).
    pub fn preload(mut reader: Reader) -> Source {
        let mut bytes = Vec::new();
        let mut index = Vec::new();
        let mut error = None;
        while let Some(f) = reader.next() {
            match f {
                Ok(f) => {
                    index.push((
                        bytes.len(),
                        f.data.len(),
                        f.ts_ns_u64(),
                        f.linktype,
                        f.orig_len,
                    ));
                    bytes.extend_from_slice(f.data);
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        Source::Memory {
            bytes,
            index,
            next: 0,
            error,
            error_reported: false,
        }
    }

    /// Whether [`Source::rewind`] can start over.
    pub fn can_rewind(&self) -> bool {
        match self {
            Source::Stream { reopen, .. } => reopen.is_some(),
            Source::Memory { .. } => true,
        }
    }

    /// Start over from the first frame.
    pub fn rewind(&mut self) -> Result<(), PcapngError> {
        match self {
            Source::Stream { reader, reopen } => {
                if let Some(p) = reopen {
                    *reader = CaptureReader::open(p)?;
                }
            }
            Source::Memory {
                next,
                error_reported,
                ..
            } => {
                *next = 0;
                *error_reported = false;
            }
        }
        Ok(())
    }

    /// The next frame; None at the end of the file.
    pub fn next_frame(&mut self) -> Option<Result<SrcFrame<'_>, PcapngError>> {
        match self {
            Source::Stream { reader, .. } => reader.next().map(|r| {
                r.map(|f| SrcFrame {
                    ts_ns: f.ts_ns_u64(),
                    linktype: f.linktype,
                    data: f.data,
                    orig_len: f.orig_len,
                })
            }),
            Source::Memory {
                bytes,
                index,
                next,
                error,
                error_reported,
            } => match index.get(*next) {
                Some(&(off, len, ts_ns, linktype, orig_len)) => {
                    *next += 1;
                    Some(Ok(SrcFrame {
                        ts_ns,
                        linktype,
                        data: &bytes[off..off + len],
                        orig_len,
                    }))
                }
                None if !*error_reported => {
                    *error_reported = true;
                    error.take().map(Err)
                }
                None => None,
            },
        }
    }

    /// The link types of the interfaces described so far (pcapng IDBs read up to now).
    pub fn linktypes(&self) -> Vec<u16> {
        match self {
            Source::Stream { reader, .. } => {
                reader.interfaces().iter().map(|i| i.linktype).collect()
            }
            Source::Memory { index, .. } => {
                let mut v: Vec<u16> = index.iter().map(|e| e.3).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        }
    }
}
