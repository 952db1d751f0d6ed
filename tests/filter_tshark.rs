//! Display filters (`read -Y`, `capture -Y`) against tshark 4.0 itself (issue 19, item 1):
//! a table of filters, each operator and keyword form, the either-direction fields, CIDR
//! blocks, slices, sets with ranges, `contains`, `matches`, repeated fields, numbers in
//! several bases, booleans, strings and existence, whose selected frame numbers must equal
//! `tshark -Y`'s on the kept captures (`fixtures/captures/*`, the three-interface file
//! included) and a capture of the golden frames (`fixtures/frames/*.hex`); bad filters (unknown
//! field, operator, type mismatch) exit 2 with one line naming the column tshark's caret
//! points at; `capture -Y` on live traffic on a veth pair in a namespace the test makes; and
//! the BPF filter after the file against `tcpdump -r FILE EXPR`.
//!
//! The files are concatenated into one pcapng by `mergecap -a`, and tshark runs once for all
//! the filters: a Lua tap per filter (`Listener.new(nil, FILTER)`, the display-filter engine
//! `-Y` uses) prints the numbers of the frames it passes; a few filters are also run with
//! `-Y` itself to show the two agree. The frames where vethbench differs on purpose are left
//! out of the comparison, each with its reason (`KNOWN`; docs/read.md, "Display filters").

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::tshark::{captures_dir, have, stdout, NO_DEFRAG, TSHARK_OPTS};

