//! Display filters as step conditions (issue 19, item 1): `filter:` on `expect`, `sr` and
//! `expect_none` over live veth traffic (h1 and h2's kernels answering ARP and ping), with a
//! saved value in a filter; each step failing when its filter says so, the report naming the
//! filter; a filter that does not compile is a load error naming the file, the line and the
//! column in the filter (exit 2, nothing run).

use super::common;
use super::{text, ScenarioDir};

/// Two hosts with addresses (their kernels answer ARP and ping), fixed MACs.
const PAIR: &str = r#"nodes: {h1: {}, h2: {}}
links: [{ends: [h1:eth0, h2:eth0], macs: ["02:00:00:00:00:01", "02:00:00:00:00:02"]}]
addresses:
  h1:eth0: [198.18.0.1/24]
  h2:eth0: [198.18.0.2/24]
"#;

const ARP: &str = r#"'Ether(dst="ff:ff:ff:ff:ff:ff")/ARP(psrc="198.18.0.1", pdst="198.18.0.2")'"#;
const PING: &str =
    r#"'Ether(dst=mac("h2:eth0"))/IP(src="198.18.0.1", dst="198.18.0.2")/ICMP(id=7)/"ping"'"#;
const UDP9: &str = r#"'Ether(dst=mac("h2:eth0"))/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=5000, dport=9)/"x"'"#;

/// The 1-based line of the first line of `yaml` holding `needle`.
fn line_of(yaml: &str, needle: &str) -> usize {
    1 + yaml
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line has {needle}"))
}

