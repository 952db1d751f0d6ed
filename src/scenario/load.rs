//! Reading a scenario file: YAML (JSON is YAML too) through serde-saphyr, every key checked,
//! then [`super::check`]. Errors name the file, the line and the key.

use std::path::Path;

use super::check;
use super::model::Scenario;
use super::yaml::FileYaml;
use super::LoadError;

/// Read and check the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Read {
        file: file.clone(),
        source: e,
    })?;
    let dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| p.canonicalize().ok());
    let mut s = parse_str(&text, dir).map_err(|e| e.in_file(&file))?;
    s.path = path.to_path_buf();
    if s.name.is_empty() {
        s.name = path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(s)
}

/// Check a scenario given as text (`dir`: where its commands run).
pub fn parse_str(text: &str, dir: Option<std::path::PathBuf>) -> Result<Scenario, LoadError> {
    let raw: FileYaml = serde_saphyr::from_str(text).map_err(yaml_error)?;
    let c = check::check(raw, dir)?;
    Ok(Scenario {
        name: c.name,
        path: Default::default(),
        topology: c.topology,
        tests: c.tests,
        teardown: c.teardown,
    })
}

/// serde-saphyr's error as one line: its message, without the snippet it renders.
fn yaml_error(e: serde_saphyr::Error) -> LoadError {
    let line = e.location().map(|l| l.line() as usize).unwrap_or(0);
    let full = e.without_snippet().to_string();
    // The message is the first line; the location is ours to print.
    let mut msg = full.lines().next().unwrap_or("").trim().to_string();
    if let Some(i) = msg.find(" at line ") {
        msg.truncate(i);
    }
    let key = key_of(&msg);
    LoadError::Invalid {
        file: String::new(),
        line,
        key,
        msg,
    }
}

