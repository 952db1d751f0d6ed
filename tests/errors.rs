//! Each cause is printed once: one value of every library error variant, wrapped around a cause
//! where it has one, printed as a chain (`vethbench::error::chain`, what the CLI prints). No
//! message contains the text of its own `source()`, and no ": "-separated segment of the line
//! repeats. The `cover_*` matches fail to compile when a variant is added without a case here.

use std::error::Error;
use std::io;

use vethbench::capture::CaptureError;
use vethbench::error::{chain, NoSuchInterface};
use vethbench::frame::expr::ExprError;
use vethbench::frame::{FrameError, Vary};
use vethbench::harness::stamp::Unstampable;
use vethbench::harness::testbench::ExpectFailure;
use vethbench::harness::{ConfigError, EndError, FlowsError, HarnessError, TemplateError};
use vethbench::link::policy::NotSendable;
use vethbench::link::LinkError;
use vethbench::pcapng::PcapngError;
use vethbench::replay::{ReplayError, RewriteSpecError, TimingError};
use vethbench::scenario::{LoadError, ScenarioError};
use vethbench::sock::SockError;
use vethbench::sys::cpu::CpuError;
use vethbench::Capability;

fn os(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}
fn sock_io() -> SockError {
    SockError::Io {
        op: "bind",
        iface: "vb0".into(),
        source: os(libc::ENODEV),
    }
}
fn link_io() -> LinkError {
    LinkError::Io {
        op: "RTM_NEWLINK vb0".into(),
        source: os(libc::EEXIST),
    }
}
fn pcapng_io() -> PcapngError {
    PcapngError::Io {
        path: "out.pcapng".into(),
        source: os(libc::ENOSPC),
    }
}
fn no_iface() -> NoSuchInterface {
    NoSuchInterface::new("vb9")
}
fn config() -> ConfigError {
    ConfigError::ZeroCount
}
fn cpu() -> CpuError {
    CpuError::NotAllowed {
        cpu: 7,
        allowed: vec![0, 1],
    }
}
fn template() -> TemplateError {
    TemplateError::TooShort {
        len: 42,
        stamp_off: 42,
    }
}

fn sock_errors() -> Vec<SockError> {
    vec![
        SockError::NoSuchInterface(no_iface()),
        SockError::Permission {
            op: "socket",
            iface: "vb0".into(),
            cap: Capability::NetRaw,
        },
        sock_io(),
        SockError::Filter {
            expr: "tcp port".into(),
            why: "syntax error".into(),
        },
        SockError::RingTooLarge {
            rings: 1,
            blocks: 100_000,
            block_size: 1 << 20,
            total: 100_000 << 20,
            limit: 3 << 30,
            mem_total: 24 << 30,
        },
    ]
}

fn cover_sock(e: &SockError) {
    match e {
        SockError::NoSuchInterface(_)
        | SockError::Permission { .. }
        | SockError::Io { .. }
        | SockError::Filter { .. }
        | SockError::RingTooLarge { .. } => {}
    }
}

fn link_errors() -> Vec<LinkError> {
    vec![
        LinkError::NoSuchInterface(no_iface()),
        LinkError::NoSuchNetns { name: "qa1".into() },
        LinkError::NotNetns {
            path: "/tmp/f".into(),
            what: "a FIFO".into(),
        },
        LinkError::NoSuchProcess { pid: 99999 },
        LinkError::NetnsAccess {
            what: "process 1".into(),
            path: "/proc/1/ns/net".into(),
            as_root: true,
        },
        LinkError::Permission {
            op: "RTM_NEWLINK".into(),
            cap: Capability::NetAdmin,
        },
        link_io(),
        LinkError::AlreadyExists {
            what: "interface",
            name: "vb0".into(),
            netns: Some("qa1".into()),
        },
        LinkError::InvalidName {
            what: "interface name",
            name: "x".repeat(20),
            reason: "longer than 15 bytes",
        },
        LinkError::InvalidCidr {
            input: "1.2.3".into(),
            reason: "no prefix length".into(),
        },
        LinkError::InvalidMac { input: "zz".into() },
        LinkError::NetnsGone { name: "qa1".into() },
        LinkError::MtuOutOfRange {
            iface: "vb0".into(),
            mtu: 10,
            min: 68,
            max: 65535,
        },
        LinkError::NotUnicastMac {
            mac: "01:00:00:00:00:01".into(),
        },
        LinkError::NotVeth {
            iface: "br0".into(),
            kind: "bridge".into(),
        },
        LinkError::Protocol {
            op: "RTM_GETLINK".into(),
            detail: "short reply".into(),
        },
    ]
}

