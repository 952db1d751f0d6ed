//! Python's and Scapy's ways of printing values: a `load` (`repr(plain_str(x))`), a `bytes`
//! literal (`repr(b)`), IPv6 addresses (glibc's `inet_ntop`), port names from `/etc/services`.

use std::fmt::Write as _;

use super::unprintable::UNPRINTABLE;

/// Bytes as Scapy 2.5's show() prints a `load`: `repr(plain_str(x))`, that is the bytes
/// decoded as UTF-8 with `backslashreplace`, then Python's `repr` of that string. So valid
/// UTF-8 shows as its characters (`'é'`), and a byte that is not UTF-8 shows as `\\xff`
/// (the backslash of `backslashreplace`, doubled by `repr`), unlike `repr(bytes)`'s `\xff`.
pub(crate) fn py_bytes(data: &[u8]) -> String {
    let has = |c: u8| data.contains(&c);
    let quote = if has(b'\'') && !has(b'"') { '"' } else { '\'' };
    let mut s = String::with_capacity(data.len() + 2);
    s.push(quote);
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                _ if c == quote => {
                    s.push('\\');
                    s.push(quote);
                }
                _ if py_printable(c) => s.push(c),
                _ if (c as u32) < 0x100 => {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                }
                _ if (c as u32) < 0x10000 => {
                    let _ = write!(s, "\\u{:04x}", c as u32);
                }
                _ => {
                    let _ = write!(s, "\\U{:08x}", c as u32);
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\\\x{b:02x}");
        }
    }
    s.push(quote);
    s
}

/// Python's `repr(b)` of a `bytes` value, `b'...'`: printable ASCII as is, `\\`, `\t`, `\n`,
/// `\r`, the quote escaped, every other byte `\xNN` (one backslash).
pub(crate) fn py_bytes_lit(data: &[u8]) -> String {
    let has = |c: u8| data.contains(&c);
    let quote = if has(b'\'') && !has(b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut s = String::with_capacity(data.len() + 3);
    s.push('b');
    s.push(quote as char);
    for &b in data {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            _ if b == quote => {
                s.push('\\');
                s.push(b as char);
            }
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push(quote as char);
    s
}

/// Python 3.11's `str.isprintable()` for one character: ASCII 0x20..=0x7e, and beyond ASCII
/// every code point outside [`UNPRINTABLE`] (generated from Python itself).
fn py_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let u = c as u32;
    let i = UNPRINTABLE.partition_point(|&(_, hi)| hi < u);
    !matches!(UNPRINTABLE.get(i), Some(&(lo, _)) if lo <= u)
}

/// An IPv6 address as Scapy prints it (glibc's `inet_ntop`): an IPv4-compatible address
/// (`::1.2.3.4`) and an IPv4-mapped one (`::ffff:1.2.3.4`) end in dotted decimal.
pub(crate) struct Ip6(pub(crate) std::net::Ipv6Addr);

impl std::fmt::Display for Ip6 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.segments();
        let o = self.0.octets();
        // glibc: the longest run of zeros is exactly the first 6 words (or 5, then ffff).
        let compat = s[..6] == [0; 6] && s[6] != 0;
        let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
        if compat || mapped {
            let v4 = std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15]);
            return write!(f, "::{}{v4}", if mapped { "ffff:" } else { "" });
        }
        write!(f, "{}", self.0)
    }
}

/// An IPv6 address field as Scapy's `IP6Field` shows it: [`Ip6`], then for a Teredo address
/// (2001::/32) `[Teredo srv: SERVER cli: ADDR:PORT]`, for a 6to4 one (2002::/16)
/// `[6to4 GW: ADDR]`.
pub(crate) struct Ip6Field(pub(crate) std::net::Ipv6Addr);

impl std::fmt::Display for Ip6Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = self.0.octets();
        let v4 = |b: &[u8], x: u8| std::net::Ipv4Addr::new(b[0] ^ x, b[1] ^ x, b[2] ^ x, b[3] ^ x);
        write!(f, "{}", Ip6(self.0))?;
        if o[..4] == [0x20, 0x01, 0, 0] {
            let port = u16::from_be_bytes([o[10] ^ 0xff, o[11] ^ 0xff]);
            write!(
                f,
                " [Teredo srv: {} cli: {}:{port}]",
                v4(&o[4..8], 0),
                v4(&o[12..16], 0xff)
            )
        } else if o[..2] == [0x20, 0x02] {
            write!(f, " [6to4 GW: {}]", v4(&o[2..6], 0))
        } else {
            Ok(())
        }
    }
}

/// Port names as Scapy gives them: from `/etc/services` (read once, lazily; numbers only
/// when the file is absent), the name of the first line for the port and protocol.
pub(crate) fn port_name(p: u16, udp: bool) -> String {
    static TCP: std::sync::OnceLock<[std::collections::HashMap<u16, String>; 2]> =
        std::sync::OnceLock::new();
    let tables = TCP.get_or_init(|| {
        let mut t = [
            std::collections::HashMap::new(),
            std::collections::HashMap::new(),
        ];
        if let Ok(text) = std::fs::read_to_string("/etc/services") {
            parse_services(&text, &mut t);
        }
        t
    });
    match tables[usize::from(udp)].get(&p) {
        Some(n) => n.clone(),
        None => p.to_string(),
    }
}

