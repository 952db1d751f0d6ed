//! What IPv4 and IPv6 share: the protocol numbers (IPv4's protocol, IPv6's next header) and
//! the version nibble.

/// IP protocol numbers (IANA).
pub mod protocol {
    /// IPv6 hop-by-hop options.
    pub const HOPOPT: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IGMP: u8 = 2;
    /// IPv4 in IP.
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    /// IPv6 in IP.
    pub const IPV6: u8 = 41;
    pub const IPV6_ROUTE: u8 = 43;
    pub const IPV6_FRAG: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const IPV6_NONXT: u8 = 59;
    pub const IPV6_OPTS: u8 = 60;
    pub const PIM: u8 = 103;
    pub const SCTP: u8 = 132;
}

/// The version nibble of the first byte of an IP header (4 or 6, or anything else).
#[inline]
pub fn version(first_byte: u8) -> u8 {
    first_byte >> 4
}
