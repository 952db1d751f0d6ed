//! The wire layer: what each protocol's header looks like, in one file per protocol, in the
//! spirit of smoltcp's `wire/`. Each file has
//!
//! - `field`: the byte range of every field, relative to the header's first byte
//!   (`udp::field::LENGTH == 4..6`), and the header's fixed length (`HEADER_LEN`);
//! - `Header<T: AsRef<[u8]>>`: a checked zero-copy view over the header's bytes
//!   (`Header::new_checked(&frame[o..end])`), with a getter per field and, for
//!   `T: AsMut<[u8]>`, a setter (`set_ttl`) that writes the field in place;
//! - the protocol's constants: EtherTypes ([`ethernet::ethertype`]), IP protocol numbers
//!   ([`ip::protocol`]), flag bits, option kinds, message types, well-known ports.
//!
//! Nothing here allocates, and no getter or setter panics on a view made by `new_checked`
//! (a getter documented as needing more, such as ARP's addresses, says which check to make).
//! Checksums are not computed here (`frame::csum` does that); a setter writes only its field.
//!
//! Everything that reads or writes header fields goes through this layer: the packet view's
//! walk (`frame::view`), `show()`, the summary, `-T fields`/`-T json`, and through the view the
//! display filters and the harness's matchers; `FrameTemplate`'s patching; replay's layout,
//! rewriting and checksums. A new protocol is a file here plus its entry in the view's walk
//! (and in the expression engine, to build it); docs/design.md ("A new protocol") lists every
//! file it touches.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use crate::frame::MacAddr;

pub mod arp;
pub mod erspan;
pub mod ethernet;
pub mod geneve;
pub mod gre;
pub mod icmp;
pub mod icmpv6;
pub mod igmp;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod llc;
pub mod mpls;
pub mod nsh;
pub mod pim;
pub mod sll;
pub mod tcp;
pub mod udp;
pub mod vlan;
pub mod vxlan;

#[cfg(test)]
mod tests;

/// A field's place in its header: a byte range relative to the header's first byte.
pub type Field = Range<usize>;

/// Why a header view could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the header (with its own length field's options) needs.
    #[error("truncated header: {need} bytes needed, {have} present")]
    Truncated { need: usize, have: usize },
    /// A length or version field that cannot be right (an IPv4 header length under 20).
    #[error("malformed header: {why}")]
    Malformed { why: &'static str },
}

/// `field` placed at offset `o` of a frame: the absolute byte range.
#[inline]
pub const fn at(o: usize, field: Field) -> Range<usize> {
    o + field.start..o + field.end
}

/// Checks that `have` bytes hold `need`.
#[inline]
pub(crate) fn need(have: usize, need: usize) -> Result<(), WireError> {
    if have < need {
        Err(WireError::Truncated { need, have })
    } else {
        Ok(())
    }
}

/// A value a field holds, read from and written to its bytes in network order.
pub trait Value: Sized {
    /// The value in `b` (exactly the field's bytes).
    fn get(b: &[u8]) -> Self;
    /// Writes the value into `b` (exactly the field's bytes).
    fn put(self, b: &mut [u8]);
}

impl Value for u8 {
    #[inline]
    fn get(b: &[u8]) -> Self {
        b[0]
    }
    #[inline]
    fn put(self, b: &mut [u8]) {
        b[0] = self;
    }
}

impl Value for u16 {
    #[inline]
    fn get(b: &[u8]) -> Self {
        u16::from_be_bytes([b[0], b[1]])
    }
    #[inline]
    fn put(self, b: &mut [u8]) {
        b[..2].copy_from_slice(&self.to_be_bytes());
    }
}