/// `name port/proto [aliases]` lines, read as Scapy's `load_services` does: a dict from name
/// to port per protocol (a later line for the same name changes its port, not its place),
/// then port to name with the last name of a port winning.
fn parse_services(text: &str, t: &mut [std::collections::HashMap<u16, String>; 2]) {
    let mut by_name: [Vec<(String, u16)>; 2] = [Vec::new(), Vec::new()];
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        let (Some(name), Some(pp)) = (w.next(), w.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let i = match proto {
            "tcp" => 0,
            "udp" => 1,
            _ => continue,
        };
        // Scapy makes names identifiers: `ftp-data` is `ftp_data`.
        let name = name.replace('-', "_");
        match by_name[i].iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 = port,
            None => by_name[i].push((name, port)),
        }
    }
    for (i, names) in by_name.into_iter().enumerate() {
        for (name, port) in names {
            t[i].insert(port, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Scapy 2.5.0 prints for these ports (`TCP(sport=p).sprintf('%TCP.sport%')`, same
    /// for UDP) with Debian 12's netbase /etc/services.
    #[test]
    fn port_names_from_etc_services_like_scapy() {
        if !std::path::Path::new("/etc/services").exists() {
            assert_eq!(port_name(22, false), "22");
            return;
        }
        for (p, tcp, udp) in [
            (7, "echo", "echo"),
            (20, "ftp_data", "20"),
            (21, "ftp", "fsp"),
            (22, "ssh", "22"),
            (53, "domain", "domain"),
            (80, "http", "80"),
            (123, "123", "ntp"),
            (443, "https", "https"),
            (514, "shell", "syslog"),
            (2222, "2222", "2222"),
            (5353, "5353", "mdns"),
            (8080, "http_alt", "8080"),
        ] {
            assert_eq!(port_name(p, false), tcp, "tcp {p}");
            assert_eq!(port_name(p, true), udp, "udp {p}");
        }
    }

    #[test]
    fn ipv6_compatible_and_mapped_like_scapy() {
        let f = |s: &str| Ip6(s.parse().unwrap()).to_string();
        assert_eq!(f("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(f("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(f("::1"), "::1");
        assert_eq!(f("::"), "::");
        assert_eq!(f("2001:2::1"), "2001:2::1");
    }

    /// Scapy 2.5.0: `IPv6(src=A).show()` prints these.
    #[test]
    fn teredo_and_6to4_like_scapy() {
        let f = |s: &str| Ip6Field(s.parse().unwrap()).to_string();
        assert_eq!(f("2002:c612:1::1"), "2002:c612:1::1 [6to4 GW: 198.18.0.1]");
        assert_eq!(
            f("2001:0:c612:1:0:f0f0:39ed:fffd"),
            "2001:0:c612:1:0:f0f0:39ed:fffd [Teredo srv: 198.18.0.1 cli: 198.18.0.2:3855]"
        );
        assert_eq!(f("2001:2::1"), "2001:2::1");
    }

    /// Python 3.11: `repr(bytes.fromhex(HEX))`.
    #[test]
    fn python_bytes_literal() {
        for (hex, py) in [
            ("", "b''"),
            ("020405b4", r"b'\x02\x04\x05\xb4'"),
            ("27", r#"b"'""#),
            ("2722", r#"b'\'"'"#),
            ("5c0a090d7f41", r"b'\\\n\t\r\x7fA'"),
        ] {
            let data = crate::frame::parse_hex(hex).unwrap();
            assert_eq!(py_bytes_lit(&data), py, "{hex}");
        }
    }

    #[test]
    fn python_bytes_repr() {
        assert_eq!(py_bytes(b"123"), "'123'");
        assert_eq!(py_bytes(b"a'b"), "\"a'b\"");
        assert_eq!(py_bytes(b"a'\"b"), "'a\\'\"b'");
        assert_eq!(py_bytes(&[0, 0x7f, b'\\', b'\n']), "'\\x00\\x7f\\\\\\n'");
        // What Scapy 2.5.0 (Debian python3-scapy) prints as `load` for these payloads:
        // `Ether(raw(Ether()/IP()/UDP(sport=1111, dport=2222)/Raw(bytes.fromhex(HEX)))).show()`.
        for (hex, scapy) in [
            ("ff", r"'\\xff'"),
            ("00ff", r"'\x00\\xff'"),
            ("27ff", r#""'\\xff""#),
            ("807f0a", r"'\\x80\x7f\n'"),
            ("0001ff275c", r#""\x00\x01\\xff'\\""#),
            ("c3a9", "'\u{e9}'"),
            ("61c3a9ff", "'a\u{e9}\\\\xff'"),
            ("c2a0", r"'\xa0'"),
            ("e282ac22", "'\u{20ac}\"'"),
            ("f09f9880", "'\u{1f600}'"),
            ("e2808b", r"'\u200b'"),
            ("c3", r"'\\xc3'"),
            ("2227", r#"'"\''"#),
            // Unassigned (U+0378), format (U+0600), unassigned in a plane (U+1FFFE): `\u`/`\U`.
            ("cdb8d78d", r"'\u0378\u05cd'"),
            ("d880", r"'\u0600'"),
            ("f09fbfbe", r"'\U0001fffe'"),
        ] {
            let data = crate::frame::parse_hex(hex).unwrap();
            assert_eq!(py_bytes(&data), scapy, "{hex}");
        }
    }
}