/// The key a serde message is about (`unknown field `mut``: "mut").
fn key_of(msg: &str) -> String {
    for pre in [
        "unknown field `",
        "missing field `",
        "unknown variant `",
        "duplicate field `",
    ] {
        if let Some(i) = msg.find(pre) {
            let rest = &msg[i + pre.len()..];
            if let Some(j) = rest.find('`') {
                return rest[..j].to_string();
            }
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::StepKind;

    fn bad(y: &str) -> (usize, String, String) {
        match parse_str(y, None).unwrap_err() {
            LoadError::Invalid { line, key, msg, .. } => (line, key, msg),
            e => panic!("{e}"),
        }
    }

    #[test]
    fn messages_name_line_and_key() {
        let (line, key, msg) = bad("nodes:\n  h1: {}\nlinks:\n  - {ends: [h1:a, h1:b], mut: 9}\n");
        assert_eq!((line, key.as_str()), (4, "mut"), "{msg}");
        let (line, key, msg) = bad("nodes:\n  h1: {}\nlinks:\n  - [h1:a, h2:b]\n");
        assert_eq!((line, key.as_str()), (4, "links"), "{msg}");
        assert!(msg.contains("unknown node 'h2'"), "{msg}");
        let (line, key, msg) = bad("nodes: {h1: {}}\nlinks: [[h1:a, h1:b]]\ntests:\n  - name: t\n    steps:\n      - expect_none: {port: h1:c}\n");
        assert_eq!((line, key.as_str()), (6, "port"), "{msg}");
        assert!(msg.contains("unknown interface 'c'"), "{msg}");
        let e = parse_str("nodes: {h1: {}}\nbogus: 1\n", None)
            .unwrap_err()
            .in_file("f.yaml");
        assert!(e.to_string().starts_with("f.yaml:2: bogus: "), "{e}");
    }

    const ROUTED: &str = "nodes: {h1: {}, h2: {}, r1: {}}\nlinks: [[h1:eth0, r1:eth0], [h2:eth0, r1:eth1]]\ntests:\n  - name: t\n    steps:\n";

    #[test]
    fn field_conditions_are_checked_at_load() {
        let (line, key, msg) = bad(&format!(
            "{ROUTED}      - expect: {{port: h2:eth0, within: 1s}}\n"
        ));
        assert_eq!((line, key.as_str()), (6, "frame"), "{msg}");
        let (line, key, msg) = bad(&format!(
            "{ROUTED}      - expect:\n          port: h2:eth0\n          fields: {{ip.ttl: 63, ip.tll: 1}}\n"
        ));
        assert_eq!((line, key.as_str()), (8, "fields"), "{msg}");
        assert!(msg.contains("unknown field 'ip.tll'"), "{msg}");
        let (_, key, msg) = bad(&format!(
            "{ROUTED}      - expect: {{port: h2:eth0, fields: {{ip.ttl: 63}}, ignore: [ip.chksum]}}\n"
        ));
        assert_eq!(key, "ignore", "{msg}");
        let s = parse_str(
            &format!("{ROUTED}      - sr: {{port: h1:eth0, frame: 'Ether()/ARP()', fields: {{arp.opcode: 2}}}}\n"),
            None,
        )
        .unwrap();
        match &s.tests[0].steps[0].kind {
            StepKind::Sr { want, .. } => assert_eq!(want.fields[0].name, "arp.opcode"),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn ping_takes_ipv6_and_refuses_a_name() {
        let (line, key, msg) = bad(&format!("{ROUTED}      - ping: {{node: h1, to: \"h2\"}}\n"));
        assert_eq!((line, key.as_str()), (6, "to"), "{msg}");
        assert!(msg.contains("is not an IP address"), "{msg}");
        let v6 = format!("{ROUTED}      - ping: {{node: h1, to: \"2001:2::1\"}}\n");
        assert!(parse_str(&v6, None).is_ok());
    }

    #[test]
    fn a_stream_across_a_router_needs_expect_or_ignore() {
        let f = "frame: 'Ether()/IP(dst=\"198.18.2.2\")/UDP()/Raw(load=b\"0123456789abcdef0123456789abcdef\")'";
        let (line, key, msg) = bad(&format!(
            "{ROUTED}      - stream: {{from: h1:eth0, to: h2:eth0, {f}}}\n"
        ));
        assert_eq!((line, key.as_str()), (6, "stream"), "{msg}");
        assert!(msg.contains("not on one L2 segment"), "{msg}");
        let (_, key, msg) = bad(&format!(
            "{ROUTED}      - stream: {{from: h1:eth0, to: h2:eth0, size: 128}}\n"
        ));
        assert!(key == "stream" && msg.contains("router"), "{msg}");
        parse_str(
            &format!("{ROUTED}      - stream: {{from: h1:eth0, to: h2:eth0, {f}, ignore: [ip.ttl, ip.chksum]}}\n"),
            None,
        )
        .unwrap();
        // expect may differ only where a router or a NAT rewrites: addresses and ports are
        // fine (a NAT), `any` stands for a port only, the payload must stay.
        let expect = |from: &str, to: &str| f.replace(from, to).replace("frame:", "expect:");
        let stream =
            |e: &str| format!("{ROUTED}      - stream: {{from: h1:eth0, to: h2:eth0, {f}, {e}}}\n");
        parse_str(&stream(&expect("198.18.2.2", "198.18.2.3")), None).unwrap();
        parse_str(&stream(&expect("UDP()", "UDP(sport=any)")), None).unwrap();
        let (_, key, msg) = bad(&stream(&expect("0123", "0124")));
        assert!(key == "expect" && msg.contains("cannot check"), "{msg}");
        let (line, key, msg) = bad(&stream(&expect("IP(", "IP(ttl=any, ")));
        assert_eq!((line, key.as_str()), (6, "expect"), "{msg}");
        assert!(msg.contains("not ip.ttl"), "{msg}");
        // On one segment, nothing is needed.
        let one = "nodes: {h1: {}, h2: {}}\nlinks: [[h1:eth0, h2:eth0]]\ntests:\n  - name: t\n    steps:\n";
        parse_str(
            &format!("{one}      - stream: {{from: h1:eth0, to: h2:eth0}}\n"),
            None,
        )
        .unwrap();
    }

    #[test]
    fn a_saved_name_is_usable_only_after_the_step_that_saves_it() {
        let f = |sport: &str| {
            format!("frame: 'Ether()/IP(dst=\"198.18.0.2\")/UDP(sport={sport})/\"0123456789abcdef0123456789abcdef\"'")
        };
        let send = |sport: &str| format!("      - send: {{port: h1:eth0, {}}}\n", f(sport));
        let one = "nodes: {h1: {}, h2: {}}\nlinks: [[h1:eth0, h2:eth0]]\ntests:\n  - name: t\n    steps:\n";
        // Used before it is saved: the line of the step that uses it.
        let (line, key, msg) = bad(&format!("{one}{}", send("${p}")));
        assert_eq!((line, key.as_str()), (6, "frame"), "{msg}");
        assert!(
            msg.contains("no earlier step of this test saves 'p'"),
            "{msg}"
        );
        // Saved by an expect, by a stream: usable after it.
        let expect =
            "      - expect: {port: h2:eth0, fields: {udp.dstport: 53}, save: {p: udp.srcport}}\n";
        parse_str(&format!("{one}{expect}{}", send("${p}")), None).unwrap();
        let stream = format!(
            "      - stream: {{from: h1:eth0, to: h2:eth0, {}, save: {{p: udp.srcport}}}}\n",
            f("7")
        );
        parse_str(&format!("{one}{stream}{}", send("${p}")), None).unwrap();
        // Not in the next test.
        let (line, _, msg) = bad(&format!(
            "{one}{stream}  - name: u\n    steps:\n{}",
            send("${p}")
        ));
        assert_eq!(line, 9, "{msg}");
    }

    #[test]
    fn an_attached_nodes_own_interfaces_are_ports_of_steps_only() {
        let y = "nodes: {c: {netns: \"pid:1\"}, h: {}}\nlinks: [[h:eth0, c:v0]]\ntests:\n  - name: t\n    steps:\n      - expect_none: {ports: [c:eth0, c:br0, c:eth0, c:v0]}\n";
        let s = parse_str(y, None).unwrap();
        let names: Vec<String> = s.topology.existing.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["c:eth0", "c:br0"]);
        // Not on a private node, and never configured.
        let (_, key, msg) = bad(&y.replace("c:br0", "h:br0"));
        assert!(
            key == "ports" && msg.contains("unknown interface 'br0'"),
            "{msg}"
        );
        let (line, key, msg) =
            bad(&y.replace("tests:", "addresses: {c:eth0: [198.18.0.1/24]}\ntests:"));
        assert_eq!((line, key.as_str()), (3, "addresses"), "{msg}");
        assert!(msg.contains("never reconfigures"), "{msg}");
    }

    #[test]
    fn a_full_topology_checks() {
        let y = r#"
name: t
nodes:
  h1: {}
  r1: {sysctl: {net.ipv4.ip_forward: 1}}
  sw: {}
links:
  - [h1:eth0, r1:eth0]
  - {ends: [r1:eth1, sw:p1], mtu: 9000, macs: ["02:00:00:00:00:01", "02:00:00:00:00:02"]}
  - [r1:eth2, sw:p2]
bridges:
  sw:br0: {ports: [sw:p1, {port: sw:p2, pvid: 10}], vlan_filtering: true}
addresses:
  h1:eth0: [198.18.1.2/24]
routes:
  h1: [default via 198.18.1.1]
setup:
  - {node: r1, run: "true"}
tests:
  - name: a
    steps:
      - exec: {node: r1, run: "true", expect_output: "^$"}
      - ping: {node: h1, to: 198.18.1.1, count: 2}
      - expect_none: {ports: [h1:eth0, r1:eth0], for: 10ms}
"#;
        let s = parse_str(y, None).unwrap();
        assert_eq!(s.topology.nodes.len(), 3);
        assert_eq!(s.topology.links[1].mtu, Some(9000));
        assert_eq!(s.topology.bridges[0].ports[1].pvid, Some(10));
        assert_eq!(s.tests[0].steps.len(), 3);
        assert_eq!(s.tests[0].steps[2].line, 24);
    }
}