/// Each filter, as tshark 4.0 reads it.
const FILTERS: &[&str] = &[
    // Protocols: existence.
    "tcp",
    "udp",
    "arp",
    "icmp",
    "ip",
    "ipv6",
    "vlan",
    "eth",
    "mpls",
    "gre",
    "vxlan",
    "geneve",
    "llc",
    "icmpv6",
    "igmp",
    "ieee8021ad",
    // Logic, symbols and words.
    "!tcp",
    "not udp",
    "tcp && ip",
    "tcp and ip",
    "udp || arp",
    "udp or arp",
    "(udp || tcp) && !vlan",
    "!(ip.src == 198.18.0.1)",
    "not ip.addr == 198.18.0.1",
    "ip.src == 198.18.0.1 && ip.dst == 198.18.0.2",
    // Each comparison, symbol and word.
    "ip.ttl == 64",
    "ip.ttl eq 64",
    "ip.ttl != 64",
    "ip.ttl ne 64",
    "ip.ttl < 64",
    "ip.ttl lt 64",
    "ip.ttl <= 63",
    "ip.ttl le 63",
    "ip.ttl > 63",
    "ip.ttl gt 1",
    "ip.ttl >= 64",
    "ip.ttl ge 64",
    // Numbers in other bases.
    "ip.ttl == 0x40",
    "ip.ttl == 0100",
    "eth.type == 0x0806",
    "tcp.flags == 0x012",
    // Either-direction fields, and tshark 4's semantics for fields present twice.
    "ip.addr == 198.18.0.1",
    "ip.addr != 198.18.0.1",
    "ip.addr ~= 198.18.0.1",
    "ip.addr === 198.18.0.1",
    "ip.addr !== 198.18.0.1",
    "eth.addr == 02:00:00:00:00:01",
    "tcp.port == 80",
    "udp.port == 2222",
    "ipv6.addr == 2001:2::1",
    "vlan.id == 100",
    "vlan.id == 200",
    "vlan.id != 100",
    "vlan.id === 100",
    "vlan.id ~= 100",
    // CIDR blocks.
    "ip.src == 198.18.0.0/15",
    "ip.dst == 198.18.2.0/24",
    "ip.addr == 10.0.0.0/8",
    "ip.src != 198.18.0.0/16",
    "ip.src == 198.18.0.1/32",
    "ip.addr != 198.18.0.0/16",
    "ipv6.src == 2001:2::/32",
    // Addresses and MACs written several ways.
    "eth.src == 02:00:00:00:00:01",
    "eth.dst == ff:ff:ff:ff:ff:ff",
    "eth.src == 22-11-11-11-11-11",
    "eth.src == 2211.1111.1111",
    "ipv6.dst == ff02::1",
    "arp.src.proto_ipv4 == 198.18.0.1",
    // Slices.
    "eth.src[0:3] == 02:00:00",
    "eth.dst[0] == 0xff",
    "eth.src[4-5] == 00:01",
    "eth.src[-1] == 01",
    "eth.src[3:] == 00:00:01",
    "frame[12:2] == 08:00",
    "ip[0] == 45",
    "tcp[13] == 02",
    // Sets, with ranges.
    "tcp.port in {80, 443, 2222}",
    "udp.port in {40000..40010, 9}",
    "tcp.dstport in {42000..43000}",
    "icmp.type in {0, 8}",
    "ip.addr in {198.18.0.1, 198.18.1.1}",
    "ip.src in {198.18.0.0/16}",
    "frame.number in {1, 3..5}",
    // contains and matches.
    "frame contains \"hello\"",
    "frame contains 68:65:6c:6c:6f",
    "udp contains \"qinq\"",
    "data contains \"ping\"",
    "eth.src contains 02:00",
    "frame matches \"h.llo\"",
    "frame matches \"HELLO\"",
    "frame matches \"(?-i)HELLO\"",
    "frame contains \"HELLO\"",
    "frame.interface_name contains \"eth0\"",
    "frame.interface_name matches \"^h[12]-\"",
    // Booleans and bits.
    "ip.flags.df == 1",
    "ip.flags.df == True",
    "ip.flags.df == TRUE",
    "ip.flags.df == FALSE",
    "ip.flags.mf",
    "tcp.flags.syn == 1",
    "tcp.flags.syn && !tcp.flags.ack",
    "tcp.flags.ack == 0",
    // Other fields, by type.
    "ip.frag_offset > 0",
    "ip.len == 0",
    "ip.id == 77",
    "ip.proto == 17",
    "ip.dsfield == 0",
    "udp.length > 10",
    "udp.srcport == 41111",
    "tcp.srcport >= 41000 and tcp.srcport <= 41200",
    "tcp.seq == 0",
    "tcp.len > 0",
    "tcp.window_size_value == 8192",
    "tcp.options",
    "icmp.seq == 1",
    "icmpv6.type == 135",
    "ipv6.nxt == 17",
    "ipv6.hlim == 64",
    "mpls.label == 16",
    "vxlan.vni == 42",
    // The tunnels of issue 23 (fixtures/captures/tunnels.pcap).
    "erspan",
    "nsh",
    "pim",
    "gre.key == 0x1234",
    "gre.flags.sequence_number == 1",
    "gre.flags.key && gre.proto == 0x6558",
    "gre.sequence_number > 8",
    "erspan.version == 2",
    "erspan.spanid == 77",
    "erspan.platid == 5",
    "erspan.direction",
    "vxlan.next_proto == 4",
    "vxlan.flag_i == 1",
    "geneve.vni == 0x123456",
    "geneve.option.class == 0x0102",
    "nsh.spi == 42",
    "nsh.mdtype == 2",
    "pim.register_flag.border",
    "pim.type == 1",
    "ipv6.opt.jumbo > 65535",
    "ipv6.hopopts.len_oct == 8",
    "mpls.label == 100",
    "arp.opcode == 1",
    // frame.*, strings, the interface fields of pcapng files.
    "frame.len > 100",
    "frame.len >= 60 && frame.len <= 64",
    "frame.cap_len < 60",
    "frame.number <= 3",
    "frame.time_relative > 0.5",
    "frame.interface_id == 1",
    "frame.interface_name == \"r1-eth1\"",
    "frame.interface_description",
    "frame.interface_description contains \"r1\"",
];

/// Frames where vethbench differs on purpose (docs/read.md, "Display filters"): the file, the
/// frame number in it, why. They are left out of the comparison.
const KNOWN: &[(&str, u64, &str)] = &[
    (
        "golden-frames.pcap",
        8,
        "expr_ip_broken: an IPv4 header with IHL 4 is not an `ip` layer for the packet view; \
         tshark has `ip` (malformed)",
    ),
    (
        "golden-frames.pcap",
        13,
        "expr_qinq: IPv4 protocol 0, whose payload tshark hands to its IPv6 hop-by-hop \
         dissector (README: `data`)",
    ),
];

