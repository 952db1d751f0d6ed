//! The JUnit XML as a consumer reads it (Python's `xml.etree`, schema-free, as CI plugins
//! do): one testsuite per file, one testcase per test, counts that agree, and the failure's
//! message carrying the field-level diff. `-k` selecting nothing is an error.

use super::common;
use super::{example, text, vethbench};

/// Parse `xml` with xml.etree and print `suite tests failures cases` per suite, then each
/// failure's message, one per line.
const READ_JUNIT: &str = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
for s in root.findall("testsuite"):
    cases = s.findall("testcase")
    fails = [c for c in cases if c.find("failure") is not None]
    print("suite", s.get("name"), s.get("tests"), s.get("failures"), len(cases), len(fails))
    for c in fails:
        print("failure", c.get("name"), "|", c.find("failure").get("message").replace("\n", " / "))
"#;

#[test]
fn junit_read_by_a_consumer() {
    if !common::require_root!() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(example("router-stream.yaml")).unwrap();
    let twin = dir.path().join("router-stream.yaml");
    std::fs::write(
        &twin,
        src.replacen("fields: {ip.ttl: 63, udp", "fields: {ip.ttl: 64, udp", 1),
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let bridge = example("bridge.yaml");
    let o = vethbench(&[
        "run",
        "--junit",
        junit.to_str().unwrap(),
        twin.to_str().unwrap(),
        bridge.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let script = dir.path().join("read_junit.py");
    std::fs::write(&script, READ_JUNIT).unwrap();
    let py = std::process::Command::new("python3")
        .arg(&script)
        .arg(&junit)
        .output()
        .expect("python3");
    let out = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success(),
        "{}\n{}",
        out,
        String::from_utf8_lossy(&py.stderr)
    );
    let suites: Vec<&str> = out.lines().filter(|l| l.starts_with("suite ")).collect();
    assert_eq!(suites.len(), 2, "{out}");
    // tests= and failures= agree with the testcases: 2 tests, 1 failed; 3 tests, none.
    assert!(suites[0].ends_with(" 2 1 2 1"), "{out}");
    assert!(suites[1].ends_with(" 3 0 3 0"), "{out}");
    let failure = out.lines().find(|l| l.starts_with("failure ")).unwrap();
    assert!(
        failure.contains("forwarded, as fields say |")
            && failure.contains("expect on h2:eth0")
            && failure.contains("ip.ttl: expected 64, got 63"),
        "{out}"
    );
}

#[test]
fn k_selecting_no_test_is_an_error() {
    let o = vethbench(&[
        "run",
        example("router.yaml").to_str().unwrap(),
        "-k",
        "ttl 1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("-k 'ttl 1': no test name contains it"),
        "{}",
        text(&o)
    );
    assert_eq!(err.lines().count(), 1, "{}", text(&o));
}