fn cover_link(e: &LinkError) {
    match e {
        LinkError::NoSuchInterface(_)
        | LinkError::NoSuchNetns { .. }
        | LinkError::NetnsGone { .. }
        | LinkError::MtuOutOfRange { .. }
        | LinkError::NotNetns { .. }
        | LinkError::NoSuchProcess { .. }
        | LinkError::NetnsAccess { .. }
        | LinkError::Permission { .. }
        | LinkError::Io { .. }
        | LinkError::AlreadyExists { .. }
        | LinkError::InvalidName { .. }
        | LinkError::InvalidCidr { .. }
        | LinkError::InvalidMac { .. }
        | LinkError::NotUnicastMac { .. }
        | LinkError::NotVeth { .. }
        | LinkError::Protocol { .. } => {}
    }
}

fn pcapng_errors() -> Vec<PcapngError> {
    vec![
        pcapng_io(),
        PcapngError::Corrupt {
            path: "in.pcap".into(),
            offset: 24,
            why: "record longer than the snap length".into(),
        },
    ]
}

fn cover_pcapng(e: &PcapngError) {
    match e {
        PcapngError::Io { .. } | PcapngError::Corrupt { .. } => {}
    }
}

fn capture_errors() -> Vec<CaptureError> {
    vec![
        CaptureError::Sock(sock_io()),
        CaptureError::Netns(link_io()),
        CaptureError::InNetns {
            netns: "qa1".into(),
            source: sock_io(),
        },
        CaptureError::Pcapng(pcapng_io()),
        CaptureError::Stdout(os(libc::EBADF)),
        CaptureError::Poll(nix::errno::Errno::EINTR),
        CaptureError::Print(os(libc::ENOSPC)),
        CaptureError::NoInterface,
        CaptureError::DuplicateInterface {
            iface: "vb0".into(),
        },
        CaptureError::ZeroCount,
        CaptureError::DurationTooLong { secs: u64::MAX },
    ]
}

fn cover_capture(e: &CaptureError) {
    match e {
        CaptureError::Sock(_)
        | CaptureError::Netns(_)
        | CaptureError::InNetns { .. }
        | CaptureError::Pcapng(_)
        | CaptureError::Stdout(_)
        | CaptureError::Poll(_)
        | CaptureError::Print(_)
        | CaptureError::NoInterface
        | CaptureError::DuplicateInterface { .. }
        | CaptureError::ZeroCount
        | CaptureError::DurationTooLong { .. } => {}
    }
}

fn not_sendable_errors() -> Vec<NotSendable> {
    vec![
        NotSendable::TooLarge {
            iface: "vb0".into(),
            frame_len: 9000,
            mtu: 1500,
            max_len: 1514,
        },
        NotSendable::Physical {
            iface: "eth0".into(),
            kind: None,
        },
        NotSendable::Down {
            iface: "vb0".into(),
        },
        NotSendable::NoCarrier {
            iface: "vb0".into(),
        },
        NotSendable::Link(LinkError::NoSuchInterface(no_iface())),
    ]
}

fn cover_not_sendable(e: &NotSendable) {
    match e {
        NotSendable::TooLarge { .. }
        | NotSendable::Physical { .. }
        | NotSendable::Down { .. }
        | NotSendable::NoCarrier { .. }
        | NotSendable::Link(_) => {}
    }
}

