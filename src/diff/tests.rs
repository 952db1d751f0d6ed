use super::*;

fn f(ttl: u8, id: u16, sport: u16, msg: &str) -> Vec<u8> {
    let e = format!(
        r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2", ttl={ttl}, id={id})/UDP(sport={sport}, dport=9)/"{msg}""#
    );
    crate::frame::expr::parse(&e)
        .unwrap()
        .build()
        .unwrap()
        .remove(0)
}

fn stream(n: u16) -> Vec<Vec<u8>> {
    (0..n).map(|i| f(64, i, 1000 + i, "hello")).collect()
}

fn opts(ignore: &[&str], m: Match) -> DiffOptions {
    let mut o = DiffOptions::new(ignore).unwrap();
    o.matching = m;
    o
}

fn accounts(r: &DiffReport) {
    assert_eq!(
        r.equal + r.changed + r.reordered + r.missing,
        r.a_frames,
        "{r:?}"
    );
    assert_eq!(
        r.equal + r.changed + r.reordered + r.extra,
        r.b_frames,
        "{r:?}"
    );
}

#[test]
fn identical_captures_are_identical_both_ways() {
    let a = Capture::from_frames(&stream(20));
    for m in [Match::Order, Match::Flow] {
        let r = diff(&a, &a, &opts(&[], m));
        assert!(r.identical(), "{r:?}");
        assert_eq!(r.equal, 20);
        accounts(&r);
    }
}

#[test]
fn a_changed_ttl_is_one_field_and_its_checksum() {
    let a = stream(10);
    let mut b = a.clone();
    b[4] = f(63, 4, 1004, "hello");
    let (ca, cb) = (Capture::from_frames(&a), Capture::from_frames(&b));
    let r = diff(&ca, &cb, &opts(&[], Match::Order));
    accounts(&r);
    assert_eq!((r.equal, r.changed), (9, 1));
    let Difference::Changed { a, b, fields, .. } = &r.differences[0] else {
        panic!("{r:?}")
    };
    assert_eq!((*a, *b), (5, 5));
    let names: Vec<_> = fields.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(names, ["ip.ttl", "ip.chksum"]);
    assert_eq!(fields[0].a.as_deref(), Some("64"));
    assert_eq!(fields[0].b.as_deref(), Some("63"));
    let mut text = String::new();
    write_text(&mut text, &r);
    assert!(
        text.starts_with("frame 5: ip.ttl 64 → 63, ip.chksum 0x"),
        "{text}"
    );
    // Ignoring what changed makes the captures equal; a protocol name ignores all its fields.
    for ign in [&["ip.ttl", "ip.checksum"][..], &["ip"][..]] {
        let r = diff(&ca, &cb, &opts(ign, Match::Order));
        assert!(r.identical(), "{ign:?}: {r:?}");
    }
    // Ignoring only the TTL leaves the checksum.
    let r = diff(&ca, &cb, &opts(&["ip.ttl"], Match::Order));
    assert_eq!(r.changed, 1);
}

#[test]
fn a_missing_frame_is_one_missing_frame_not_a_shift() {
    let a = stream(10);
    let mut b = a.clone();
    b.remove(3);
    b.push(f(64, 99, 5000, "new"));
    let r = diff(
        &Capture::from_frames(&a),
        &Capture::from_frames(&b),
        &opts(&[], Match::Order),
    );
    accounts(&r);
    assert_eq!(
        (r.equal, r.missing, r.extra, r.changed),
        (9, 1, 1, 0),
        "{r:?}"
    );
    assert_eq!(r.differences[0], Difference::Missing { a: 4 });
    assert_eq!(r.differences[1], Difference::Extra { b: 10 });
}

#[test]
fn swapped_frames_are_reordered_in_both_modes() {
    let a = stream(8);
    let mut b = a.clone();
    b.swap(2, 3);
    for m in [Match::Order, Match::Flow] {
        let r = diff(
            &Capture::from_frames(&a),
            &Capture::from_frames(&b),
            &opts(&[], m),
        );
        accounts(&r);
        assert_eq!(
            (r.reordered, r.missing, r.extra, r.changed),
            (1, 0, 0, 0),
            "{m:?}: {r:?}"
        );
    }
}

#[test]
fn flow_mode_pairs_a_changed_frame_out_of_place() {
    // B: frame 2 moved to the end and its TTL changed; ip.id ignored.
    let a = stream(6);
    let mut b = a.clone();
    let moved = b.remove(1);
    let mut moved = moved;
    moved[22] = 10; // TTL (checksum left stale: a difference too)
    b.push(moved);
    let r = diff(
        &Capture::from_frames(&a),
        &Capture::from_frames(&b),
        &opts(&["ip.id"], Match::Flow),
    );
    accounts(&r);
    assert_eq!(
        (r.equal, r.changed, r.missing, r.extra),
        (5, 1, 0, 0),
        "{r:?}"
    );
}

#[test]
fn unknown_ignored_field_is_an_error_with_a_hint() {
    let e = DiffOptions::new(&["ip.tll"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot ignore 'ip.tll': not a field vethbench decodes; did you mean 'ip.ttl'?"
    );
    assert!(DiffOptions::new(&["frame.time", "tcp", "ip.checksum"]).is_ok());
}

#[test]
fn timestamps_compare_only_with_a_tolerance() {
    let a = Capture::from_frames(&stream(3));
    let mut b = Capture::from_frames(&stream(3));
    b.recs[2].ts_ns += 5_000_000;
    assert!(diff(&a, &b, &opts(&[], Match::Order)).identical());
    let mut o = opts(&[], Match::Order);
    o.time_tolerance_ns = Some(1_000_000);
    let r = diff(&a, &b, &o);
    assert_eq!(r.changed, 1, "{r:?}");
    o.time_tolerance_ns = Some(10_000_000);
    assert!(diff(&a, &b, &o).identical());
}

#[test]
fn json_has_the_counts_and_each_difference() {
    let a = stream(4);
    let mut b = a.clone();
    b.remove(0);
    let r = diff(
        &Capture::from_frames(&a),
        &Capture::from_frames(&b),
        &opts(&[], Match::Order),
    );
    let j = write_json(&r, "a.pcapng", "b.pcapng");
    assert_eq!(j["identical"], false);
    assert_eq!(j["missing"], 1);
    assert_eq!(j["differences"][0]["kind"], "missing");
    assert_eq!(j["differences"][0]["a_frame"], 1);
}
