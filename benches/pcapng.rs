//! pcapng/pcap write and read benchmarks (in memory, no disk): the per-frame cost of our EPB
//! encoder, compared with pcap-file 3.0.0-rc.3's writer on the same frames.
//! `cargo bench --bench pcapng`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use vethbench::pcapng::{CaptureReader, CaptureWriter, EpbFlags, Format, IfaceDesc};

const N: usize = 10_000;

fn ifaces() -> [IfaceDesc; 1] {
    [IfaceDesc {
        name: "vethY".into(),
        snaplen: 262144,
        filter: None,
    }]
}

fn write(c: &mut Criterion) {
    let frame = [0xabu8; 60];
    let mut g = c.benchmark_group("write-60B");
    g.throughput(Throughput::Elements(N as u64));
    for (name, fmt) in [
        ("vethbench-pcapng", Format::Pcapng),
        ("vethbench-pcap", Format::Pcap),
    ] {
        g.bench_function(name, |b| {
            let mut sink = Vec::with_capacity(N * 128 + 4096);
            b.iter(|| {
                sink.clear();
                let mut w = CaptureWriter::new(&mut sink, "mem", fmt, &ifaces()).unwrap();
                for i in 0..N {
                    w.write_frame(0, i as u64, black_box(&frame), 60, EpbFlags(1), false)
                        .unwrap();
                }
                w.finish(&[Default::default()]).unwrap();
            })
        });
    }
    g.bench_function("pcap-file-3.0.0-rc.3-pcapng", |b| {
        use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
        use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
        use pcap_file::pcapng::PcapNgWriter;
        use pcap_file::DataLink;
        let mut sink = Vec::with_capacity(N * 128 + 4096);
        b.iter(|| {
            sink.clear();
            let mut w = PcapNgWriter::new(&mut sink).unwrap();
            w.write_pcapng_block(InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen: 262144,
                options: vec![],
            })
            .unwrap();
            for i in 0..N {
                w.write_pcapng_block(EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp: Duration::from_nanos(i as u64),
                    original_len: 60,
                    data: std::borrow::Cow::Borrowed(black_box(&frame[..])),
                    options: vec![],
                })
                .unwrap();
            }
        })
    });
    g.finish();
}

fn read(c: &mut Criterion) {
    let frame = [0xabu8; 60];
    let mut file = Vec::new();
    let mut w = CaptureWriter::new(&mut file, "mem", Format::Pcapng, &ifaces()).unwrap();
    for i in 0..N {
        w.write_frame(0, i as u64, &frame, 60, EpbFlags(1), false)
            .unwrap();
    }
    w.finish(&[Default::default()]).unwrap();
    let mut g = c.benchmark_group("read-60B");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("vethbench-pcapng", |b| {
        b.iter(|| {
            let mut r = CaptureReader::new(&file[..], "mem").unwrap();
            let mut n = 0;
            while let Some(f) = r.next() {
                n += f.unwrap().data.len();
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, write, read);
criterion_main!(benches);