fn config_errors() -> Vec<ConfigError> {
    vec![
        ConfigError::NoEnd,
        ConfigError::ZeroCount,
        ConfigError::ZeroDuration,
        ConfigError::Rate { rate: 0.0 },
        ConfigError::Batch { batch: 0 },
        ConfigError::Cpu(cpu()),
        ConfigError::FrameTooLarge { len: 70000 },
        ConfigError::FrameLenMismatch {
            len: 60,
            frame_len: 64,
        },
        ConfigError::FrameSize { frame_len: 10 },
        ConfigError::InterfaceName { name: "a/b".into() },
        ConfigError::DuplicateInterface {
            iface: "vb0".into(),
        },
        ConfigError::DurationTooLong { secs: u64::MAX },
    ]
}

fn cover_config(e: &ConfigError) {
    match e {
        ConfigError::NoEnd
        | ConfigError::ZeroCount
        | ConfigError::ZeroDuration
        | ConfigError::Rate { .. }
        | ConfigError::Batch { .. }
        | ConfigError::Cpu(_)
        | ConfigError::FrameTooLarge { .. }
        | ConfigError::FrameLenMismatch { .. }
        | ConfigError::FrameSize { .. }
        | ConfigError::InterfaceName { .. }
        | ConfigError::DuplicateInterface { .. }
        | ConfigError::DurationTooLong { .. } => {}
    }
}

fn end_errors() -> Vec<EndError> {
    vec![
        EndError::Sock(sock_io()),
        EndError::Link(link_io()),
        EndError::Pcapng(pcapng_io()),
        EndError::Capture(CaptureError::InNetns {
            netns: "qa1".into(),
            source: sock_io(),
        }),
    ]
}

fn cover_end(e: &EndError) {
    match e {
        EndError::Sock(_) | EndError::Link(_) | EndError::Pcapng(_) | EndError::Capture(_) => {}
    }
}

fn harness_errors() -> Vec<HarnessError> {
    let mut v = vec![
        HarnessError::Template(template()),
        HarnessError::Config(config()),
        HarnessError::Flows(FlowsError::ZeroFlows),
        HarnessError::SameEnds {
            iface: "vb0".into(),
        },
        HarnessError::UnknownField {
            field: "ip.nope".into(),
            known: "ip.src, ip.dst".into(),
        },
        HarnessError::PhysicalLink {
            iface: "eth0".into(),
            kind: Some("e1000".into()),
        },
        HarnessError::SlotTooSmall {
            end: "vb0".into(),
            len: 9000,
            slot: 2048,
        },
        HarnessError::TxQueueFull {
            end: "vb0".into(),
            sent: 1,
            total: 2,
        },
        HarnessError::ReceiverConfig(config()),
        HarnessError::Spawn {
            thread: "sender",
            source: os(libc::EAGAIN),
        },
        HarnessError::Thread("receiver"),
        HarnessError::Expectation(Box::new(ExpectFailure {
            end: "b".into(),
            what: "a frame".into(),
            timeout: std::time::Duration::from_millis(50),
            expected: None,
            arrived: Vec::new(),
            closest: None,
            none_wanted: false,
        })),
    ];
    v.extend(end_errors().into_iter().map(HarnessError::Io));
    v.extend(
        not_sendable_errors()
            .into_iter()
            .map(HarnessError::NotSendable),
    );
    v.extend(harness_limits());
    v
}

fn cover_harness(e: &HarnessError) {
    match e {
        HarnessError::Template(_)
        | HarnessError::Config(_)
        | HarnessError::Flows(_)
        | HarnessError::SameEnds { .. }
        | HarnessError::UnknownField { .. }
        | HarnessError::Io(_)
        | HarnessError::PhysicalLink { .. }
        | HarnessError::NotSendable(_)
        | HarnessError::SlotTooSmall { .. }
        | HarnessError::TxQueueFull { .. }
        | HarnessError::ReceiverConfig(_)
        | HarnessError::Spawn { .. }
        | HarnessError::Thread(_)
        | HarnessError::Expectation(_) => {}
    }
}

