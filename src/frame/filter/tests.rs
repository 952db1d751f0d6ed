//! Unit tests of the filter engine on hand-made frames (Scapy-equivalent bytes, one comment
//! per field); the comparison with tshark itself is `tests/filter_tshark.rs`.

use super::*;

/// Ether(dst=02:00:00:00:00:02, src=02:00:00:00:00:01)/IP(src=198.18.0.1, dst=198.18.1.1,
/// ttl=64, flags=DF)/UDP(sport=40001, dport=443)/"abcd"
fn udp() -> Vec<u8> {
    let mut f = vec![
        2, 0, 0, 0, 0, 2, // dst
        2, 0, 0, 0, 0, 1, // src
        0x08, 0x00, // IPv4
        0x45, 0, 0, 32, // v4 ihl 5, tos, total length 32
        0, 1, 0x40, 0, // id 1, DF
        64, 17, 0, 0, // ttl, udp, checksum (unchecked)
        198, 18, 0, 1, // src
        198, 18, 1, 1, // dst
        0x9c, 0x41, 0x01, 0xbb, // 40001 -> 443
        0, 12, 0, 0, // length 12, checksum
    ];
    f.extend_from_slice(b"abcd");
    f
}

fn m(flt: &str, f: &[u8]) -> bool {
    let meta = FrameMeta {
        number: 7,
        interface_name: Some("vethA"),
        ..FrameMeta::default()
    };
    Filter::parse(flt)
        .unwrap_or_else(|e| panic!("{flt}: {e}"))
        .matches(f, &meta)
}

#[test]
fn operators_and_fields() {
    let f = udp();
    let yes = [
        "udp",
        "ip && udp",
        "ip and not tcp",
        "!tcp",
        "udp.port == 443",
        "udp.port eq 40001",
        "udp.dstport in {80, 443, 8000..8080}",
        "udp.srcport in {40000..40010}",
        "ip.ttl == 0x40",
        "ip.ttl == 0100",
        "ip.ttl == 0b1000000",
        "ip.ttl >= 64 && ip.ttl le 64 && ip.ttl > 63 && ip.ttl lt 65",
        "ip.src == 198.18.0.0/15",
        "ip.addr == 198.18.1.1",
        "ip.addr != 10.0.0.1",
        "ip.addr ~= 198.18.0.1",
        "eth.src[0:3] == 02:00:00",
        "eth.src == 0200.0000.0001",
        "eth.dst[0] == 0x02",
        "eth.src[5] == 01",
        "eth.src[4-5] == 00:01",
        "eth.addr == 02:00:00:00:00:02",
        "ip.flags.df == 1",
        "ip.flags.df",
        "frame contains \"abc\"",
        "udp contains 61:62",
        "data matches \"^ab.d$\"",
        "data matches \"AB\"",
        "ip.flags.df == TRUE",
        "ip.flags.df == true",
        "frame.number == 7",
        "frame.interface_name == \"vethA\"",
        "frame.interface_name matches \"^veth\"",
        "(udp.port == 1 || udp.port == 443) && ip",
        "ip.id == 1",
    ];
    for flt in yes {
        assert!(m(flt, &f), "{flt} should match");
    }
    let no = [
        "tcp",
        "ip.addr != 198.18.0.1",
        "ip.addr === 198.18.0.1",
        "ip.options",
        "udp.port in {1, 2..100}",
        "ip.src == 198.20.0.0/15",
        "tcp.port != 80",
        "not udp",
        "frame.interface_id == 1",
        "frame.interface_description",
        "eth.src[0:3] == 02:00:01",
        "data matches \"(?-i)AB\"",
        "ip.flags.df == FALSE",
    ];
    for flt in no {
        assert!(!m(flt, &f), "{flt} should not match");
    }
}

#[test]
fn errors_have_columns() {
    let cases = [
        ("ip.nope == 1", 1),
        ("udp && ip.ttl == \"x\"", 18),
        ("ip.ttl contains 4", 1),
        ("ip.src == 1.2.3", 11),
        ("tcp.port in {80 443}", 17),
        ("udp.port == 9 &&", 17),
        ("ip.ttl matches \"a\"", 1),
        ("(udp", 5),
        ("ip.ttl foo 3", 8),
        ("", 1),
    ];
    for (flt, col) in cases {
        let e = Filter::parse(flt).expect_err(flt);
        assert_eq!(e.col, col, "{flt}: {e}");
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}udp{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = Filter::parse(&deep).unwrap_err();
    assert!(e.msg.contains("nested"), "{e}");
    let nots = format!("{}udp", "!".repeat(100_000));
    assert!(Filter::parse(&nots).is_err());
    let long = vec!["udp"; 100_000].join(" || ");
    assert!(Filter::parse(&long).unwrap_err().msg.contains("tests"));
    let ok = format!(
        "{}udp{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(m(&ok, &udp()));
}
