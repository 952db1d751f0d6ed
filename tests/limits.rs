//! The library checks its own input: a huge duration, one interface given twice, a count of
//! 0 and a ring beyond the machine's share of memory are typed errors, never a panic, and
//! nothing is opened (so none of these needs root or an interface: they are refused first).

use std::time::Duration;

use vethbench::capture::{CaptureError, CaptureSpec, Output};
use vethbench::harness::{ConfigError, HarnessError, Testbench};
use vethbench::pcapng::Format;
use vethbench::sock::ring::{ring_budget, Direction};
use vethbench::sock::SockError;

fn spec(ifaces: &[&str]) -> CaptureSpec {
    CaptureSpec {
        ifaces: ifaces.iter().map(|s| s.to_string()).collect(),
        snaplen: 262_144,
        filter: None,
        display_filter: None,
        block_size: 1 << 20,
        block_count: 4,
        block_timeout_ms: 4,
        direction: Direction::In,
        count: Some(1),
        duration: None,
        format: Format::Pcapng,
        output: Output::None,
    }
}

#[test]
fn capture_refuses_a_duration_past_the_clock() {
    let s = CaptureSpec {
        duration: Some(Duration::MAX),
        ..spec(&["vb-none0"])
    };
    let e = s.check().unwrap_err();
    assert!(matches!(e, CaptureError::DurationTooLong { .. }), "{e}");
    let Err(e) = vethbench::capture::Capture::open(&s) else {
        panic!("accepted");
    };
    assert!(matches!(e, CaptureError::DurationTooLong { .. }), "{e}");
}

#[test]
fn capture_refuses_an_interface_named_twice_and_a_zero_count() {
    let e = spec(&["vb-none0", "vb-none1", "vb-none0"])
        .check()
        .unwrap_err();
    assert!(
        matches!(&e, CaptureError::DuplicateInterface { iface } if iface == "vb-none0"),
        "{e}"
    );
    let zero = CaptureSpec {
        count: Some(0),
        ..spec(&["vb-none0"])
    };
    assert!(matches!(zero.check(), Err(CaptureError::ZeroCount)));
    assert!(matches!(spec(&[]).check(), Err(CaptureError::NoInterface)));
}

/// The limit is checked in bytes (u64, no overflow), before any socket: no ring is asked for.
#[test]
fn capture_refuses_rings_beyond_the_memory_share() {
    let budget = ring_budget();
    let blocks = u32::try_from(budget / (1 << 20) + 1).unwrap_or(u32::MAX);
    let big = CaptureSpec {
        block_count: blocks,
        ..spec(&["vb-none0"])
    };
    let e = big.check().unwrap_err();
    let CaptureError::Sock(SockError::RingTooLarge { total, limit, .. }) = &e else {
        panic!("{e}");
    };
    assert!(total > limit && *limit == budget, "{e}");
    // u32::MAX blocks of u32::MAX bytes on many interfaces: no overflow, the same refusal.
    let huge = CaptureSpec {
        block_count: u32::MAX,
        block_size: u32::MAX,
        ..spec(&["a", "b", "c"])
    };
    assert!(matches!(
        huge.check(),
        Err(CaptureError::Sock(SockError::RingTooLarge { .. }))
    ));
    // Several rings add up: each within the budget, together not.
    let third = u32::try_from(budget / 3 / (1 << 20) + 1).unwrap();
    let three = CaptureSpec {
        block_count: third,
        ..spec(&["a", "b", "c"])
    };
    assert!(three.check().is_err());
    let one = CaptureSpec {
        block_count: third,
        ..spec(&["a"])
    };
    assert!(one.check().is_ok());
}

#[test]
fn testbench_refuses_an_interface_given_twice() {
    let Err(e) = Testbench::attach(&[("vb-none0", None), ("vb-none0", None)]) else {
        panic!("accepted");
    };
    assert!(
        matches!(
            e,
            HarnessError::Config(ConfigError::DuplicateInterface { .. })
        ),
        "{e}"
    );
}

/// `expect` with a huge timeout on a testbench of hand-made ends: an error, not a panic.
#[test]
fn testbench_expect_refuses_a_wait_past_the_clock() {
    use vethbench::harness::{FrameSink, FrameSource, RxMeta};
    struct Nothing;
    impl FrameSink for Nothing {
        fn send_batch(&mut self, frames: &[&[u8]]) -> Result<usize, HarnessError> {
            Ok(frames.len())
        }
        fn send_filled(
            &mut self,
            _: usize,
            _: &mut vethbench::harness::ends::Fill<'_>,
        ) -> Result<usize, HarnessError> {
            Ok(0)
        }
        fn name(&self) -> &str {
            "nothing"
        }
    }
    impl FrameSource for Nothing {
        fn poll(
            &mut self,
            _: Duration,
            _: &mut dyn FnMut(&[u8], &RxMeta),
        ) -> Result<usize, HarnessError> {
            Ok(0)
        }
        fn kernel_drops(&mut self) -> Result<u64, HarnessError> {
            Ok(0)
        }
        fn name(&self) -> &str {
            "nothing"
        }
    }
    let mut tb = Testbench::new();
    let end = tb.add_end("nothing", Box::new(Nothing), Box::new(Nothing));
    let e = tb.expect(end, vec![0u8; 60], Duration::MAX).unwrap_err();
    assert!(
        matches!(e, HarnessError::Config(ConfigError::DurationTooLong { .. })),
        "{e}"
    );
    let e = tb.expect_no_other(end, Duration::MAX).unwrap_err();
    assert!(
        matches!(e, HarnessError::Config(ConfigError::DurationTooLong { .. })),
        "{e}"
    );
}
