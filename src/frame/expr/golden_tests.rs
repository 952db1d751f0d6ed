//! The golden frames of `fixtures/frames/expr_*.hex` (Scapy 2.5's `raw(pkt)`, made by
//! `fixtures/frames/make.py`): each file's `# pkt = ` expression, built here, byte for byte.
//! A `fragment()` expression has one file per frame (`expr_NAME_K.hex`).

use std::collections::BTreeMap;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/frames")
}

/// (expression, bytes) of one fixture file.
fn read(path: &std::path::Path) -> (String, Vec<u8>) {
    let text = std::fs::read_to_string(path).unwrap();
    let expr = text
        .lines()
        .find_map(|l| l.strip_prefix("# pkt = "))
        .unwrap_or_else(|| panic!("{}: no '# pkt = ' line", path.display()))
        .to_string();
    let mut bytes = Vec::new();
    for line in text.lines() {
        let data = line.split('#').next().unwrap_or("");
        for h in data.split_whitespace() {
            bytes.push(u8::from_str_radix(h, 16).unwrap());
        }
    }
    (expr, bytes)
}

#[test]
fn every_expr_fixture_builds_byte_for_byte() {
    // expression -> frames in order (fragment index from the file name).
    let mut cases: BTreeMap<String, Vec<(usize, Vec<u8>, String)>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_prefix("expr_")
            .and_then(|n| n.strip_suffix(".hex"))
        else {
            continue;
        };
        let (expr, bytes) = read(&path);
        let k = if expr.starts_with("fragment(") {
            stem.rsplit('_').next().unwrap().parse().unwrap()
        } else {
            0
        };
        cases.entry(expr).or_default().push((k, bytes, name));
    }
    assert!(cases.len() >= 10, "fixtures missing: {}", cases.len());
    for (expr, mut want) in cases {
        want.sort();
        let got = super::parse(&expr)
            .and_then(|e| e.build())
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(got.len(), want.len(), "{expr}: number of frames");
        for (g, (_, w, name)) in got.iter().zip(&want) {
            assert_eq!(
                g,
                w,
                "{name}: differs from Scapy at byte {:?}",
                g.iter().zip(w).position(|(a, b)| a != b)
            );
        }
    }
}