/// Refusals of the library's own input checks, as the harness returns them.
fn harness_limits() -> Vec<HarnessError> {
    vec![HarnessError::Config(ConfigError::DurationTooLong {
        secs: u64::MAX,
    })]
}

fn scenario_errors() -> Vec<ScenarioError> {
    vec![
        ScenarioError::Load(LoadError::Read {
            file: "s.yaml".into(),
            source: os(libc::ENOENT),
        }),
        ScenarioError::Load(LoadError::Invalid {
            file: "s.yaml".into(),
            line: 3,
            key: "nodes".into(),
            msg: "expected a mapping".into(),
        }),
        ScenarioError::Link {
            what: "node r1".into(),
            source: link_io(),
        },
        ScenarioError::Harness(HarnessError::Io(EndError::Sock(sock_io()))),
        ScenarioError::Setup {
            node: "r1".into(),
            run: "false".into(),
            line: 4,
            status: "exited with 1".into(),
            stderr: String::new(),
        },
        ScenarioError::Io {
            what: "node r1: sysctl x=1".into(),
            source: os(libc::EACCES),
        },
        ScenarioError::Unsupported("no vxlan".into()),
        ScenarioError::NoSuchPort("r1:eth9".into()),
        ScenarioError::NoSuchNode("r9".into()),
        ScenarioError::Frame {
            text: "Ether(".into(),
            msg: "missing ')'".into(),
        },
        ScenarioError::Bpf {
            what: "bpf on dut:eth0 (line 7)".into(),
            source: vethbench::bpf::BpfError::BadHook("xdp-native".into()),
        },
        ScenarioError::Impair {
            what: "link h1:eth0 - h2:eth0 (impaired)".into(),
            source: vethbench::impair::ImpairError::Spec {
                text: "los".into(),
                why: "unknown".into(),
            },
        },
    ]
}

fn cover_scenario(e: &ScenarioError) {
    match e {
        ScenarioError::Load(LoadError::Read { .. } | LoadError::Invalid { .. })
        | ScenarioError::Link { .. }
        | ScenarioError::Harness(_)
        | ScenarioError::Setup { .. }
        | ScenarioError::Io { .. }
        | ScenarioError::Unsupported(_)
        | ScenarioError::NoSuchPort(_)
        | ScenarioError::NoSuchNode(_)
        | ScenarioError::Frame { .. }
        | ScenarioError::Bpf { .. }
        | ScenarioError::Impair { .. } => {}
    }
}

fn replay_errors() -> Vec<ReplayError> {
    vec![
        ReplayError::File(pcapng_io()),
        ReplayError::Sock(sock_io()),
        ReplayError::LinkType {
            file: "in.pcap".into(),
            linktype: 147,
        },
    ]
}

fn cover_replay(e: &ReplayError) {
    match e {
        ReplayError::File(_) | ReplayError::Sock(_) | ReplayError::LinkType { .. } => {}
    }
}

fn leaf_errors() -> Vec<Box<dyn Error + 'static>> {
    vec![
        Box::new(FrameError::Invalid {
            what: "MAC address",
            input: "zz".into(),
            why: "not hex".into(),
        }),
        Box::new(FrameError::Build {
            why: "IPv4 source with an IPv6 destination".into(),
        }),
        Box::new(FrameError::SizeTooLarge {
            size: 70000,
            max: 65553,
        }),
        Box::new(FrameError::SizeTooSmall {
            size: 40,
            needed: 54,
        }),
        Box::new(FrameError::CannotVary { vary: Vary::IpId }),
        Box::new(FrameError::NoFields),
        Box::new(TemplateError::HeaderInTheWay {
            frame: Unstampable::Arp,
        }),
        Box::new(template()),
        Box::new(TemplateError::IntoPadding {
            payload_end: 42,
            len: 60,
            stamp_off: 42,
        }),
        Box::new(TemplateError::OverlapsHeader {
            stamp_off: 30,
            l4_off: 34,
        }),
        Box::new(FlowsError::TooManyFlows { flows: 1 << 40 }),
        Box::new(cpu()),
        Box::new(CpuError::OutOfRange {
            cpu: 5000,
            errno: nix::errno::Errno::EINVAL,
        }),
        Box::new(ExprError {
            col: 3,
            msg: "unknown layer".into(),
        }),
        Box::new(TimingError {
            what: "speed multiplier",
            value: 0.0,
            why: "must be positive".into(),
        }),
        Box::new(RewriteSpecError {
            what: "MAC rewrite",
            input: "x".into(),
            why: "expected OLD,NEW".into(),
        }),
    ]
}

