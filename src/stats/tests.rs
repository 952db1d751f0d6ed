use super::*;

#[test]
fn sizes_are_tsharks() {
    let f = |n| {
        let mut s = String::new();
        format_size(&mut s, n);
        s
    };
    assert_eq!(f(0), "0 bytes");
    assert_eq!(f(9999), "9999 bytes");
    assert_eq!(f(10_000), "10 kB");
    assert_eq!(f(399_988), "399 kB");
    assert_eq!(f(9_999_999), "9999 kB");
    assert_eq!(f(10_000_000), "10 MB");
}

#[test]
fn arguments_are_checked() {
    for ok in [
        "conv,ip",
        "conv,tcp",
        "endpoints,ipv6",
        "endpoints,udp",
        "io,phs",
        "io,stat,1",
        "io,stat,0",
        "io,stat,0.5,udp,tcp.port in {80, 443},",
    ] {
        assert!(Stat::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "conv",
        "conv,sctp",
        "io,stat",
        "io,stat,x",
        "io,stat,-1",
        "io,stat,0.0000001",
        "io,stat,1,",
        "io,stat,1,nosuch.field == 1",
        "io,stat,1,COUNT(ip.ttl)ip",
        "nope",
        "conv,ip,ip.src==1.1.1.1",
    ] {
        let e = Stat::parse(bad).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("invalid -z argument '{bad}': ")),
            "{e}"
        );
    }
}
