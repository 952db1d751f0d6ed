//! The expression engine against Scapy itself: each expression built by `tests/scapy/build.py`
//! (one Scapy 2.5 process inside `unshare -n`, so no route fills an address) and by
//! `vethbench::frame::expr`, bytes compared. These cases cover the link and IP layers (issue
//! 10); a failing case prints the expression that reproduces it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// A Scapy process reading expressions and answering hex frames.
pub struct Scapy {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Scapy {
    pub fn start() -> Scapy {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scapy/build.py");
        let mut child = Command::new("unshare")
            .args(["-n", "/usr/bin/python3", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("unshare -n python3 tests/scapy/build.py");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut ready = String::new();
        out.read_line(&mut ready).expect("scapy starts");
        assert!(
            ready.starts_with("ready 2.5"),
            "Scapy 2.5 expected: {ready}"
        );
        Scapy { child, out }
    }

    /// The frames Scapy builds for `expr`, or its error.
    pub fn build(&mut self, expr: &str) -> Result<Vec<Vec<u8>>, String> {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{expr}").expect("write to scapy");
        stdin.flush().expect("flush");
        let mut line = String::new();
        self.out.read_line(&mut line).expect("scapy answers");
        let line = line.trim_end();
        if let Some(e) = line.strip_prefix("ERROR ") {
            return Err(e.to_string());
        }
        Ok(line.split_whitespace().map(hex).collect())
    }
}

impl Drop for Scapy {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

const CASES: &[&str] = &[
    "Ether()",
    "Ether()/IP()",
    r#"Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01", type=0x1234)/"abc""#,
    "Ether(type=None)/IP()",
    "Ether()/Raw()",
    "Ether()/Dot1Q()",
    "Ether()/Dot1Q(prio=5, id=1, vlan=4095)/IP()",
    "Ether()/Dot1Q()/Dot1Q()",
    "Ether()/Dot1AD()",
    "Ether()/Dot1AD(vlan=200)/Dot1Q(vlan=2001)/IP()",
    "Ether()/Dot1AD()/Dot1AD()/Dot1Q()",
    "Ether()/Dot1Q()/Dot1AD()",
    "Dot1Q()",
    "Ether()/Dot1Q()/ARP()",
    "Ether()/Dot1Q()/IPv6()",
    "Ether()/ARP()",
    "ARP()",
    r#"Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff")/ARP(op=1, hwsrc="02:00:00:00:00:01", psrc="198.18.0.1", pdst="198.18.0.2")"#,
    r#"ARP(op="is-at", hwsrc="02:00:00:00:00:02", psrc="198.18.0.2", hwdst="02:00:00:00:00:01", pdst="198.18.0.1")"#,
    r#"ARP(op="who-has")"#,
    "ARP(op=9, hwtype=1, ptype=0x800)",
    "ARP(hwlen=6, plen=4)",
    "ARP(ptype=0x86dd)",
    r#"ARP(ptype=0x86dd, pdst="2001:2::1", psrc="2001:2::2")"#,
    "ARP(plen=2)",
    "Ether()/MPLS()",
    "Ether()/MPLS()/MPLS()/IP()",
    "Ether()/MPLS(label=100, cos=5, ttl=64)/MPLS(label=200, ttl=63)/IPv6()",
    r#"Ether()/MPLS()/Raw(b"x")"#,
    "IP()/MPLS()",
    "IPv6()/MPLS()",
    "MPLS(label=5, cos=1, s=0, ttl=9)",
    "Ether()/Dot1Q()/MPLS()",
    "IP()",
    r#"IP(dst="198.18.0.2")"#,
    r#"IP(src="198.18.0.1", dst="198.18.0.2", ttl=1, tos=0xb8, id=0xbeef)"#,
    r#"IP(flags="DF")"#,
    r#"IP(flags="MF")"#,
    r#"IP(flags="DF+MF")"#,
    r#"IP(flags="evil")"#,
    "IP(flags=3, frag=100)",
    "IP(frag=8191, flags=7)",
    "IP(tos=1, id=2, ttl=3, proto=99, chksum=0x1234, len=99, ihl=9)",
    "IP(version=6)",
    "IP(chksum=0)",
    "IP(len=5)",
    "IP(options=[IPOption_NOP()])",
    "IP(options=[IPOption_EOL()])",
    "IP(options=[IPOption_Router_Alert()])",
    "IP(options=[IPOption_Router_Alert(alert=1)])",
    "IP(options=[IPOption_Router_Alert(length=6)])",
    "IP(options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_NOP()])",
    "IP(options=[IPOption_NOP(), IPOption_Router_Alert(), IPOption_EOL()])",
    r#"IP(options=IPOption(b"\x01\x01\x01"))"#,
    r#"IP(options=[b"\x01"])"#,
    r#"IP(options=b"\x01\x02")"#,
    "IP(ihl=2, options=[IPOption_NOP()])",
    r#"IP(proto=0xfe)/("x"*100)"#,
    "IP()/IP()",
    "IP()/IPv6()",
    "IPv6()/IP()",
    "IPv6()/IPv6()",
    r#"Ether()/IP()/Raw("x")"#,
    r#"Ether()/IP()/Padding(b"ab")"#,
    r#"Ether()/IP()/"abc"/Padding(b"\x00"*10)"#,
    "IPv6()",
    r#"IPv6(dst="2001:2::2")"#,
    r#"IPv6(src="2001:2::1", dst="2001:2::2", tc=0xb8, fl=0xfffff, hlim=1)"#,
    "IPv6(plen=3, nh=17, version=4)",
    r#"Ether()/IPv6()/"payload""#,
    "IPv6()/IPv6ExtHdrHopByHop()",
    r#"IPv6(dst="2001:2::1")/IPv6ExtHdrHopByHop(options=[RouterAlert()])"#,
    "IPv6ExtHdrHopByHop(options=[RouterAlert(value=3), Pad1()])",
    r#"IPv6ExtHdrHopByHop(options=[Pad1(), PadN(optdata=b"ab")])"#,
    "IPv6ExtHdrHopByHop(options=[PadN()])",
    "IPv6ExtHdrHopByHop(autopad=0, options=[RouterAlert()])",
    "IPv6ExtHdrHopByHop(len=5)",
    "IPv6()/IPv6ExtHdrHopByHop()/IPv6ExtHdrHopByHop()",
    r#"IPv6ExtHdrRouting(addresses=["2001:2::1"])"#,
    r#"IPv6ExtHdrRouting(addresses=["2001:2::1","2001:2::2"], segleft=1, type=2, reserved=7)"#,
    "IPv6ExtHdrFragment()",
    "IPv6ExtHdrFragment(offset=100, m=1, id=0x12345678, res1=1, res2=2)",
    "Ether()/IPv6()/IPv6ExtHdrRouting()/IPv6ExtHdrFragment()/IPv6ExtHdrHopByHop()",
    "IPv6()/IPv6ExtHdrFragment()/IP()",
    "IPv6()/IPv6ExtHdrRouting()/IPv6()",
    r#"fragment(IP(dst="198.18.0.2")/("x"*30), fragsize=16)"#,
    r#"fragment(IP(dst="198.18.0.2", flags="DF", options=[IPOption_NOP()])/("x"*30), fragsize=12)"#,
    r#"fragment(Ether()/IP()/(""), fragsize=8)"#,
    r#"fragment(Ether()/IP()/("x"*8), fragsize=8)"#,
    r#"fragment(Ether(src="02:00:00:00:00:01")/IP(src="198.18.0.1", dst="198.18.0.2", frag=3)/("y"*3000))"#,
    r#"fragment(Ether()/IP()/("x"*100), 17)"#,
    r#"fragment(IPv6()/IP()/("x"*100), 40)"#,
    r#"fragment(Ether()/IP()/IP()/("x"*100), 40)"#,
    r#"fragment(IP(frag=8190)/("x"*40), 16)"#,
    r#"fragment(IP(dst="198.18.0.2")/UDP()/("x"*30), fragsize=16)"#,
    r#"fragment(Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1, dport=2)/("z"*3000), fragsize=1000)"#,
    r#"fragment(Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/TCP(flags="S")/("z"*100), fragsize=24)"#,
    r#"fragment(Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/ICMP()/("z"*100), fragsize=64)"#,
    r#"fragment(Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/UDP()/"x"/Padding(b"\x00"*30), fragsize=8)"#,
    r#"Ether()/MPLS()/MPLS()/IP(src="198.18.0.1", dst="198.18.0.2")/UDP()"#,
    r#"Ether()/IPv6(src="2001:2::1", dst="2001:2::2")/IPv6ExtHdrHopByHop()/UDP()/"x""#,
    r#"Ether()/IPv6(src="2001:2::1", dst="2001:2::2")/IPv6ExtHdrFragment()/TCP()"#,
    r#"Ether()/Dot1AD()/Dot1Q()/IPv6()/IPv6ExtHdrRouting(addresses=["2001:2::9"])/ICMPv6EchoRequest()"#,
];

/// The tunnels of issue 23 (Scapy 2.5's contrib `erspan`, `nsh`, `geneve`, `pim`, `mpls`, and
/// GRE's key/sequence/checksum words, VXLAN-GPE, the IPv6 jumbo option).
const TUNNEL_CASES: &[&str] = &[
    "GRE(key_present=1, key=0x1234, seqnum_present=1, sequence_number=7)/IP()",
    "GRE(chksum_present=1, key_present=1, key=42)/Ether()",
    "IP()/GRE()/Ether()/IP()",
    "GRE()/ERSPAN_II()/Ether()",
    "GRE()/ERSPAN_III()/Ether()",
    "GRE()/ERSPAN_I()/Ether()",
    "GRE()/ERSPAN()/Ether()",
    "ERSPAN_II(ver=1, vlan=100, cos=5, en=3, t=1, session_id=77, index=0x12345)",
    "ERSPAN_III(vlan=200, cos=1, bso=2, session_id=1000, timestamp=0x01020304, sgt_other=0x0506, ft=3, hw=9, d=1, gra=2)",
    "ERSPAN_III(o=1)/ERSPAN_PlatformSpecific(platf_id=3, info1=0x12, info2=0xa0b0c0d0)",
    "GRE()/ERSPAN_III()/ERSPAN_PlatformSpecific()/Ether()",
    "ERSPAN_PlatformSpecific()",
    // ERSPAN_I() alone is no bytes at all (no frame in build.py's answer).
    "ERSPAN_I()/Ether()",
    "GRE(seqnum_present=1)/ERSPAN_II()",
    "NSH()",
    "NSH()/IP()",
    "NSH()/IPv6()",
    "NSH()/Ether()",
    "NSH()/NSH()",
    "NSH()/MPLS()",
    "Ether()/NSH()",
    "GRE()/NSH()",
    "VXLAN()/NSH()",
    "NSH(mdtype=2)",
    "NSH(mdtype=2, vlch=[NSHTLV(class_=0x10, type=5)])",
    "NSH(mdtype=2, vlch=[NSHTLV(class_=0x10, type=5), NSHTLV(class_=1, type=2, reserved=1)])",
    r#"NSH(spi=42, si=254, ttl=1, ver=1, oam=1, unused1=1, unused2=3, context_header=b"\x01"*16)"#,
    r#"NSH(context_header=b"ab")"#,
    "NSH(mdtype=1, length=9)",
    r#"NSH(nextproto="IPv6")"#,
    "NSHTLV(class_=0x10, type=5, length=0)",
    "UDP()/MPLS()",
    "UDP(dport=6635)/MPLS()/IP()",
    "GRE()/MPLS()/IP()",
    "UDP(dport=4790)/VXLAN(flags=12, NextProtocol=4)/NSH()/IP()",
    "UDP(dport=4790)/VXLAN()/IP()",
    "UDP()/VXLAN()/IPv6()",
    "PIMv2Hdr()",
    r#"PIMv2Hdr(type=1)/Raw(b"\x00\x00\x00\x00")/IP()"#,
    "IP()/PIMv2Hdr()",
    r#"PIMv2Hdr(type="Register", chksum=5)"#,
    "PIMv2Hdr(version=3, reserved=7)",
    "UDP()/GENEVE()",
    "GENEVE()",
    "GENEVE(vni=0x123456, proto=0x6558, oam=1, critical=1, reserved=5, reserved2=9, version=2)",
    "GENEVE()/Ether()",
    "GENEVE()/IP()",
    "GENEVE()/IPv6()",
    "GENEVE(optionlen=3)",
    r#"GENEVE(options=[GeneveOptions(classid=0x0102, type=0x80, data=b"abcd")])/IP()"#,
    r#"GENEVE(options=[GeneveOptions(data=b"abcdefgh"), GeneveOptions(classid=1, reserved=7, length=1, data=b"wxyz")])"#,
    r#"GENEVE(options=[GeneveOptions(reserved=7, data=b"abc")])"#,
    r#"GENEVE(options=GeneveOptions(type=1), optionlen=9)"#,
    r#"GENEVE(options=[GeneveOptions(data=b"x"*64)])"#,
    "IPv6ExtHdrHopByHop(options=[Jumbo()])",
    "IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)])",
    "IPv6ExtHdrHopByHop(options=[Pad1(), Jumbo(jumboplen=1)])",
    "IPv6ExtHdrHopByHop(options=[RouterAlert(), Jumbo(jumboplen=1)])",
    "IPv6(plen=0)/IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)])/TCP()",
    "IPv6()/IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=28)])/TCP()",
    r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/GRE(seqnum_present=1, sequence_number=5)/ERSPAN_II(ver=1, session_id=77)/Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04")/IP(src="198.18.1.1", dst="198.18.1.2")/UDP()"#,
    r#"Ether()/IPv6(src="2001:db8::1", dst="2001:db8::2")/UDP(sport=49152)/GENEVE(vni=0x123456)/Ether()/IPv6(src="2001:db8:1::1", dst="2001:db8:1::2")/UDP()"#,
    r#"Ether()/IPv6(src="2001:db8::1", dst="2001:db8::2")/UDP(sport=49153)/VXLAN(vni=4242)/Ether()/IP(src="198.18.1.1", dst="198.18.1.2")/TCP()"#,
    r#"Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=49156, dport=6635)/MPLS(label=100, cos=2, ttl=64)/IP(src="198.18.1.1", dst="198.18.1.2")/UDP()"#,
    r#"Ether()/IP(src="198.18.0.1", dst="198.18.0.2")/PIMv2Hdr(type=1)/Raw(b"\x80\x00\x00\x00")/IP(src="198.18.1.1", dst="198.18.1.2")/UDP()/"x""#,
    r#"Ether()/IPv6(src="2001:db8::1", dst="2001:db8::2", plen=0)/IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=65628)])/TCP(flags="PA")"#,
];

#[test]
fn tunnel_layers_match_scapy() {
    if !common::require_root!() {
        return;
    }
    let mut scapy = Scapy::start();
    let failures = differences(&mut scapy, TUNNEL_CASES);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        TUNNEL_CASES.len(),
        failures.join("\n")
    );
}

/// The cases where vethbench's bytes (or error) differ from Scapy's, each with both.
fn differences(scapy: &mut Scapy, cases: &[&str]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let want = scapy
            .build(case)
            .unwrap_or_else(|e| panic!("Scapy fails on {case}: {e}"));
        let got = vethbench::frame::expr::parse(case)
            .and_then(|e| e.build())
            .map_err(|e| e.to_string());
        if got.as_ref() != Ok(&want) {
            failures.push(format!(
                "{case}\n  scapy:     {}\n  vethbench: {}",
                show(&Ok(want)),
                show(&got)
            ));
        }
    }
    failures
}

#[test]
fn link_and_ip_layers_match_scapy() {
    if !common::require_root!() {
        return;
    }
    let mut scapy = Scapy::start();
    let failures = differences(&mut scapy, CASES);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

fn show(r: &Result<Vec<Vec<u8>>, String>) -> String {
    match r {
        Ok(fs) => fs
            .iter()
            .map(|f| f.iter().map(|b| format!("{b:02x}")).collect::<String>())
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("error: {e}"),
    }
}
