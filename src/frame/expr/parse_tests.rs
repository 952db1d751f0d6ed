//! Unit tests of the parser: each construct, and each error with its column.

use super::*;

fn p(s: &str) -> Expr {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> ExprError {
    match parse(s) {
        Ok(e) => panic!("{s}: parsed as {e:?}"),
        Err(e) => e,
    }
}

/// The value of the only field of the only layer of `Raw(load=<v>)`.
fn v(s: &str) -> Value {
    let e = p(&format!("Raw(load={s})"));
    e.layers[0].fields[0].value.clone()
}

#[test]
fn layers_fields_and_columns() {
    let e = p(r#"Ether()/IP(dst="198.18.0.2", ttl=3) / UDP( dport = 53 )"#);
    assert_eq!(e.fragsize, None);
    let names: Vec<_> = e.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Ether", "IP", "UDP"]);
    assert_eq!(e.layers[0].col, 1);
    assert_eq!(e.layers[1].col, 9);
    assert_eq!(e.layers[1].fields[0].name, "dst");
    assert_eq!(e.layers[1].fields[0].col, 12);
    assert_eq!(e.layers[1].fields[1].value, Value::Int(3));
    assert_eq!(e.layers[2].fields[0].name, "dport");
    assert_eq!(e.layers[2].fields[0].col, 44);
}

#[test]
fn whitespace_anywhere() {
    let e = p(" \n Ether ( ) /\tIP (\n dst = '198.18.0.2' , ) / 'x' \n");
    assert_eq!(e.layers.len(), 3);
    assert_eq!(e.layers[2].name, "Raw");
}

#[test]
fn strings_and_escapes() {
    assert_eq!(v(r#""\x41\n\t\0\\\"'""#), Value::Str("A\n\t\0\\\"'".into()));
    assert_eq!(v(r#"'it\'s'"#), Value::Str("it's".into()));
    assert_eq!(v(r#""\u00e9\U0001F600""#), Value::Str("é😀".into()));
    assert_eq!(v(r#""\101\7""#), Value::Str("A\x07".into()));
    assert_eq!(v(r#""\q""#), Value::Str("\\q".into()));
    assert_eq!(
        v(r#"b"\x00\xff\u00e9""#),
        Value::Bytes(b"\x00\xff\\u00e9".to_vec())
    );
    assert_eq!(v(r#"B'ab'"#), Value::Bytes(b"ab".to_vec()));
    assert_eq!(v(r#"rb"\x00""#), Value::Bytes(b"\\x00".to_vec()));
    assert_eq!(v(r#""é""#), Value::Str("é".into()));
    assert_eq!(v(r#""""a"b""""#), Value::Str("a\"b".into()));
}

#[test]
fn ints() {
    assert_eq!(v("42"), Value::Int(42));
    assert_eq!(v("0"), Value::Int(0));
    assert_eq!(v("00"), Value::Int(0));
    assert_eq!(v("0x1F"), Value::Int(31));
    assert_eq!(v("0X1f"), Value::Int(31));
    assert_eq!(v("0o17"), Value::Int(15));
    assert_eq!(v("0b101"), Value::Int(5));
    assert_eq!(v("-5"), Value::Int(-5));
    assert_eq!(v("- 0x10"), Value::Int(-16));
    assert_eq!(v("1_000_000"), Value::Int(1_000_000));
    assert_eq!(v("0xffff_ffff"), Value::Int(0xffff_ffff));
    assert_eq!(v("2*3"), Value::Int(6));
    assert!(err("Raw(load=012)").msg.contains("not an integer"));
    assert!(err("Raw(load=1__0)").msg.contains("not an integer"));
    assert!(err("Raw(load=0x)").msg.contains("not an integer"));
    assert!(err("Raw(load=1.5)").msg.contains("not an integer"));
    assert!(err("Raw(load=0x1_0000_0000_0000_0000_0000_0000_0000_0000)")
        .msg
        .contains("too large"));
}

#[test]
fn constants_tuples_lists_calls() {
    assert_eq!(v("True"), Value::Bool(true));
    assert_eq!(v("False"), Value::Bool(false));
    assert_eq!(v("None"), Value::None);
    assert_eq!(v("()"), Value::Tuple(vec![]));
    assert_eq!(v("(1)"), Value::Int(1));
    assert_eq!(v("(1,)"), Value::Tuple(vec![Value::Int(1)]));
    assert_eq!(
        v(r#"[("MSS", 1460), ("NOP", None), ]"#),
        Value::List(vec![
            Value::Tuple(vec![Value::Str("MSS".into()), Value::Int(1460)]),
            Value::Tuple(vec![Value::Str("NOP".into()), Value::None]),
        ])
    );
    assert_eq!(v("[]"), Value::List(vec![]));
    assert_eq!(
        v(r#"mac("h1:eth0")"#),
        Value::Call {
            name: "mac".into(),
            args: vec![Value::Str("h1:eth0".into())],
            kwargs: vec![],
        }
    );
    assert_eq!(
        v("[IPOption_Router_Alert(), IPOption(b'\\x01', length=2,)]"),
        Value::List(vec![
            Value::Call {
                name: "IPOption_Router_Alert".into(),
                args: vec![],
                kwargs: vec![],
            },
            Value::Call {
                name: "IPOption".into(),
                args: vec![Value::Bytes(vec![1])],
                kwargs: vec![("length".into(), Value::Int(2))],
            },
        ])
    );
}

#[test]
fn repetition() {
    assert_eq!(v(r#""x"*3"#), Value::Str("xxx".into()));
    assert_eq!(v(r#"3 * "ab""#), Value::Str("ababab".into()));
    assert_eq!(v(r#"b"\x00"*4"#), Value::Bytes(vec![0; 4]));
    assert_eq!(v(r#""x"*0"#), Value::Str(String::new()));
    assert_eq!(v(r#""x"*-2"#), Value::Str(String::new()));
    let e = p(r#"Ether()/"x"*100"#);
    assert_eq!(e.layers[1].fields[0].value, Value::Str("x".repeat(100)));
    let e = p(r#"Ether()/10*b"\xff""#);
    assert_eq!(e.layers[1].fields[0].value, Value::Bytes(vec![0xff; 10]));
    assert!(err(r#"Raw(load="x"*"y")"#).msg.contains("repeat"));
    assert!(err(r#"Raw(load=None*2)"#).msg.contains("repeat"));
}

#[test]
fn bare_payloads_are_raw() {
    let e = p(r#"Ether()/IP()/"GET /"/b"\x00""#);
    assert_eq!(e.layers[2].name, "Raw");
    assert_eq!(e.layers[2].fields[0].name, "load");
    assert_eq!(e.layers[2].fields[0].value, Value::Str("GET /".into()));
    assert_eq!(e.layers[3].fields[0].value, Value::Bytes(vec![0]));
    assert_eq!(e.layers[3].col, 22);
}

#[test]
fn positional_load_of_raw_and_padding() {
    let e = p(r#"Raw("ab")/Padding(b"\x00"*2)"#);
    assert_eq!(e.layers[0].fields[0].name, "load");
    assert_eq!(e.layers[1].fields[0].value, Value::Bytes(vec![0, 0]));
    let e = err(r#"Raw("a", "198.18.0.1")"#);
    assert_eq!(e.col, 10);
    assert!(e.msg.contains("field=value"), "{e}");
}

#[test]
fn parenthesised_chain() {
    let e = p("(Ether()/IP())/UDP()");
    assert_eq!(e.layers.len(), 3);
}

#[test]
fn fragment_forms() {
    let e = p("fragment(Ether()/IP()/'x'*2000)");
    assert_eq!(e.fragsize, Some(DEFAULT_FRAGSIZE));
    assert_eq!(e.layers.len(), 3);
    assert_eq!(p("fragment(IP()/'x', fragsize=16)").fragsize, Some(16));
    assert_eq!(p("fragment( IP()/'x' , 24 , )").fragsize, Some(24));
    assert!(err("fragment(IP(), size=8)").msg.contains("fragsize"));
    assert!(err("fragment(IP(), fragsize='x')").msg.contains("fragsize"));
    assert!(err("fragment(IP(), 8").msg.contains("missing ')'"));
}

#[test]
fn error_unterminated_string() {
    let e = err(r#"Ether()/IP(dst="198.18.0.2)"#);
    assert_eq!(e.col, 16);
    assert!(e.msg.contains("unterminated string"), "{e}");
    let e = err(r#"Ether()/'abc\'"#);
    assert_eq!(e.col, 9);
    assert!(e.msg.contains("unterminated"));
}

#[test]
fn error_stray_and_trailing_slash() {
    let e = err("Ether()//IP()");
    assert_eq!(e.col, 9);
    assert!(e.msg.contains("stray '/'"), "{e}");
    let e = err("/Ether()");
    assert_eq!(e.col, 1);
    assert!(e.msg.contains("stray '/'"));
    let e = err("Ether()/IP()/ ");
    assert_eq!(e.col, 13);
    assert!(e.msg.contains("trailing '/'"), "{e}");
}

#[test]
fn error_unexpected_character() {
    let e = err("Ether() IP()");
    assert_eq!(e.col, 9);
    assert!(e.msg.contains("unexpected character 'I'"), "{e}");
    let e = err("Ether()/IP(ttl=$)");
    assert_eq!(e.col, 16);
    assert!(e.msg.contains("unexpected character '$'"), "{e}");
    let e = err("Ether()/@");
    assert_eq!(e.col, 9);
    let e = err("Ether())");
    assert_eq!(e.col, 8);
    let e = err("Ether");
    assert!(e.msg.contains("parentheses"), "{e}");
    let e = err("Raw(load=ttl)");
    assert_eq!(e.col, 10);
    assert!(e.msg.contains("unexpected name"), "{e}");
}

#[test]
fn error_missing_paren() {
    let e = err("Ether(dst='02:00:00:00:00:01'");
    assert_eq!(e.col, 30);
    assert!(e.msg.contains("missing ')'"), "{e}");
    let e = err("Ether()/IP(ttl=1 dst='x')");
    assert_eq!(e.col, 18);
    assert!(e.msg.contains("expected ',' or ')'"), "{e}");
    let e = err("Raw(load=[1, 2)");
    assert!(e.msg.contains("expected ',' or ']'"), "{e}");
    let e = err("Raw(load=(1, 2");
    assert!(e.msg.contains("missing ')'"), "{e}");
}

#[test]
fn error_equals_without_value() {
    let e = err("Ether()/IP(ttl=)");
    assert_eq!(e.col, 16);
    assert!(e.msg.contains("'=' without a value"), "{e}");
    let e = err("IP(ttl= , dst='x')");
    assert!(e.msg.contains("'=' without a value"), "{e}");
    let e = err("IP(=3)");
    assert_eq!(e.col, 4);
}

#[test]
fn error_duplicate_and_order_of_arguments() {
    assert!(err("IP(ttl=1, ttl=2)").msg.contains("twice"));
    assert!(err("Raw(load='x', 'y')")
        .msg
        .contains("positional argument after"));
}

#[test]
fn error_non_ascii_bytes_and_bad_escapes() {
    assert!(err("Raw(b'é')").msg.contains("ASCII"));
    assert!(err(r"Raw('\x4')").msg.contains("hex digits"));
    assert!(err(r"Raw('\ud800')").msg.contains("Unicode"));
}

#[test]
fn columns_count_characters() {
    let e = err("Raw('é')/@");
    assert_eq!(e.col, 10);
}

#[test]
fn empty_expression() {
    let e = err("   ");
    assert_eq!(e.col, 4);
}
