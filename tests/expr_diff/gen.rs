//! The generator of random Scapy expressions: plausible stacks (what a test would send), each
//! layer with a random subset of its fields set to random values, written the ways Scapy users
//! write them (decimal or hex ints, flag letters, type names, `b"..."` escapes, `"x"*N`).
//! Every Ether address and IP address is given, so Scapy never consults the host.

/// SplitMix64: small, seeded, reproducible.
pub struct Gen {
    state: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// A random value of `bits` bits, biased towards the edges (0, 1, max).
    fn uint(&mut self, bits: u32) -> u64 {
        let max = if bits >= 64 {
            u64::MAX
        } else {
            (1 << bits) - 1
        };
        match self.below(10) {
            0 => 0,
            1 => max,
            2 => 1.min(max),
            _ => self.next() & max,
        }
    }

    /// An int as Scapy users write it: decimal or hex.
    fn int(&mut self, v: u64) -> String {
        if self.chance(30) {
            format!("{v:#x}")
        } else {
            v.to_string()
        }
    }

    /// `name=value` for a random int field of `bits` bits, with probability `p` percent.
    fn field(&mut self, out: &mut Vec<String>, name: &str, bits: u32, p: u64) {
        if self.chance(p) && self.chance(1) {
            // Scapy packs an explicit None as 0, or computes the field.
            out.push(format!("{name}=None"));
        } else if self.chance(p) {
            let v = self.uint(bits);
            let s = self.int(v);
            out.push(format!("{name}={s}"));
        }
    }

    fn mac(&mut self) -> String {
        let b = self.next().to_be_bytes();
        format!(
            "\"02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\"",
            b[0], b[1], b[2], b[3], b[4]
        )
    }

    fn ip4(&mut self) -> String {
        let v = self.next();
        format!(
            "\"198.{}.{}.{}\"",
            18 + (v & 1),
            (v >> 8) & 0xff,
            (v >> 16) & 0xff
        )
    }

    fn ip6(&mut self) -> String {
        let v = self.next();
        match v % 3 {
            0 => format!("\"2001:2::{:x}\"", (v >> 8) & 0xffff),
            1 => format!(
                "\"2001:2:0:{:x}::{:x}:{:x}\"",
                (v >> 8) & 0xffff,
                (v >> 24) & 0xffff,
                (v >> 40) & 0xffff
            ),
            _ => format!(
                "\"2001:2::{}.{}.{}.{}\"",
                v >> 8 & 0xff,
                v >> 16 & 0xff,
                v >> 24 & 0xff,
                v >> 32 & 0xff
            ),
        }
    }