impl Value for u32 {
    #[inline]
    fn get(b: &[u8]) -> Self {
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    #[inline]
    fn put(self, b: &mut [u8]) {
        b[..4].copy_from_slice(&self.to_be_bytes());
    }
}

impl Value for MacAddr {
    #[inline]
    fn get(b: &[u8]) -> Self {
        let mut m = [0; 6];
        m.copy_from_slice(&b[..6]);
        MacAddr(m)
    }
    #[inline]
    fn put(self, b: &mut [u8]) {
        b[..6].copy_from_slice(&self.0);
    }
}

impl Value for Ipv4Addr {
    #[inline]
    fn get(b: &[u8]) -> Self {
        Ipv4Addr::from(u32::get(b))
    }
    #[inline]
    fn put(self, b: &mut [u8]) {
        b[..4].copy_from_slice(&self.octets());
    }
}

impl Value for Ipv6Addr {
    #[inline]
    fn get(b: &[u8]) -> Self {
        let mut a = [0; 16];
        a.copy_from_slice(&b[..16]);
        Ipv6Addr::from(a)
    }
    #[inline]
    fn put(self, b: &mut [u8]) {
        b[..16].copy_from_slice(&self.octets());
    }
}

/// The 24-bit value in the first three bytes of `b` (VXLAN's and Geneve's VNI, MPLS labels).
#[inline]
pub(crate) fn get24(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}

/// Writes the low 24 bits of `v` into the first three bytes of `b`.
#[inline]
pub(crate) fn put24(v: u32, b: &mut [u8]) {
    b[..3].copy_from_slice(&v.to_be_bytes()[1..]);
}

/// The `Header<T>` struct of a protocol file and its constructors; the file writes
/// `check_len` (what `new_checked` checks).
macro_rules! header {
    ($what:literal) => {
        #[doc = concat!("A zero-copy view of ", $what, " header.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Header<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> Header<T> {
            /// The view, unchecked: getters may panic unless [`Self::check_len`] passes.
            #[inline]
            pub const fn new_unchecked(buffer: T) -> Self {
                Header { buffer }
            }

            /// The view, once [`Self::check_len`] has passed.
            #[inline]
            pub fn new_checked(buffer: T) -> Result<Self, $crate::frame::wire::WireError> {
                let h = Self::new_unchecked(buffer);
                h.check_len()?;
                Ok(h)
            }

            /// The bytes the view was made over.
            #[inline]
            pub fn into_inner(self) -> T {
                self.buffer
            }

            /// The bytes the view was made over (header and whatever follows it).
            #[inline]
            pub fn as_bytes(&self) -> &[u8] {
                self.buffer.as_ref()
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
            /// The bytes the view was made over, writable.
            #[inline]
            pub fn as_bytes_mut(&mut self) -> &mut [u8] {
                self.buffer.as_mut()
            }
        }
    };
}
pub(crate) use header;

/// A getter and a setter per whole-byte field: `name, set_name: Type = field::RANGE;`.
macro_rules! fields {
    ($($(#[$m:meta])* $get:ident, $set:ident: $ty:ty = $range:expr;)*) => {
        impl<T: AsRef<[u8]>> Header<T> {
            $(
                $(#[$m])*
                #[inline]
                pub fn $get(&self) -> $ty {
                    <$ty as $crate::frame::wire::Value>::get(&self.buffer.as_ref()[$range])
                }
            )*
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
            $(
                #[doc = concat!("Writes [`Self::", stringify!($get), "`].")]
                #[inline]
                pub fn $set(&mut self, value: $ty) {
                    $crate::frame::wire::Value::put(value, &mut self.buffer.as_mut()[$range])
                }
            )*
        }
    };
}
pub(crate) use fields;

/// Reads bits `mask` (shifted right by `shift`) of the byte at `i`.
#[inline]
pub(crate) fn bits(b: &[u8], i: usize, mask: u8, shift: u32) -> u8 {
    (b[i] & mask) >> shift
}

/// Writes `v` into bits `mask` (shifted left by `shift`) of the byte at `i`.
#[inline]
pub(crate) fn set_bits(b: &mut [u8], i: usize, mask: u8, shift: u32, v: u8) {
    b[i] = (b[i] & !mask) | ((v << shift) & mask);
}

/// One option of a type-length-value list with IPv4's and TCP's conventions (kind 0 ends
/// the list, kind 1 is one byte of padding, every other kind has a length byte ≥ 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvOption {
    /// Offset of the option's kind byte, relative to the start of the list.
    pub offset: usize,
    pub kind: u8,
    /// The option's whole length (1 for End and NOP).
    pub len: usize,
}

/// The options of an IPv4 or TCP option list, up to End of Options List (included) or the
/// first option whose length is bad (not included).
#[derive(Debug, Clone)]
pub struct TlvOptions<'a> {
    bytes: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> TlvOptions<'a> {
    /// The options in `bytes` (the option bytes only).
    pub fn new(bytes: &'a [u8]) -> Self {
        TlvOptions {
            bytes,
            at: 0,
            done: false,
        }
    }
}

impl Iterator for TlvOptions<'_> {
    type Item = TlvOption;

    fn next(&mut self) -> Option<TlvOption> {
        if self.done || self.at >= self.bytes.len() {
            return None;
        }
        let (offset, kind) = (self.at, self.bytes[self.at]);
        let len = match kind {
            0 => {
                self.done = true;
                1
            }
            1 => 1,
            _ => match self.bytes.get(offset + 1) {
                Some(&l) if l >= 2 && offset + l as usize <= self.bytes.len() => l as usize,
                _ => {
                    self.done = true;
                    return None;
                }
            },
        };
        self.at += len;
        Some(TlvOption { offset, kind, len })
    }
}