/// A classic pcap (µs) holding `frames`.
fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    // Magic, version 2.4, zone, sigfigs, snaplen, link type 1 (Ethernet).
    let mut b = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    b.extend_from_slice(&[2, 0, 4, 0]);
    for x in [0u32, 0, 65535, 1] {
        b.extend_from_slice(&x.to_le_bytes());
    }
    for (i, f) in frames.iter().enumerate() {
        for x in [1_700_000_000 + i as u32, 0, f.len() as u32, f.len() as u32] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        b.extend_from_slice(f);
    }
    std::fs::write(path, b).unwrap();
}

/// The kept captures and the golden frames' pcap (written into `dir`), in order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    let mut golden: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/frames"))
            .unwrap()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".hex")
                    .map(str::to_string)
            })
            .collect();
    golden.sort();
    let frames: Vec<Vec<u8>> = golden.iter().map(|n| common::golden_frame(n)).collect();
    let gp = dir.join("golden-frames.pcap");
    write_pcap(&gp, &frames);
    files.push(gp);
    files
}

/// The frame numbers a filter selects, one per line of `-T fields -e frame.number`.
fn numbers(out: &str) -> Vec<u64> {
    out.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn ours(file: &Path, args: &[&str]) -> Vec<u64> {
    let mut c = common::vethbench();
    c.arg("read").args(NO_DEFRAG).arg(file).args(args);
    c.args(["-T", "fields", "-e", "frame.number"]);
    numbers(&stdout(c))
}

fn theirs(file: &Path, filter: &str) -> Vec<u64> {
    let mut c = Command::new("tshark");
    c.arg("-r").arg(file).args(TSHARK_OPTS).args(["-Y", filter]);
    c.args(["-T", "fields", "-e", "frame.number"]);
    numbers(&stdout(c))
}

/// tshark's selection for every filter, from one run: a Lua tap per filter.
fn theirs_all(dir: &Path, file: &Path, filters: &[&str]) -> Vec<Vec<u64>> {
    let list = dir.join("filters.txt");
    std::fs::write(&list, filters.join("\n") + "\n").unwrap();
    let lua = dir.join("taps.lua");
    std::fs::write(
        &lua,
        r#"
local filters = {}
for line in io.lines(os.getenv("VB_FILTERS")) do filters[#filters + 1] = line end
for i, f in ipairs(filters) do
  local ok, tap = pcall(Listener.new, nil, f)
  if ok then
    function tap.packet(pinfo) io.write(i, " ", pinfo.number, "\n") end
  else
    io.write(i, " error\n")
  end
end
"#,
    )
    .unwrap();
    let mut c = Command::new("tshark");
    c.env("VB_FILTERS", &list)
        .arg("-r")
        .arg(file)
        .args(TSHARK_OPTS);
    c.arg("-q")
        .arg("-X")
        .arg(format!("lua_script:{}", lua.display()));
    let out = stdout(c);
    let mut sel = vec![Vec::new(); filters.len()];
    for l in out.lines() {
        let Some((i, n)) = l.split_once(' ') else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        assert_ne!(n, "error", "tshark refuses {}", filters[i - 1]);
        sel[i - 1].push(n.parse().unwrap());
    }
    sel
}

#[test]
fn filters_select_what_tshark_selects() {
    if !have("tshark") || !have("mergecap") {
        common::skip!("tshark/mergecap is not installed");
        return;
    }
    assert!(FILTERS.len() >= 80, "{} filters", FILTERS.len());
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path());
    // One file: the others one after the other (mergecap -a), interfaces kept.
    let all = dir.path().join("all.pcapng");
    let st = Command::new("mergecap")
        .arg("-a")
        .arg("-w")
        .arg(&all)
        .args(&files)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "mergecap");
    // The frames left out: their numbers in the merged file.
    let mut skip = Vec::new();
    let mut base = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        for (k, n, _) in KNOWN {
            if *k == name {
                skip.push(base + n);
            }
        }
        base += ours(f, &[]).len() as u64;
    }
    assert_eq!(ours(&all, &[]).len() as u64, base, "the merged file");
    let tshark = theirs_all(dir.path(), &all, FILTERS);
    // The taps select what -Y selects.
    for (i, flt) in FILTERS.iter().enumerate().step_by(29) {
        assert_eq!(tshark[i], theirs(&all, flt), "tap and -Y differ on {flt}");
    }
    let mut diffs = Vec::new();
    let mut selective = 0;
    for (flt, b) in FILTERS.iter().zip(tshark) {
        let keep =
            |v: Vec<u64>| -> Vec<u64> { v.into_iter().filter(|n| !skip.contains(n)).collect() };
        let (a, b) = (keep(ours(&all, &["-Y", flt])), keep(b));
        if a != b {
            diffs.push(format!("{flt}\n   ours   {a:?}\n   tshark {b:?}"));
        }
        // A filter that selects all or nothing proves little: most must select some.
        if !b.is_empty() && (b.len() as u64) < base - skip.len() as u64 {
            selective += 1;
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} filters differ from tshark:\n{}",
        diffs.len(),
        FILTERS.len(),
        diffs.join("\n")
    );
    assert!(
        selective * 10 >= FILTERS.len() * 8,
        "only {selective} filters select some but not all frames"
    );
}