    fn bytes(&mut self, max: u64) -> Vec<u8> {
        let n = match self.below(6) {
            0 => 0,
            1 => 1,
            _ => self.below(max + 1),
        };
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A payload: nothing, text, binary bytes, `Raw(load=...)`, a repeated string; sometimes
    /// followed by `Padding`.
    fn payload(&mut self, out: &mut Vec<String>) {
        match self.below(7) {
            0 | 1 => {}
            2 => {
                let t: String = (0..self.below(40)).map(|_| self.pick(TEXT)).collect();
                out.push(format!("\"{t}\""));
            }
            3 => {
                let b = self.bytes(80);
                out.push(bytes_lit(&b));
            }
            4 => {
                let b = self.bytes(300);
                out.push(format!("Raw(load={})", bytes_lit(&b)));
            }
            5 => {
                let c = self.pick(TEXT);
                let n = self.below(200);
                // Parenthesized: `"x"*3/Padding()` is `"x"*(3/Padding())` in Python.
                out.push(format!("(\"{c}\"*{n})"));
            }
            _ => out.push("\"é\\n\\t\\x00\"".into()),
        }
        if self.chance(5) {
            let b = self.bytes(20);
            out.push(format!("Padding(load={})", bytes_lit(&b)));
        }
    }

    /// One expression.
    pub fn frame(&mut self) -> String {
        let mut out = Vec::new();
        match self.below(20) {
            // fragment(): IPv4 over Ether, fragsize a multiple of 8.
            0 | 1 => {
                self.ether(&mut out, false);
                // Without source routes: Scapy's fragment() sends every fragment to the last
                // router once a checksum was computed (in4_pseudoheader sets IP.dst), a Scapy
                // bug vethbench does not copy. `frag` below 4096: vethbench's fragment() does
                // not yet wrap an offset past 13 bits into the flags as Scapy does (issue 10).
                self.ip_with(&mut out, false);
                match self.below(3) {
                    0 => self.udp(&mut out),
                    1 => self.tcp(&mut out),
                    _ => self.icmp_echo(&mut out),
                }
                let b = self.bytes(200);
                out.push(bytes_lit(&b));
                let size = 8 * (1 + self.below(24));
                let kw = if self.chance(50) { "fragsize=" } else { "" };
                return format!("fragment({}, {kw}{size})", out.join("/"));
            }
            // No link layer.
            2 | 3 => self.l3(&mut out, 0),
            _ => {
                self.ether(&mut out, true);
                self.l3(&mut out, 0);
            }
        }
        out.join("/")
    }

    fn ether(&mut self, out: &mut Vec<String>, tags: bool) {
        let (d, s) = (self.mac(), self.mac());
        out.push(match self.below(3) {
            0 => format!("Ether(src={s}, dst={d})"),
            _ => format!("Ether(dst={d}, src={s})"),
        });
        if tags {
            for _ in 0..self.pick(&[0, 0, 0, 1, 1, 2]) {
                let mut f = Vec::new();
                self.field(&mut f, "prio", 3, 40);
                self.field(&mut f, "id", 1, 30);
                self.field(&mut f, "vlan", 12, 80);
                let name = self.pick(&["Dot1Q", "Dot1Q", "Dot1AD"]);
                out.push(format!("{name}({})", f.join(", ")));
            }
            if self.chance(8) {
                for _ in 0..1 + self.below(3) {
                    let mut f = Vec::new();
                    self.field(&mut f, "label", 20, 80);
                    self.field(&mut f, "cos", 3, 30);
                    self.field(&mut f, "ttl", 8, 50);
                    self.field(&mut f, "s", 1, 10);
                    out.push(format!("MPLS({})", f.join(", ")));
                }
            }
        }
    }

    /// A network layer and what it carries; `depth` counts tunnels already crossed.
    fn l3(&mut self, out: &mut Vec<String>, depth: u32) {
        match self.below(10) {
            0..=4 => {
                self.ip(out);
                self.ip_upper(out, depth);
            }
            5..=8 => {
                self.ipv6(out);
                self.ipv6_upper(out, depth);
            }
            _ => self.arp(out),
        }
    }

    fn arp(&mut self, out: &mut Vec<String>) {
        let mut f = vec![
            format!("hwsrc={}", self.mac()),
            format!("psrc={}", self.ip4()),
            format!("pdst={}", self.ip4()),
        ];
        if self.chance(60) {
            f.push(format!("hwdst={}", self.mac()));
        }
        if self.chance(50) {
            let op = self.pick(&["1", "2", "\"who-has\"", "\"is-at\"", "3"]);
            f.push(format!("op={op}"));
        }
        self.field(&mut f, "hwtype", 16, 10);
        self.field(&mut f, "ptype", 16, 5);
        out.push(format!("ARP({})", shuffle(self, f).join(", ")));
        if self.chance(30) {
            self.payload(out);
        }
    }

    fn ip(&mut self, out: &mut Vec<String>) {
        self.ip_with(out, true)
    }

    /// `routes`: false inside `fragment()` (see [`Gen::frame`]).
    fn ip_with(&mut self, out: &mut Vec<String>, routes: bool) {
        let mut f = vec![format!("src={}", self.ip4()), format!("dst={}", self.ip4())];
        self.field(&mut f, "tos", 8, 30);
        self.field(&mut f, "id", 16, 40);
        self.field(&mut f, "ttl", 8, 40);
        if self.chance(30) {
            let fl = self.pick(&[
                "0",
                "1",
                "2",
                "4",
                "7",
                "\"DF\"",
                "\"MF\"",
                "\"DF+MF\"",
                "\"evil\"",
            ]);
            f.push(format!("flags={fl}"));
        }
        self.field(&mut f, "frag", if routes { 13 } else { 12 }, 8);
        self.field(&mut f, "chksum", 16, 5);
        if self.chance(4) {
            let l = 20 + self.below(200);
            f.push(format!("len={l}"));
        }
        if self.chance(12) {
            let mut o = Vec::new();
            for _ in 0..1 + self.below(4) {
                o.push(match self.below(5) {
                    0 if !routes => "IPOption_NOP()".to_string(),
                    // A loose or strict source route: the pseudo-header's destination is its
                    // last router.
                    0 => {
                        let kind = self.pick(&[0x83, 0x89]);
                        let n = self.below(3) as u8;
                        let mut b = vec![kind, 3 + 4 * n, 4];
                        for _ in 0..n {
                            b.extend_from_slice(&[198, 18, self.next() as u8, self.next() as u8]);
                        }
                        format!("IPOption({})", bytes_lit(&b))
                    }
                    k => [
                        "IPOption_NOP()",
                        "IPOption_EOL()",
                        "IPOption_Router_Alert()",
                        "IPOption_NOP()",
                    ][k as usize - 1]
                        .to_string(),
                });
            }
            f.push(format!("options=[{}]", o.join(", ")));
        }
        out.push(format!("IP({})", shuffle(self, f).join(", ")));
    }

    fn ipv6(&mut self, out: &mut Vec<String>) {
        let mut f = vec![format!("src={}", self.ip6()), format!("dst={}", self.ip6())];
        self.field(&mut f, "tc", 8, 30);
        self.field(&mut f, "fl", 20, 30);
        self.field(&mut f, "hlim", 8, 40);
        out.push(format!("IPv6({})", shuffle(self, f).join(", ")));
        for _ in 0..self.pick(&[0, 0, 0, 1, 1, 2]) {
            match self.below(3) {
                0 => out.push("IPv6ExtHdrHopByHop()".into()),
                1 => {
                    let mut f = Vec::new();
                    let n = self.below(4);
                    let a: Vec<String> = (0..n).map(|_| self.ip6()).collect();
                    f.push(format!("addresses=[{}]", a.join(", ")));
                    if self.chance(30) {
                        let s = self.below(3);
                        f.push(format!("segleft={s}"));
                    }
                    out.push(format!("IPv6ExtHdrRouting({})", f.join(", ")));
                }
                _ => {
                    let mut f = Vec::new();
                    self.field(&mut f, "offset", 13, 30);
                    self.field(&mut f, "m", 1, 30);
                    self.field(&mut f, "id", 32, 50);
                    out.push(format!("IPv6ExtHdrFragment({})", f.join(", ")));
                }
            }
        }
    }

    fn ip_upper(&mut self, out: &mut Vec<String>, depth: u32) {
        match self.below(12) {
            0..=2 => self.tcp(out),
            3..=4 => self.udp(out),
            5..=7 => return self.icmp(out, depth),
            8 if depth == 0 => return self.gre(out, depth),
            9 if depth == 0 => return self.vxlan(out, depth),
            _ => {}
        }
        self.payload(out);
    }

    fn ipv6_upper(&mut self, out: &mut Vec<String>, depth: u32) {
        match self.below(12) {
            0..=2 => self.tcp(out),
            3..=4 => self.udp(out),
            5..=8 => return self.icmpv6(out, depth),
            9 if depth == 0 => return self.gre(out, depth),
            10 if depth == 0 => return self.vxlan(out, depth),
            _ => {}
        }
        self.payload(out);
    }

    /// A port, sometimes by its /etc/services name (`names`: ones both tables have).
    fn port(&mut self, f: &mut Vec<String>, name: &str, names: &[&str]) {
        if self.chance(60) {
            let p = if self.chance(8) {
                self.pick(names).to_string()
            } else {
                let v = self.uint(16);
                self.int(v)
            };
            f.push(format!("{name}={p}"));
        }
    }

    fn tcp(&mut self, out: &mut Vec<String>) {
        let mut f = Vec::new();
        let names = ["\"domain\"", "\"http\"", "\"ssh\""];
        self.port(&mut f, "sport", &names);
        self.port(&mut f, "dport", &names);
        self.field(&mut f, "seq", 32, 40);
        self.field(&mut f, "ack", 32, 30);
        self.field(&mut f, "window", 16, 30);
        self.field(&mut f, "urgptr", 16, 10);
        self.field(&mut f, "reserved", 3, 5);
        self.field(&mut f, "chksum", 16, 5);
        if self.chance(4) {
            let d = 5 + self.below(11);
            f.push(format!("dataofs={d}"));
        }
        if self.chance(50) {
            let fl = if self.chance(30) {
                let v = self.uint(9);
                self.int(v)
            } else if self.chance(10) {
                let n = self.below(3);
                let v: Vec<String> = (0..n)
                    .map(|_| format!("\"{}\"", self.pick(&['F', 'S', 'A', 'E'])))
                    .collect();
                format!("[{}]", v.join(", "))
            } else {
                let n = self.below(4);
                let s: String = (0..n)
                    .map(|_| self.pick(&['F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'N']))
                    .collect();
                format!("\"{s}\"")
            };
            f.push(format!("flags={fl}"));
        }
        if self.chance(3) {
            // Past 40 bytes: dataofs wraps as in Scapy.
            let n = 30 + self.below(30);
            f.push(format!("options=[(\"NOP\", None)]*{n}"));
        } else if self.chance(40) {
            let mut o = Vec::new();
            for _ in 0..self.below(7) {
                o.push(match self.below(11) {
                    0 => format!("(\"MSS\", {})", self.uint(16)),
                    1 => "(\"NOP\", None)".into(),
                    2 => "(\"EOL\", None)".into(),
                    3 => format!("(\"WScale\", {})", self.uint(8)),
                    4 => "(\"SAckOK\", b\"\")".into(),
                    5 => {
                        let n = 1 + self.below(4);
                        let v: Vec<String> = (0..n).map(|_| self.uint(32).to_string()).collect();
                        format!("(\"SAck\", ({},))", v.join(", "))
                    }
                    6 => format!("(\"Timestamp\", ({}, {}))", self.uint(32), self.uint(32)),
                    7 => format!("(\"UTO\", {})", self.uint(16)),
                    8 => format!("(\"AltChkSum\", ({}, {}))", self.uint(8), self.uint(16)),
                    9 => {
                        let b = self.bytes(16);
                        format!("(\"MD5\", {})", bytes_lit(&b))
                    }
                    _ => {
                        let b = self.bytes(6);
                        format!("({}, {})", 200 + self.below(50), bytes_lit(&b))
                    }
                });
            }
            f.push(format!("options=[{}]", o.join(", ")));
        }
        out.push(format!("TCP({})", shuffle(self, f).join(", ")));
    }

    fn udp(&mut self, out: &mut Vec<String>) {
        let mut f = Vec::new();
        let names = ["\"domain\"", "\"ntp\""];
        self.port(&mut f, "sport", &names);
        self.port(&mut f, "dport", &names);
        self.field(&mut f, "len", 16, 4);
        self.field(&mut f, "chksum", 16, 5);
        out.push(format!("UDP({})", shuffle(self, f).join(", ")));
    }

    fn icmp_echo(&mut self, out: &mut Vec<String>) {
        let mut f = Vec::new();
        self.field(&mut f, "id", 16, 50);
        self.field(&mut f, "seq", 16, 50);
        out.push(format!("ICMP({})", f.join(", ")));
    }

    fn icmp(&mut self, out: &mut Vec<String>, depth: u32) {
        let t = self.pick(&[
            0u64, 3, 3, 4, 5, 8, 8, 9, 10, 11, 11, 12, 13, 14, 15, 16, 17, 18, 30, 40, 77,
        ]);
        let mut f = Vec::new();
        let names: &[(u64, &str)] = &[
            (0, "echo-reply"),
            (3, "dest-unreach"),
            (5, "redirect"),
            (8, "echo-request"),
            (11, "time-exceeded"),
            (12, "parameter-problem"),
            (13, "timestamp-request"),
            (17, "address-mask-request"),
        ];
        match names.iter().find(|(n, _)| *n == t) {
            Some((_, name)) if self.chance(40) => f.push(format!("type=\"{name}\"")),
            _ if t == 8 && self.chance(40) => {}
            _ => f.push(format!("type={t}")),
        }
        match (t, self.below(3)) {
            (3, 0) => f.push("code=\"port-unreachable\"".into()),
            (11, 0) => f.push("code=\"ttl-zero-during-reassembly\"".into()),
            (5, 0) => f.push("code=\"host-redirect\"".into()),
            (_, 1) => self.field(&mut f, "code", 8, 100),
            _ => {}
        }
        for (n, bits) in [
            ("id", 16),
            ("seq", 16),
            ("ptr", 8),
            ("reserved", 8),
            ("length", 8),
            ("nexthopmtu", 16),
        ] {
            self.field(&mut f, n, bits, 25);
        }
        if t == 11 || t == 12 || self.chance(10) {
            let bits = if t == 11 || t == 12 { 16 } else { 32 };
            self.field(&mut f, "unused", bits, 40);
        }
        if t == 13 || t == 14 {
            for n in ["ts_ori", "ts_rx", "ts_tx"] {
                let v = self.below(86_400_000);
                f.push(format!("{n}={v}"));
            }
        }
        if t == 5 || self.chance(10) {
            f.push(format!("gw={}", self.ip4()));
        }
        if t == 17 || t == 18 {
            f.push(format!(
                "addr_mask={}",
                self.pick(&["\"255.255.255.0\"", "\"255.254.0.0\""])
            ));
        }
        self.field(&mut f, "chksum", 16, 5);
        out.push(format!("ICMP({})", shuffle(self, f).join(", ")));
        if matches!(t, 3 | 4 | 5 | 11 | 12) && depth == 0 && self.chance(70) {
            // The quoted datagram.
            self.ip(out);
            match self.below(3) {
                0 => self.udp(out),
                1 => self.tcp(out),
                _ => self.icmp_echo(out),
            }
            if self.chance(30) {
                let b = self.bytes(8);
                out.push(bytes_lit(&b));
            }
        } else {
            self.payload(out);
        }
    }

    fn icmpv6(&mut self, out: &mut Vec<String>, depth: u32) {
        let mut f = Vec::new();
        self.field(&mut f, "cksum", 16, 4);
        let name = match self.below(11) {
            0 | 1 => {
                self.field(&mut f, "id", 16, 50);
                self.field(&mut f, "seq", 16, 50);
                if self.chance(30) {
                    let b = self.bytes(30);
                    f.push(format!("data={}", bytes_lit(&b)));
                }
                self.pick(&["ICMPv6EchoRequest", "ICMPv6EchoReply"])
            }
            2 => {
                self.field(&mut f, "res", 32, 20);
                "ICMPv6ND_RS"
            }
            3 => {
                for (n, bits) in [
                    ("chlim", 8),
                    ("M", 1),
                    ("O", 1),
                    ("H", 1),
                    ("prf", 2),
                    ("P", 1),
                    ("res", 2),
                    ("routerlifetime", 16),
                    ("reachabletime", 32),
                    ("retranstimer", 32),
                ] {
                    self.field(&mut f, n, bits, 30);
                }
                "ICMPv6ND_RA"
            }
            4 => {
                f.push(format!("tgt={}", self.ip6()));
                self.field(&mut f, "res", 32, 10);
                "ICMPv6ND_NS"
            }
            5 => {
                f.push(format!("tgt={}", self.ip6()));
                for (n, bits) in [("R", 1), ("S", 1), ("O", 1), ("res", 29)] {
                    self.field(&mut f, n, bits, 30);
                }
                "ICMPv6ND_NA"
            }
            6 => {
                self.field(&mut f, "code", 8, 40);
                self.field(&mut f, "length", 8, 20);
                self.field(&mut f, "unused", 24, 10);
                "ICMPv6DestUnreach"
            }
            7 => {
                self.field(&mut f, "code", 8, 40);
                self.field(&mut f, "length", 8, 20);
                "ICMPv6TimeExceeded"
            }
            8 => {
                self.field(&mut f, "code", 8, 40);
                self.field(&mut f, "ptr", 32, 40);
                "ICMPv6ParamProblem"
            }
            _ => {
                self.field(&mut f, "mtu", 32, 60);
                "ICMPv6PacketTooBig"
            }
        };
        if self.chance(5) {
            let t = self.pick(&[
                "\"Echo Request\"",
                "\"Time exceeded\"",
                "\"Neighbor Solicitation\"",
                "200",
            ]);
            f.push(format!("type={t}"));
        }
        out.push(format!("{name}({})", shuffle(self, f).join(", ")));
        if name.starts_with("ICMPv6ND") {
            for _ in 0..self.below(3) {
                let o = self.pick(&["ICMPv6NDOptSrcLLAddr", "ICMPv6NDOptDstLLAddr"]);
                out.push(format!("{o}(lladdr={})", self.mac()));
            }
        } else if !name.starts_with("ICMPv6Echo") && depth == 0 && self.chance(70) {
            self.ipv6(out);
            if self.chance(50) {
                self.udp(out)
            } else {
                self.tcp(out)
            }
        } else {
            self.payload(out);
        }
    }

    fn gre(&mut self, out: &mut Vec<String>, depth: u32) {
        let mut f = Vec::new();
        for n in [
            "chksum_present",
            "routing_present",
            "key_present",
            "seqnum_present",
        ] {
            self.field(&mut f, n, 1, 30);
        }
        for (n, bits, p) in [
            ("strict_route_source", 1, 5),
            ("recursion_control", 3, 5),
            ("flags", 5, 5),
            ("version", 3, 5),
            ("chksum", 16, 5),
            ("offset", 16, 10),
            ("key", 32, 30),
            ("sequence_number", 32, 30),
        ] {
            self.field(&mut f, n, bits, p);
        }
        out.push(format!("GRE({})", shuffle(self, f).join(", ")));
        match self.below(4) {
            0 => {
                self.ip(out);
                self.ip_upper(out, depth + 1);
            }
            1 => {
                self.ipv6(out);
                self.ipv6_upper(out, depth + 1);
            }
            2 => {
                self.ether(out, false);
                self.l3(out, depth + 1);
            }
            3 if self.chance(30) => {
                // No IP just below: Scapy leaves the checksum 0.
                if self.chance(50) {
                    self.udp(out)
                } else {
                    self.tcp(out)
                }
                self.payload(out);
            }
            _ => self.payload(out),
        }
    }

    fn vxlan(&mut self, out: &mut Vec<String>, depth: u32) {
        let mut u = Vec::new();
        if self.chance(50) {
            u.push("dport=4789".into());
        }
        self.field(&mut u, "chksum", 16, 3);
        out.push(format!("UDP({})", u.join(", ")));
        let mut f = Vec::new();
        if self.chance(25) {
            let fl = self.pick(&[
                "8",
                "0x0c",
                "0x88",
                "\"Instance+G\"",
                "0x8c",
                "0",
                "[\"Instance\", \"NextProtocol\"]",
                "\"OAM+Instance\"",
            ]);
            f.push(format!("flags={fl}"));
        }
        self.field(&mut f, "vni", 24, 80);
        for (n, bits) in [
            ("reserved0", 16),
            ("reserved1", 24),
            ("reserved2", 8),
            ("gpid", 16),
            ("NextProtocol", 8),
        ] {
            self.field(&mut f, n, bits, 8);
        }
        out.push(format!("VXLAN({})", shuffle(self, f).join(", ")));
        if self.chance(85) {
            self.ether(out, false);
            self.l3(out, depth + 1);
        } else {
            self.payload(out);
        }
    }
}

fn shuffle(g: &mut Gen, mut v: Vec<String>) -> Vec<String> {
    for i in (1..v.len()).rev() {
        let j = g.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
    v
}

const TEXT: &[char] = &[
    'a', 'b', 'x', 'Z', '0', ' ', '/', '(', ')', ',', '=', '\'', '%',
];

/// `b"..."` with escapes for what is not printable ASCII.
fn bytes_lit(b: &[u8]) -> String {
    let mut s = String::from("b\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

/// The layer names in an expression (`Name(`), for the coverage line.
pub fn layer_names(e: &str) -> Vec<String> {
    let mut names = Vec::new();
    let b = e.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c.is_ascii_uppercase() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let st = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if b.get(i) == Some(&b'(') && !e[st..i].starts_with("IPOption") {
                names.push(e[st..i].to_string());
            }
            continue;
        }
        i += 1;
    }
    if e.starts_with("fragment(") {
        names.push("fragment()".into());
    }
    names.sort();
    names.dedup();
    names
}
