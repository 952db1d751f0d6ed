//! Frame specs to bytes, and bytes back to a Scapy-like dump. (Owned by the frame work; stub.)

pub mod fields;
pub mod show;

pub use show::{hexdump, show, summary};

/// An error building or parsing a frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("invalid {what} '{input}': {why}")]
    Invalid {
        what: &'static str,
        input: String,
        why: String,
    },
}