/// The chain of `e`, checked: no layer repeats its cause's words, no segment repeats.
fn check(e: &(dyn Error + 'static)) -> String {
    let line = chain(e);
    let mut layer: &dyn Error = e;
    while let Some(cause) = layer.source() {
        let (outer, inner) = (layer.to_string(), cause.to_string());
        assert!(
            !outer.contains(&inner),
            "{line}\n  the message {outer:?} repeats its source {inner:?}"
        );
        layer = cause;
    }
    let segments: Vec<&str> = line.split(": ").collect();
    for (i, s) in segments.iter().enumerate() {
        assert!(
            !segments[i + 1..].contains(s),
            "{line}\n  the segment {s:?} repeats"
        );
    }
    assert!(!line.contains('\n'), "{line:?}");
    line
}

#[test]
fn every_error_prints_each_cause_once() {
    let mut all: Vec<Box<dyn Error + 'static>> = Vec::new();
    for e in sock_errors() {
        cover_sock(&e);
        all.push(Box::new(e));
    }
    for e in link_errors() {
        cover_link(&e);
        all.push(Box::new(e));
    }
    for e in pcapng_errors() {
        cover_pcapng(&e);
        all.push(Box::new(e));
    }
    for e in capture_errors() {
        cover_capture(&e);
        all.push(Box::new(e));
    }
    for e in not_sendable_errors() {
        cover_not_sendable(&e);
        all.push(Box::new(e));
    }
    for e in config_errors() {
        cover_config(&e);
        all.push(Box::new(e));
    }
    for e in end_errors() {
        cover_end(&e);
        all.push(Box::new(e));
    }
    for e in harness_errors() {
        cover_harness(&e);
        all.push(Box::new(e));
    }
    for e in scenario_errors() {
        cover_scenario(&e);
        all.push(Box::new(e));
    }
    for e in replay_errors() {
        cover_replay(&e);
        all.push(Box::new(e));
    }
    all.extend(leaf_errors());
    let mut lines = Vec::new();
    for e in &all {
        lines.push(check(e.as_ref()));
    }
    // Spot checks of whole lines: the cause is there, once.
    let expect = [
        "bind on 'vb0': No such device (os error 19)",
        "out.pcapng: No space left on device (os error 28)",
        "in network namespace 'qa1': bind on 'vb0': No such device (os error 19)",
        "node r1: RTM_NEWLINK vb0: File exists (os error 17)",
        "invalid configuration: the frame count must be at least 1",
        "receiver: invalid configuration: the frame count must be at least 1",
        "spawning the sender thread: Resource temporarily unavailable (os error 11)",
        "interface 'vb9' does not exist",
    ];
    for want in expect {
        assert!(
            lines.iter().any(|l| l == want),
            "no line {want:?} in {lines:#?}"
        );
    }
}

/// A cause wrapped by `anyhow` context, as the CLI does, still prints once.
#[test]
fn the_cli_chain_adds_context_without_repeats() {
    let e = anyhow::Error::from(HarnessError::Io(EndError::Link(link_io()))).context("opening");
    assert_eq!(
        check(e.as_ref()),
        "opening: RTM_NEWLINK vb0: File exists (os error 17)"
    );
}