/// tshark's caret column (1-based) in its error, when it shows one.
fn tshark_caret(filter: &str) -> Option<usize> {
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(captures_dir().join("layers.pcap"))
        .args(["-Y", filter])
        .output()
        .unwrap();
    assert!(!out.status.success(), "tshark accepted {filter}");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.trim_start().starts_with('^'))?;
    // tshark indents the filter and the caret line by 4.
    Some(line.find('^')? - 4 + 1)
}

#[test]
fn bad_filters_are_one_line_with_the_column_exit_2() {
    // (filter, what the message says, column)
    let cases: &[(&str, &str, usize)] = &[
        ("ip.nope == 1", "not a field", 1),
        ("udp && ip.tll == 3", "did you mean 'ip.ttl'", 8),
        ("ip.ttl =  80", "", 8),
        ("ip.ttl foo 3", "", 8),
        ("ip.ttl contains 4", "contains", 1),
        ("ip.src == \"198.18.0.1\"", "IPv4 address", 11),
        ("ip.src == 198.18.0.1/33", "IPv4 address", 11),
        ("ip.ttl == 1e3", "unsigned integer", 11),
        ("tcp.port in {80 443 x}", "commas", 17),
        ("vlan.id in {100 200}", "commas", 17),
        ("udp.port in {40000..x}", "unsigned integer", 21),
        ("eth.src == 02:00:00", "Ethernet address", 12),
        ("frame.len == 1.5", "unsigned integer", 14),
        ("(udp", "", 5),
    ];
    let file = captures_dir().join("layers.pcap");
    for (flt, needle, col) in cases {
        let out = common::vethbench()
            .arg("read")
            .args(NO_DEFRAG)
            .arg(&file)
            .args(["-Y", flt])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flt}: {err}");
        assert_eq!(err.lines().count(), 1, "{flt}: not one line: {err}");
        assert!(out.stdout.is_empty(), "{flt}: printed frames");
        assert!(err.contains(needle), "{flt}: '{needle}' not in {err}");
        assert!(err.contains(&format!("column {col}:")), "{flt}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if have("tshark") {
            if let Some(c) = tshark_caret(flt) {
                assert_eq!(c, *col, "{flt}: tshark's caret is at column {c}: {err}");
            }
        }
    }
    // The same on capture -Y, before anything is opened.
    let out = common::vethbench()
        .args(["capture", "nosuchif0", "-Y", "ip.nope"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("column 1:") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn a_bpf_filter_after_the_file_selects_what_tcpdump_does() {
    if !have("tcpdump") {
        common::skip!("tcpdump is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exprs = [
        "tcp",
        "udp port 42222",
        "host 198.18.0.1",
        "net 198.18.0.0/15 and not icmp",
        "ether src 02:00:00:00:00:01",
        "vlan 100",
        "vlan and udp",
        "arp or icmp",
        "greater 100",
        "ip[8] == 64",
        "tcp[tcpflags] & tcp-syn != 0",
        "ip6",
    ];
    for file in files(dir.path()) {
        // tcpdump prints a line per frame starting with its time (and the frame a VXLAN
        // carries on lines of their own); -c makes both stop at the same frame.
        for e in exprs {
            let mut c = Command::new("tcpdump");
            c.args(["-n", "-r"]).arg(&file).arg(e).stderr(Stdio::null());
            let theirs = stdout(c)
                .lines()
                .filter(|l| l.as_bytes().first().is_some_and(u8::is_ascii_digit))
                .count();
            let mut c = common::vethbench();
            c.arg("read").args(NO_DEFRAG).arg(&file).args(e.split(' '));
            let ours_n = stdout(c).lines().count();
            assert_eq!(ours_n, theirs, "{} '{e}'", file.display());
            // -r FILE then the filter, as tcpdump takes it, and with -Y after it.
            let mut c = common::vethbench();
            c.arg("read").args(NO_DEFRAG).arg("-r").arg(&file).arg(e);
            assert_eq!(
                stdout(c).lines().count(),
                theirs,
                "-r {} '{e}'",
                file.display()
            );
        }
    }
    // Renumbered as if captured with the filter: -c counts what passes.
    let l = captures_dir().join("layers.pcap");
    let got = ours(&l, &["-c", "2", "udp"]);
    assert_eq!(got, vec![1, 2]);
    // A filter libpcap refuses: one line, exit 2.
    let out = common::vethbench()
        .arg("read")
        .args(NO_DEFRAG)
        .arg(&l)
        .args(["tcp", "prot", "80"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("syntax error") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn display_filter_and_count_and_stats_as_tshark() {
    if !have("tshark") {
        common::skip!("tshark is not installed");
        return;
    }
    let l = captures_dir().join("layers.pcap");
    // -c counts frames read, not shown, as tshark's; the numbers are the file's.
    for (flt, c) in [("tcp", "15"), ("udp", "3"), ("ip.ttl == 64", "30")] {
        let a = ours(&l, &["-Y", flt, "-c", c]);
        let mut t = Command::new("tshark");
        t.arg("-r")
            .arg(&l)
            .args(TSHARK_OPTS)
            .args(["-Y", flt, "-c", c]);
        t.args(["-T", "fields", "-e", "frame.number"]);
        assert_eq!(a, numbers(&stdout(t)), "-Y {flt} -c {c}");
    }
    // The summary lines of what passes: the file's numbers and times.
    let mut c = common::vethbench();
    c.arg("read")
        .args(NO_DEFRAG)
        .arg(&l)
        .args(["-Y", "udp.port == 42222"]);
    let out = stdout(c);
    assert!(out.lines().all(|x| x.contains("UDP")), "{out}");
    assert!(out.starts_with("    2 "), "{out}");
    // -z counts every frame read (tshark's taps do not see -Y).
    let mut c = common::vethbench();
    c.arg("read")
        .args(NO_DEFRAG)
        .arg(&l)
        .args(["-Y", "arp", "-q", "-z", "io,phs"]);
    let mut t = Command::new("tshark");
    t.arg("-r").arg(&l).args(TSHARK_OPTS);
    t.args(["-Y", "arp", "-q", "-z", "io,phs"]);
    let (a, b) = (stdout(c), stdout(t));
    let eth = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("eth "))
            .map(str::to_string)
    };
    assert_eq!(eth(&a), eth(&b), "ours:\n{a}\ntshark:\n{b}");
}

#[test]
fn interface_fields_of_a_three_interface_file() {
    let f = captures_dir().join("three-ifaces.pcapng");
    let mut c = common::vethbench();
    c.arg("read")
        .args(NO_DEFRAG)
        .arg(&f)
        .args(["-T", "fields", "-e", "frame.interface_id"]);
    c.args([
        "-e",
        "frame.interface_name",
        "-e",
        "frame.interface_description",
    ]);
    let out = stdout(c);
    let first: Vec<&str> = out.lines().take(3).collect();
    assert_eq!(
        first,
        [
            "0\th1-eth0\th1's uplink to r1",
            "1\tr1-eth1\tr1 towards h2",
            "2\th2-eth0\t"
        ]
    );
    if have("tshark") {
        let mut t = Command::new("tshark");
        t.arg("-r")
            .arg(&f)
            .args(["-T", "fields", "-e", "frame.interface_id"]);
        t.args([
            "-e",
            "frame.interface_name",
            "-e",
            "frame.interface_description",
        ]);
        assert_eq!(out, stdout(t));
        // The -T json frame object, as tshark's.
        let mut c = common::vethbench();
        c.arg("read")
            .args(NO_DEFRAG)
            .arg(&f)
            .args(["-T", "json", "-c", "1"]);
        let a: serde_json::Value = serde_json::from_str(&stdout(c)).unwrap();
        let mut t = Command::new("tshark");
        t.arg("-r").arg(&f).args(["-T", "json", "-c", "1"]);
        let b: serde_json::Value = serde_json::from_str(&stdout(t)).unwrap();
        let fr = |v: &serde_json::Value| v[0]["_source"]["layers"]["frame"].clone();
        for k in ["frame.interface_id", "frame.interface_id_tree"] {
            assert_eq!(fr(&a)[k], fr(&b)[k], "{k}");
        }
    }
    // The summary names the interface when the file has several; a pcap has none to name.
    let mut c = common::vethbench();
    c.arg("read").args(NO_DEFRAG).arg(&f).args(["-c", "2"]);
    let out = stdout(c);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains(" 0.000000000 h1-eth0 198.18.1.2 → "),
        "{out}"
    );
    assert!(lines[1].contains(" r1-eth1 198.18.1.2 → "), "{out}");
    let mut c = common::vethbench();
    c.arg("read")
        .args(NO_DEFRAG)
        .arg(captures_dir().join("dumpcap-vethY.pcapng"));
    assert!(!stdout(c).contains("vethY"), "one interface: not named");
}

/// A capture running in the background, until it exits by itself (-c).
fn spawn_capture(args: &[&str]) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = common::vethbench()
        .arg("capture")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("capture started");
    assert!(first.starts_with("Capturing on"), "{first}");
    (child, rx)
}

#[test]
fn capture_y_on_live_traffic() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("fltA", "fltB");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("y.pcapng");
        let file_s = file.to_str().unwrap().to_string();
        let (child, rx) = spawn_capture(&[
            "fltB",
            "udp",
            "-Y",
            "udp.dstport in {9, 7000..7010} && !(ip.src == 198.18.9.0/24)",
            "-w",
            &file_s,
            "-c",
            "3",
        ]);
        // 8 frames: 3 pass the display filter, 4 only the kernel's (udp), 1 neither (tcp).
        let frame = |src: &str, dport: &str| {
            format!(
                "Ether(src='02:00:00:00:00:0a', dst='02:00:00:00:00:0b')/IP(src='{src}', \
                 dst='198.18.0.2')/UDP(sport=5000, dport={dport})/'x'"
            )
        };
        let sends = [
            frame("198.18.0.1", "9"),
            frame("198.18.0.1", "10"),
            frame("198.18.9.1", "9"),
            "Ether(src='02:00:00:00:00:0a', dst='02:00:00:00:00:0b')/IP(src='198.18.0.1', \
             dst='198.18.0.2')/TCP(dport=9)"
                .to_string(),
            frame("198.18.0.1", "7005"),
            frame("198.18.0.1", "7011"),
            frame("198.18.9.1", "7001"),
            frame("198.18.0.1", "7010"),
        ];
        for s in &sends {
            common::run_ok(
                common::bin_path().to_str().unwrap(),
                &["send", "-i", "fltA", s],
            );
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "capture failed");
        // The reader thread ends at stderr's EOF: wait for it, not only for the child.
        let lines: Vec<String> = rx.iter().collect();
        assert!(
            lines.contains(&"3 packets captured".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"4 packets filtered out by the display filter (-Y)".to_string()),
            "{lines:?}"
        );
        let got = ours(Path::new(&file_s), &[]);
        assert_eq!(got, vec![1, 2, 3]);
        let mut c = common::vethbench();
        c.arg("read")
            .args(NO_DEFRAG)
            .arg(&file)
            .args(["-T", "fields", "-e", "udp.dstport"]);
        assert_eq!(stdout(c), "9\n7005\n7010\n");
    });
}
