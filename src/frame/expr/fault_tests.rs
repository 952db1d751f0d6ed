//! Issue 21's fault hunt, the items of the expression engine: each test failed before its fix.
//! Expected bytes are Scapy 2.5's `raw(pkt)` for the expression in the comment.

use super::{parse, ExprError, MAX_NESTING};

fn build(s: &str) -> Result<Vec<u8>, ExprError> {
    parse(s)?.build().map(|mut f| f.remove(0))
}

fn err(s: &str) -> String {
    match build(s) {
        Ok(b) => panic!("{s}: built {} bytes", b.len()),
        Err(e) => e.to_string(),
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Item 2: 8000 parentheses overflowed the stack (exit 134); nesting in values too.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let n = 20_000;
    for src in [
        format!("{}Ether(){}", "(".repeat(n), ")".repeat(n)),
        format!("Ether()/IP(options={}{})", "[".repeat(n), "]".repeat(n)),
        format!("Ether()/IP(options={}1{})", "f(".repeat(n), ")".repeat(n)),
        format!("Ether()/Raw(load={}b'x'{})", "(".repeat(n), ")".repeat(n)),
    ] {
        let e = parse(&src).unwrap_err().to_string();
        assert!(e.contains("nested too deeply"), "{e}");
        assert!(!e.contains('\n'));
    }
    // Up to the limit is fine.
    let ok = format!(
        "{}Ether(){}",
        "(".repeat(MAX_NESTING - 1),
        ")".repeat(MAX_NESTING - 1)
    );
    assert!(parse(&ok).is_ok());
}

/// Item 4: computed lengths that wrapped silently.
#[test]
fn lengths_that_do_not_fit_are_errors() {
    for (src, field) in [
        (
            r#"Ether()/IPv6()/IPv6ExtHdrRouting(addresses=["2001:db8::a"]*128)"#,
            "len",
        ),
        (
            r#"Ether()/IPv6()/IPv6ExtHdrHopByHop(options=[PadN(optdata=b"x"*300)])"#,
            "optlen",
        ),
        (
            r#"Ether()/IPv6()/IPv6ExtHdrHopByHop(options=[Pad1()]*2100)"#,
            "len",
        ),
        (r#"Ether()/IP(options=[IPOption_NOP()]*41)/TCP()"#, "ihl"),
        (r#"Ether()/IP()/TCP(options=[("NOP", None)]*41)"#, "dataofs"),
        (r#"Ether()/IPv6()/UDP()/("x"*65530)"#, "len"),
    ] {
        let e = err(src);
        assert!(
            e.contains(&format!("computed {field} ")) && e.contains("does not fit"),
            "{src}: {e}"
        );
    }
    // At the limit: 40 bytes of IP options, ihl 15.
    let b = build(r#"IP(options=[IPOption_NOP()]*40)"#).unwrap();
    assert_eq!(b[0], 0x4f);
}

/// Item 5: `\N{...}` as Python reads it.
#[test]
fn named_characters_as_python() {
    // raw(IP(src="198.18.0.1", dst="198.18.0.2")/UDP()/"\N{LATIN SMALL LETTER E WITH ACUTE}")
    let got = build(
        r#"IP(src="198.18.0.1", dst="198.18.0.2")/UDP()/"\N{LATIN SMALL LETTER E WITH ACUTE}""#,
    )
    .unwrap();
    assert_eq!(
        got,
        hex("4500001e000100004011eea6c6120001c612000200350035000aaf9ec3a9")
    );
    // Any case, as Python.
    assert_eq!(
        build(r#"Raw(load="\N{latin small letter e with acute}")"#).unwrap(),
        [0xc3, 0xa9]
    );
    assert!(err(r#"Raw(load="\N{NO SUCH NAME}")"#).contains("unknown Unicode character name"));
    assert!(err(r#"Raw(load="\N{")"#).contains("malformed \\N"));
    assert!(err(r#"Raw(load="\N")"#).contains("malformed \\N"));
    assert!(err(r#"Raw(load=b"\N{DASH}")"#).contains("not allowed in bytes"));
    // A raw string keeps it as text.
    assert_eq!(build(r#"Raw(load=r"\N{x}")"#).unwrap(), b"\\N{x}");
}

/// The smaller ones: `IPOption(b"")`, TCP option `Mood`, fragsize's one wording.
#[test]
fn empty_ip_option_mood_and_fragsize() {
    // raw(IP(src="198.18.0.1", dst="198.18.0.2", options=[IPOption(b"")]))
    assert_eq!(
        build(r#"IP(src="198.18.0.1", dst="198.18.0.2", options=[IPOption(b"")])"#).unwrap(),
        hex("46000018000100004000edbbc6120001c612000200020000")
    );
    // raw(IP(src="198.18.0.1", dst="198.18.0.2")/TCP(options=[("Mood", ":)")]))
    assert_eq!(
        build(r#"IP(src="198.18.0.1", dst="198.18.0.2")/TCP(options=[("Mood", ":)")])"#)
            .unwrap(),
        hex("4500002c000100004006eea3c6120001c612000200140050000000000000000060022000a025000019043a29")
    );
    let words = |n: &str| {
        let e = parse(&format!("fragment(Ether()/IP()/UDP(), fragsize={n})"))
            .unwrap_err()
            .msg;
        e.replace(n, "N")
    };
    assert_eq!(words("0"), words("1"));
    assert_eq!(words("0"), words("70000"));
    // The same rule for an Expr made without the parser.
    let mut e = parse("Ether()/IP()/UDP()").unwrap();
    e.fragsize = Some(1);
    assert!(e
        .build()
        .unwrap_err()
        .msg
        .starts_with("fragsize takes an int in 8..=65535"));
}

/// One TCP-flag parser: lower case is accepted in an expression as by `--flags`.
#[test]
fn tcp_flags_either_case() {
    assert_eq!(
        build(r#"IP()/TCP(flags="sa")"#).unwrap(),
        build(r#"IP()/TCP(flags="SA")"#).unwrap()
    );
    assert!(err(r#"IP()/TCP(flags="SX")"#).contains("unknown flag 'X'"));
}
