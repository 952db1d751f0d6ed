//! pcapng writer and pcapng/pcap reader. (Owned by the capture work; stub.)

/// An error writing or reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum PcapngError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
