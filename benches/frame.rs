//! Frame benchmarks: building (a spec and an expression, both through the expression engine;
//! template patch), and printing back (show, summary, hexdump) and the packet view (layout,
//! dissect). `cargo bench --bench frame`.
//!
//! The hot path (`send --count --vary`: a template's copy patched in place, per frame) allocates
//! nothing: a counting allocator checks it before the benchmarks run, for a frame from the
//! field flags and one from an expression, and the run fails if a copy allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vethbench::frame::{self, expr, FrameSpec, FrameTemplate, L4Spec, Vary};

/// The system allocator, counting allocations.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from `alloc` above, with this layout.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// An expression frame with IP and TCP options (the fields to patch are not at fixed offsets).
const EXPR: &str = r#"Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01")/IP(src="198.18.0.1", dst="198.18.0.2", options=[IPOption_Router_Alert()])/TCP(sport=1111, dport=2222, options=[("MSS", 1460)])/"123""#;

/// Allocations made by 100,000 copies of `t` patched in place (the per-frame hot path).
fn allocs_per_copies(t: &FrameTemplate) -> usize {
    let mut f = t.bytes().to_vec();
    let before = ALLOCS.load(Ordering::Relaxed);
    for i in 0..100_000u64 {
        t.make_copy(black_box(&mut f), i);
    }
    ALLOCS.load(Ordering::Relaxed) - before
}

fn hot_path_allocates_nothing() {
    let spec = FrameTemplate::with_vary(&onepkt(), Vary::TcpSeq).unwrap();
    let e = expr::parse(EXPR).unwrap().build().unwrap().remove(0);
    for (name, vary) in [("ip-id", Vary::IpId), ("seq", Vary::TcpSeq)] {
        let from_expr = FrameTemplate::from_frame(e.clone(), vary).unwrap();
        let n = allocs_per_copies(&from_expr) + allocs_per_copies(&spec);
        println!("hot path: 200000 copies (--vary {name}, flags and expression): {n} allocations");
        assert_eq!(n, 0, "the per-frame path allocated");
    }
}

fn onepkt() -> FrameSpec {
    FrameSpec {
        src_mac: "22:11:11:11:11:11".parse().unwrap(),
        dst_mac: "22:22:22:22:22:22".parse().unwrap(),
        src_ip: "1.1.1.1".parse().unwrap(),
        dst_ip: "2.2.2.2".parse().unwrap(),
        payload: b"123".to_vec(),
        ..FrameSpec::default()
    }
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.throughput(Throughput::Elements(1));
    let tcp = onepkt();
    let udp64 = FrameSpec {
        l4: L4Spec::Udp,
        size: Some(64),
        ..onepkt()
    };
    let e = expr::parse(EXPR).unwrap();
    g.bench_function("build/expr-parse-and-build", |b| {
        b.iter(|| expr::parse(black_box(EXPR)).unwrap().build().unwrap())
    });
    g.bench_function("build/expr-build", |b| {
        b.iter(|| black_box(&e).build().unwrap())
    });
    g.bench_function("build/tcp-onepkt", |b| {
        b.iter(|| black_box(&tcp).build().unwrap())
    });
    let mut buf = Vec::with_capacity(2048);
    g.bench_function("build_into/tcp-onepkt", |b| {
        b.iter(|| black_box(&tcp).build_into(&mut buf).unwrap())
    });
    g.bench_function("build_into/udp-64", |b| {
        b.iter(|| black_box(&udp64).build_into(&mut buf).unwrap())
    });
    hot_path_allocates_nothing();
    let tmpl = FrameTemplate::with_vary(&tcp, Vary::IpId).unwrap();
    let mut f = tmpl.bytes().to_vec();
    let mut i = 0u64;
    g.bench_function("template/make_copy-ip-id", |b| {
        b.iter(|| {
            i += 1;
            tmpl.make_copy(black_box(&mut f), i)
        })
    });
    let from_expr = FrameTemplate::from_frame(e.build().unwrap().remove(0), Vary::TcpSeq).unwrap();
    let mut f = from_expr.bytes().to_vec();
    g.bench_function("template/make_copy-seq-expr", |b| {
        b.iter(|| {
            i += 1;
            from_expr.make_copy(black_box(&mut f), i)
        })
    });
    g.finish();
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    let bytes = onepkt().build().unwrap();
    g.bench_function("show", |b| b.iter(|| frame::show(black_box(&bytes))));
    g.bench_function("summary", |b| b.iter(|| frame::summary(black_box(&bytes))));
    let mut line = String::with_capacity(128);
    g.bench_function("write_summary-reused", |b| {
        b.iter(|| {
            line.clear();
            frame::write_summary(&mut line, black_box(&bytes));
        })
    });
    g.bench_function("hexdump", |b| b.iter(|| frame::hexdump(black_box(&bytes))));
    g.bench_function("view-layout", |b| {
        b.iter(|| frame::view::layout(black_box(&bytes)))
    });
    g.bench_function("view-dissect", |b| {
        b.iter(|| frame::view::dissect(black_box(&bytes)))
    });
    g.bench_function("etherparse-slice", |b| {
        b.iter(|| etherparse::SlicedPacket::from_ethernet(black_box(&bytes)).is_ok())
    });
    g.finish();
}

criterion_group!(benches, build, parse);
criterion_main!(benches);
