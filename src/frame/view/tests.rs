//! The view's tests: golden layouts of built frames, truncation, and arbitrary bytes (proptest)
//! through every reader.

use proptest::prelude::*;

use super::*;

/// Ether/IPv4/UDP built by etherparse: 02:..:01 -> 02:..:02, 198.18.0.1:1111 -> 198.18.0.2:2222.
pub(crate) fn udp4(payload: &[u8]) -> Vec<u8> {
    let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
        .udp(1111, 2222);
    let mut v = Vec::new();
    b.write(&mut v, payload).unwrap();
    v
}

#[test]
fn udp4_fields_and_layout() {
    let f = udp4(&[0xaa; 30]);
    let fields = dissect(&f);
    let get = |n: &str| fields.iter().find(|x| x.name == n).unwrap().clone();
    assert_eq!(get("eth.src").value, "02:00:00:00:00:01");
    assert_eq!(get("ip.ttl").value, "64");
    assert_eq!(get("ip.ttl").range, 22..23);
    assert_eq!(get("ip.dst").value, "198.18.0.2");
    assert_eq!(get("udp.dstport").value, "2222");
    assert_eq!(get("udp.chksum").range, 40..42);
    assert_eq!(get("data").range, 42..72);
    let lay = layout(&f);
    assert_eq!(lay.l3_off, Some(14));
    assert_eq!(lay.l4, Some((L4::Udp, 34)));
    assert_eq!(lay.l4_csum_off, Some(40));
    assert_eq!(lay.payload_off, 42);
}

#[test]
fn vlan_tcp_ipv6() {
    let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .single_vlan(etherparse::VlanId::try_new(100).unwrap())
        .ipv6([0xfe; 16], [0xfd; 16], 7)
        .tcp(1, 2, 1000, 512);
    let mut f = Vec::new();
    b.write(&mut f, &[1, 2, 3]).unwrap();
    let fields = dissect(&f);
    let names: Vec<_> = fields.iter().map(|x| x.name).collect();
    assert!(names.contains(&"vlan.id"));
    assert!(names.contains(&"ipv6.hlim"));
    assert!(names.contains(&"tcp.seq"));
    let lay = layout(&f);
    assert_eq!(lay.vlans, 1);
    assert!(lay.ipv6);
    assert_eq!(lay.l4, Some((L4::Tcp, 18 + 40)));
    assert_eq!(lay.payload_off, 18 + 40 + 20);
    assert_eq!(
        fields.iter().find(|x| x.name == "vlan.id").unwrap().value,
        "100"
    );
}

#[test]
fn truncated_frames_do_not_panic() {
    let f = udp4(&[0; 8]);
    for n in 0..f.len() {
        let _ = dissect(&f[..n]);
        let _ = layout(&f[..n]);
    }
}

#[test]
fn aliases_name_the_same_field() {
    assert_eq!(canonical_name("ip.chksum"), Some("ip.chksum"));
    assert_eq!(canonical_name("ip.checksum"), Some("ip.chksum"));
    assert_eq!(canonical_name("vlan.priority"), Some("vlan.prio"));
    assert_eq!(canonical_name("ip.tll"), None);
    for (alias, name) in ALIASES {
        assert!(FIELD_NAMES.contains(name), "{alias} -> {name}");
        assert!(!FIELD_NAMES.contains(alias), "{alias} is a name already");
    }
}

#[test]
fn every_field_name_is_produced() {
    // Each name of the vocabulary comes out of `dissect` for some frame of the fixtures or
    // the frames above: the list and the walk agree.
    let mut frames: Vec<Vec<u8>> = crate::frame::spec::tests::cases()
        .iter()
        .map(|(name, _)| crate::frame::spec::tests::fixture(name))
        .collect();
    frames.push(udp4(&[1; 8]));
    let mut seen: Vec<&str> = frames
        .iter()
        .flat_map(|f| dissect(f))
        .map(|f| f.name)
        .collect();
    seen.sort();
    seen.dedup();
    for n in &seen {
        assert!(FIELD_NAMES.contains(n), "{n} is produced but not listed");
    }
}

/// A frame that starts like a real one (Ethernet, maybe tags, IPv4/IPv6, a transport) and
/// then goes wrong anywhere: arbitrary bytes alone rarely get past the EtherType.
fn plausible() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop_oneof![
        Just(vec![]),
        Just(vec![0x08, 0x00, 0x45, 0x00]),
        Just(vec![0x08, 0x00, 0x46, 0x00, 0x00, 0x10]),
        Just(vec![0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45]),
        Just(vec![
            0x91, 0x00, 0x00, 0x01, 0x81, 0x00, 0x00, 0x02, 0x86, 0xdd, 0x60
        ]),
        Just(vec![0x86, 0xdd, 0x60, 0, 0, 0, 0, 0x20, 0]),
        Just(vec![0x86, 0xdd, 0x60, 0, 0, 0, 0, 0x20, 58]),
        Just(vec![0x86, 0xdd, 0x60, 0, 0, 0, 0, 0x20, 44]),
    ];
    (
        proptest::collection::vec(any::<u8>(), 12),
        prefix,
        proptest::collection::vec(any::<u8>(), 0..120),
        any::<u8>(),
    )
        .prop_map(|(macs, prefix, tail, proto)| {
            let mut f = macs;
            f.extend(prefix);
            f.extend(tail);
            // Often, a transport the walk knows in the IPv4 protocol byte.
            if f.len() > 23 && f[12..14] == [0x08, 0x00] {
                f[23] = [1, 2, 6, 17, proto][proto as usize % 5];
            }
            f
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        crate::frame::read_every_way(&data);
    }

    #[test]
    fn plausible_frames_never_panic(data in plausible()) {
        crate::frame::read_every_way(&data);
        let lay = layout(&data);
        prop_assert!(lay.payload_off <= data.len());
        prop_assert!(lay.payload_end <= data.len());
        prop_assert!(lay.ip_end <= data.len());
        for f in dissect(&data) {
            prop_assert!(f.range.end <= data.len(), "{} {:?}", f.name, f.range);
            prop_assert!(FIELD_NAMES.contains(&f.name), "{}", f.name);
        }
    }
}
