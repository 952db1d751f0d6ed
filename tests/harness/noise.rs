//! The noise filter (IPv6 ND/MLD) and the field diff of a failed expectation.

use super::*;

/// `expect_no_other` passes despite IPv6 ND/MLD noise with the filter on, fails with it off.
#[test]
fn ipv6_noise_is_ignored_only_when_asked() {
    if !common::require_root!() {
        return;
    }
    for filter_on in [true, false] {
        let outcome = common::in_private_netns(move || {
            common::veth_pair("vb0", "vb1");
            let (mut tb, ends) = Testbench::attach(&[("vb0", None), ("vb1", None)]).unwrap();
            tb.set_noise_filter(if filter_on {
                NoiseFilter::all()
            } else {
                NoiseFilter::none()
            });
            // IPv6 on for vb0, then bounce it: MLD reports, DAD and router solicitations.
            std::fs::write("/proc/sys/net/ipv6/conf/vb0/disable_ipv6", "0").unwrap();
            common::run_ok("ip", &["link", "set", "vb0", "down"]);
            common::run_ok("ip", &["link", "set", "vb0", "up"]);
            let r = tb.expect_no_other(ends[1], Duration::from_secs(3));
            (r.is_ok(), tb.received().len())
        });
        assert!(
            outcome.1 > 0,
            "the kernel sent no IPv6 frame: the test proves nothing"
        );
        assert_eq!(outcome.0, filter_on, "filter_on = {filter_on}");
    }
}

/// A wrong TTL is reported field by field.
#[test]
fn failed_expectation_prints_the_field_diff() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        let (mut tb, ends) = Testbench::attach(&[("vb0", None), ("vb1", None)]).unwrap();
        let sent = udp4(b"ttl");
        let mut want = sent.clone();
        want[22] = 63;
        tb.send(ends[0], &sent).unwrap();
        let err = tb
            .expect(ends[1], want, Duration::from_millis(200))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ip.ttl: expected 63, got 64"), "{err}");
        tb.expect(
            ends[1],
            Matcher::masked(sent, &["ip.ttl"]).unwrap(),
            Duration::ZERO,
        )
        .unwrap();
    });
}
