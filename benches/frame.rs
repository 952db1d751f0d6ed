//! Frame benchmarks: building (fresh Vec, reused buffer, template patch), and printing back
//! (show, summary, hexdump) and the packet view (layout, dissect). `cargo bench --bench frame`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vethbench::frame::{self, FrameSpec, FrameTemplate, L4Spec, Vary};

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
    let tmpl = FrameTemplate::with_vary(&tcp, Vary::IpId).unwrap();
    let mut f = tmpl.bytes().to_vec();
    let mut i = 0u64;
    g.bench_function("template/make_copy-ip-id", |b| {
        b.iter(|| {
            i += 1;
            tmpl.make_copy(black_box(&mut f), i)
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
