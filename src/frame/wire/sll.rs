//! Linux cooked captures (`tcpdump -i any`): SLL (link type 113, a 16-byte header ending in
//! the protocol) and SLL2 (link type 276, a 20-byte header starting with it). Only the protocol
//! field is read: what follows it is an Ethernet payload of that EtherType.

use super::{fields, header, need, WireError};

/// Field ranges of SLL (v1).
pub mod field {
    use crate::frame::wire::Field;
    pub const PROTOCOL: Field = 14..16;
}

/// Field ranges of SLL2.
pub mod field2 {
    use crate::frame::wire::Field;
    pub const PROTOCOL: Field = 0..2;
}

/// SLL's header length.
pub const HEADER_LEN: usize = 16;
/// SLL2's header length.
pub const HEADER_LEN_V2: usize = 20;

header!("a Linux cooked (SLL)");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }
}

fields! {
    /// The EtherType of what follows.
    protocol, set_protocol: u16 = field::PROTOCOL;
}

/// SLL2's header.
pub mod v2 {
    use super::super::{fields, header, need, WireError};

    header!("a Linux cooked v2 (SLL2)");

    impl<T: AsRef<[u8]>> Header<T> {
        /// At least [`super::HEADER_LEN_V2`] bytes.
        pub fn check_len(&self) -> Result<(), WireError> {
            need(self.buffer.as_ref().len(), super::HEADER_LEN_V2)
        }
    }

    fields! {
        /// The EtherType of what follows.
        protocol, set_protocol: u16 = super::field2::PROTOCOL;
    }
}