#[test]
fn filters_on_expect_sr_and_expect_none_pass_on_live_traffic() {
    if !common::require_root!() {
        return;
    }
    let dir = ScenarioDir::new("t.yaml");
    let yaml = format!(
        r#"{PAIR}tests:
  - name: the kernels answer as the filters say
    steps:
      - sr: {{port: h1:eth0, frame: {ARP}, filter: 'arp.opcode == 2 && arp.src.proto_ipv4 == 198.18.0.2 && eth.src[0:3] == 02:00:00'}}
      - send: {{port: h1:eth0, frame: {PING}}}
      - expect:
          port: h2:eth0
          fields: {{ip.ttl: 64}}
          filter: 'icmp.type == 8 && ip.addr == 198.18.0.0/24 && !(udp || tcp)'
          save: {{ident: icmp.ident}}
      - expect: {{port: h1:eth0, filter: 'icmp.type in {{0, 3}} && icmp.ident == ${{ident}} && data matches "^PING$"'}}
      - send: {{port: h1:eth0, frame: {UDP9}}}
      # The UDP frame h2 received is pending, but the filter does not pass it.
      - expect_none: {{ports: [h1:eth0, h2:eth0], filter: 'udp.port in {{53, 8000..8080}} || tcp', for: 100ms}}
      - expect: {{port: h2:eth0, filter: 'udp.dstport == 9 && udp.srcport != 9'}}
"#
    );
    let o = dir.run(&yaml, &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let steps = doc["files"][0]["tests"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7, "{}", text(&o));
    assert!(
        steps.iter().all(|s| s["outcome"] == "passed"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_step_whose_filter_fails_names_the_filter() {
    if !common::require_root!() {
        return;
    }
    let dir = ScenarioDir::new("t.yaml");
    let yaml = format!(
        r#"{PAIR}tests:
  - name: expect
    steps:
      - send: {{port: h1:eth0, frame: {UDP9}}}
      - expect: {{port: h2:eth0, filter: 'udp.dstport in {{10, 11..20}}', within: 200ms}}
  - name: expect with a saved value
    steps:
      - send: {{port: h1:eth0, frame: {UDP9}}}
      - expect: {{port: h2:eth0, filter: 'udp.dstport == 9', save: {{p: udp.srcport}}}}
      - send: {{port: h1:eth0, frame: {UDP9}}}
      - expect: {{port: h2:eth0, filter: 'udp.srcport != ${{p}}', within: 200ms}}
  - name: expect_none
    steps:
      - send: {{port: h1:eth0, frame: {UDP9}}}
      - expect_none: {{port: h2:eth0, filter: 'udp.port == 9', for: 100ms}}
  - name: sr
    steps:
      - sr: {{port: h1:eth0, frame: {ARP}, filter: 'arp.opcode == 1', within: 200ms}}
"#
    );
    let o = dir.run(&yaml, &["--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let tests = doc["files"][0]["tests"].as_array().unwrap();
    // (test, failing step's keyword, its line, what its message says)
    let want = [
        (
            "expect",
            "expect",
            line_of(&yaml, "{10, 11..20}"),
            "expected a frame where filter 'udp.dstport in {10, 11..20}' matches within 200ms",
        ),
        (
            "expect with a saved value",
            "expect",
            line_of(&yaml, "!= ${p}"),
            "filter 'udp.srcport != 5000' matches",
        ),
        (
            "expect_none",
            "expect_none",
            line_of(&yaml, "'udp.port == 9'"),
            "expected no frame where filter 'udp.port == 9' matches within 100ms; 1 arrived",
        ),
        (
            "sr",
            "sr",
            line_of(&yaml, "'arp.opcode == 1'"),
            "expected a frame where filter 'arp.opcode == 1' matches",
        ),
    ];
    assert_eq!(tests.len(), want.len(), "{}", text(&o));
    for (t, (name, keyword, line, says)) in tests.iter().zip(want) {
        assert_eq!(t["name"], name);
        assert_eq!(t["outcome"], "failed", "{name}: {}", text(&o));
        let failed: Vec<&serde_json::Value> = t["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["outcome"] == "failed")
            .collect();
        assert_eq!(failed.len(), 1, "{name}: {}", text(&o));
        let s = failed[0];
        assert_eq!(s["keyword"], keyword, "{name}: {}", text(&o));
        assert_eq!(s["line"], line, "{name}: {}", text(&o));
        let msg = s["message"].as_str().unwrap();
        assert!(msg.contains(says), "{name}: '{says}' not in {msg}");
    }
    // The closest frame's difference is the filter.
    let msg = tests[0]["steps"][1]["message"].as_str().unwrap();
    assert!(
        msg.contains("filter: expected udp.dstport in {10, 11..20}, got no match"),
        "{msg}"
    );
}

#[test]
fn a_filter_that_does_not_compile_is_a_load_error_with_line_and_column() {
    let dir = ScenarioDir::new("t.yaml");
    let head =
        "nodes: {h1: {}, h2: {}}\nlinks: [[h1:eth0, h2:eth0]]\ntests:\n  - name: t\n    steps:\n";
    // (the step, what the error says after `t.yaml:LINE: filter: `)
    let cases = [
        (
            "      - expect: {port: h2:eth0, filter: 'udp && udp.prot == 9'}\n",
            "column 8: 'udp.prot' is not a field or protocol vethbench knows; did you mean 'udp.port'?",
        ),
        (
            "      - expect_none: {port: h2:eth0, filter: 'ip.ttl foo 3'}\n",
            "column 8: 'foo' is not an operator",
        ),
        (
            "      - sr: {port: h1:eth0, frame: 'Ether()/ARP()', filter: 'ip.src == 198.18.0.1/33'}\n",
            "column 11: '198.18.0.1/33' is not an IPv4 address (the type of ip.src)",
        ),
        // A saved port compared with an address: checked with a stand-in of its type.
        (
            "      - expect: {port: h2:eth0, fields: {udp.dstport: 9}, save: {p: udp.srcport}}\n      - expect: {port: h2:eth0, filter: 'udp && ip.src == ${p}'}\n",
            "column 18: '0' is not an IPv4 address (the type of ip.src)",
        ),
    ];
    for (step, says) in cases {
        let yaml = format!("{head}{step}");
        let line = line_of(&yaml, "filter:");
        let o = dir.run(&yaml, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{step}: {}", text(&o));
        assert_eq!(err.lines().count(), 1, "{step}: not one line: {err}");
        assert!(o.stdout.is_empty(), "{step}: {}", text(&o));
        let file = dir.file();
        let want = format!("{}:{line}: filter: {says}", file.display());
        assert!(err.contains(&want), "{step}: '{want}' not in {err}");
    }
}
