//! The reader: pcapng (either byte order, any `if_tsresol`) and classic pcap (µs or ns magic,
//! either byte order). Streams through one reusable buffer; yields frames in file order.
//!
//! A truncated or corrupt block ends the iteration with [`PcapngError::Corrupt`] naming the
//! block's byte offset, after every good frame before it was yielded.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read};

use super::PcapngError;

/// Which format the file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pcapng,
    Pcap,
}

/// One interface described in the file (for pcap: a single unnamed one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadIface {
    /// `if_name`.
    pub name: Option<String>,
    /// `if_description`.
    pub description: Option<String>,
    pub linktype: u16,
    pub snaplen: u32,
    /// Timestamp units per second are 10^n or 2^n; kept as (base, exp).
    tsresol: (u8, u8),
    /// `if_tsoffset`: seconds to add to every timestamp of this interface.
    tsoffset_s: i64,
}

impl ReadIface {
    /// Nanoseconds since the epoch, in a type wide enough for any 64-bit timestamp in any unit
    /// and any offset (2^64-1 µs is 18446744073709.551615 s, beyond u64 nanoseconds).
    fn to_ns(&self, ts: u64) -> u128 {
        let ns = self.units_to_ns(ts);
        let off = u128::from(self.tsoffset_s.unsigned_abs()) * 1_000_000_000;
        if self.tsoffset_s >= 0 {
            ns + off
        } else {
            ns.saturating_sub(off)
        }
    }

    fn units_to_ns(&self, ts: u64) -> u128 {
        let ts = u128::from(ts);
        match self.tsresol {
            (10, 9) => ts,
            // 10^(9-e) < 10^9 and ts < 2^64: the product fits in u128.
            (10, e) if e < 9 => ts * 10u128.pow((9 - e) as u32),
            (10, e) => ts / 10u128.pow((e as u32 - 9).min(38)),
            (_, e) => (ts * 1_000_000_000) >> e.min(127),
        }
    }
}

/// One frame read from a file, borrowed from the reader's buffer.
#[derive(Debug)]
pub struct ReadFrame<'a> {
    /// Interface index in the file (IDB order).
    pub iface: u32,
    /// Nanoseconds since the epoch (u128: a file's 64-bit timestamps in µs overflow u64 ns;
    /// [`ReadFrame::ts_ns_u64`] saturates).
    pub ts_ns: u128,
    pub data: &'a [u8],
    pub orig_len: u32,
    /// `epb_flags`, when present.
    pub flags: Option<u32>,
    /// The interface's link type (1 = Ethernet, the only one vethbench decodes).
    pub linktype: u16,
    /// pcapng: the interface block the frame belongs to (its name, description); `None` for
    /// a pcap file, which has no interface blocks.
    pub idb: Option<&'a ReadIface>,
    /// How many interfaces the file has described so far (its IDBs before this frame).
    pub interfaces: usize,
}

impl ReadFrame<'_> {
    /// The timestamp in u64 nanoseconds, saturated (after the year 2554): for gaps and order.
    pub fn ts_ns_u64(&self) -> u64 {
        u64::try_from(self.ts_ns).unwrap_or(u64::MAX)
    }
}

/// A pcapng or pcap file being read.
#[derive(Debug)]
pub struct CaptureReader<R: Read = BufReader<File>> {
    src: R,
    path: String,
    kind: FileKind,
    big_endian: bool,
    /// pcap only: ns (true) or µs timestamps.
    pcap_ns: bool,
    ifaces: Vec<ReadIface>,
    /// Byte offset of the next block.
    pos: u64,
    buf: Vec<u8>,
    done: Cell<bool>,
}

impl CaptureReader<BufReader<File>> {
    pub fn open(path: &str) -> Result<Self, PcapngError> {
        let f = File::open(path).map_err(|source| PcapngError::Io {
            path: path.to_string(),
            source,
        })?;
        CaptureReader::new(BufReader::with_capacity(1 << 20, f), path)
    }
}

/// Read exactly `buf.len()` bytes, or report how many were there.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> CaptureReader<R> {
    /// Read the file header (pcap) or the SHB (pcapng). `path` labels errors.
    pub fn new(mut src: R, path: &str) -> Result<Self, PcapngError> {
        let mut magic = [0u8; 4];
        let n = read_full(&mut src, &mut magic);
        let mut me = CaptureReader {
            src,
            path: path.to_string(),
            kind: FileKind::Pcap,
            big_endian: false,
            pcap_ns: false,
            ifaces: Vec::new(),
            pos: 0,
            buf: Vec::with_capacity(1 << 16),
            done: Cell::new(false),
        };
        let n = n.map_err(|e| me.io(e))?;
        if n < 4 {
            return Err(me.corrupt(0, "file too short for a capture header".into()));
        }
        let m = u32::from_le_bytes(magic);
        match m {
            0x0A0D_0D0A => {
                me.kind = FileKind::Pcapng;
                // The SHB is then read as a normal block, its magic already in buf.
                me.buf.extend_from_slice(&magic);
                match me.next_block_raw() {
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Err(me.corrupt(0, "empty file".into())),
                }
            }
            0xA1B2_C3D4 | 0xA1B2_3C4D | 0xD4C3_B2A1 | 0x4D3C_B2A1 => {
                me.big_endian = matches!(m, 0xD4C3_B2A1 | 0x4D3C_B2A1);
                me.pcap_ns = matches!(m, 0xA1B2_3C4D | 0x4D3C_B2A1);
                let mut rest = [0u8; 20];
                let n = read_full(&mut me.src, &mut rest).map_err(|e| me.io(e))?;
                if n < 20 {
                    return Err(me.corrupt(4, "truncated pcap file header".into()));
                }
                let snaplen = me.u32_at(&rest, 12);
                let linktype = me.u32_at(&rest, 16) as u16;
                me.ifaces.push(ReadIface {
                    name: None,
                    description: None,
                    linktype,
                    snaplen,
                    tsresol: (10, if me.pcap_ns { 9 } else { 6 }),
                    tsoffset_s: 0,
                });
                me.pos = 24;
            }
            _ => return Err(me.corrupt(0, format!("not a pcapng or pcap file (magic {m:#010x})"))),
        }
        Ok(me)
    }

    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// Interfaces seen so far (pcapng IDBs may appear before any frame of theirs).
    pub fn interfaces(&self) -> &[ReadIface] {
        &self.ifaces
    }

    fn io(&self, source: std::io::Error) -> PcapngError {
        PcapngError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// A corrupt-file error; it ends the iteration (a `Cell`, since a frame that borrows the
    /// buffer is built through `&self`).
    fn corrupt(&self, offset: u64, why: String) -> PcapngError {
        self.done.set(true);
        PcapngError::Corrupt {
            path: self.path.clone(),
            offset,
            why,
        }
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    }

    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        let w = [b[at], b[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(w)
        } else {
            u16::from_le_bytes(w)
        }
    }

    /// The next frame, `None` at a clean end of file. After an error, always `None`.
    #[allow(clippy::should_implement_trait)] // a lending iterator: frames borrow the buffer
    pub fn next(&mut self) -> Option<Result<ReadFrame<'_>, PcapngError>> {
        if self.done.get() {
            return None;
        }
        let r = match self.kind {
            FileKind::Pcap => self.next_pcap(),
            FileKind::Pcapng => loop {
                match self.next_block_raw() {
                    None => break None,
                    Some(Err(e)) => break Some(Err(e)),
                    Some(Ok(t)) if t == 6 || t == 2 || t == 3 => break Some(Ok(t)),
                    Some(Ok(_)) => continue,
                }
            }
            .map(|r| r.map(|_| ())),
        };
        match r {
            None => {
                self.done.set(true);
                None
            }
            Some(Err(e)) => {
                self.done.set(true);
                Some(Err(e))
            }
            // An error inside the block (an unknown interface, a short EPB) ends the
            // iteration too: `corrupt` sets `done`.
            Some(Ok(())) => Some(self.frame_from_buf()),
        }
    }

    fn next_pcap(&mut self) -> Option<Result<(), PcapngError>> {
        let at = self.pos;
        let mut h = [0u8; 16];
        let n = match read_full(&mut self.src, &mut h) {
            Ok(n) => n,
            Err(e) => return Some(Err(self.io(e))),
        };
        if n == 0 {
            return None;
        }
        if n < 16 {
            return Some(Err(
                self.corrupt(at, format!("truncated record header ({n} of 16 bytes)"))
            ));
        }
        let incl = self.u32_at(&h, 8) as usize;
        if incl > (1 << 24) {
            return Some(Err(
                self.corrupt(at, format!("record length {incl} is implausible"))
            ));
        }
        self.buf.clear();
        self.buf.extend_from_slice(&h);
        self.buf.resize(16 + incl, 0);
        let n = match read_full(&mut self.src, &mut self.buf[16..]) {
            Ok(n) => n,
            Err(e) => return Some(Err(self.io(e))),
        };
        if n < incl {
            return Some(Err(self.corrupt(
                at,
                format!("truncated record: {incl} bytes of frame announced, {n} present"),
            )));
        }
        self.pos += 16 + incl as u64;
        Some(Ok(()))
    }

    /// Read one pcapng block into `buf`; returns its type. Handles SHB (byte order) and IDB.
    fn next_block_raw(&mut self) -> Option<Result<u32, PcapngError>> {
        let at = self.pos;
        // The SHB's magic may already be in buf (read while sniffing the format).
        let pre = if at == 0 { self.buf.len() } else { 0 };
        if at != 0 {
            self.buf.clear();
        }
        self.buf.resize(12, 0);
        let n = match read_full(&mut self.src, &mut self.buf[pre..12]) {
            Ok(n) => n + pre,
            Err(e) => return Some(Err(self.io(e))),
        };
        if n == 0 {
            return None;
        }
        if n < 12 {
            return Some(Err(
                self.corrupt(at, format!("truncated block header ({n} of 12 bytes)"))
            ));
        }
        let raw_ty = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        if raw_ty == 0x0A0D_0D0A {
            let bom = [self.buf[8], self.buf[9], self.buf[10], self.buf[11]];
            self.big_endian = match u32::from_le_bytes(bom) {
                0x1A2B_3C4D => false,
                0x4D3C_2B1A => true,
                _ => return Some(Err(self.corrupt(at, "bad byte-order magic in SHB".into()))),
            };
            // A new section: interface ids start over.
            self.ifaces.clear();
        }
        let ty = self.u32_at(&self.buf, 0);
        let len = self.u32_at(&self.buf, 4) as usize;
        if len < 12 || !len.is_multiple_of(4) || len > (1 << 26) {
            return Some(Err(self.corrupt(
                at,
                format!("block length {len} is invalid (type {ty:#x})"),
            )));
        }
        self.buf.resize(len, 0);
        let n = match read_full(&mut self.src, &mut self.buf[12..]) {
            Ok(n) => n,
            Err(e) => return Some(Err(self.io(e))),
        };
        if n < len - 12 {
            return Some(Err(self.corrupt(
                at,
                format!(
                    "truncated block (type {ty:#x}): {len} bytes announced, {} present",
                    n + 12
                ),
            )));
        }
        let trailer = self.u32_at(&self.buf, len - 4) as usize;
        if trailer != len {
            return Some(Err(self.corrupt(
                at,
                format!("block length {len} and trailer {trailer} differ (type {ty:#x})"),
            )));
        }
        self.pos += len as u64;
        if ty == 1 {
            if let Err(e) = self.parse_idb(at) {
                return Some(Err(e));
            }
        }
        Some(Ok(ty))
    }

    fn parse_idb(&mut self, at: u64) -> Result<(), PcapngError> {
        let b = &self.buf;
        if b.len() < 20 {
            return Err(self.corrupt(at, "IDB too short".into()));
        }
        let linktype = self.u16_at(b, 8);
        let snaplen = self.u32_at(b, 12);
        let mut name = None;
        let mut description = None;
        let mut tsresol = (10u8, 6u8);
        let mut tsoffset_s = 0i64;
        let mut p = 16;
        let end = b.len() - 4;
        while p + 4 <= end {
            let code = self.u16_at(b, p);
            let olen = self.u16_at(b, p + 2) as usize;
            if p + 4 + olen > end {
                return Err(self.corrupt(at, "IDB option runs past the block".into()));
            }
            let v = &b[p + 4..p + 4 + olen];
            match code {
                0 => break,
                2 => name = Some(String::from_utf8_lossy(v).into_owned()),
                3 => description = Some(String::from_utf8_lossy(v).into_owned()),
                9 if olen >= 1 => {
                    tsresol = if v[0] & 0x80 != 0 {
                        (2, v[0] & 0x7f)
                    } else {
                        (10, v[0])
                    }
                }
                14 if olen == 8 => {
                    let (hi, lo) = (self.u32_at(v, 0) as u64, self.u32_at(v, 4) as u64);
                    // The option is one 64-bit integer in the section's byte order.
                    tsoffset_s = if self.big_endian {
                        (hi << 32 | lo) as i64
                    } else {
                        (lo << 32 | hi) as i64
                    };
                }
                _ => {}
            }
            p += 4 + ((olen + 3) & !3);
        }
        self.ifaces.push(ReadIface {
            name,
            description,
            linktype,
            snaplen,
            tsresol,
            tsoffset_s,
        });
        Ok(())
    }

    fn frame_from_buf(&self) -> Result<ReadFrame<'_>, PcapngError> {
        let b = &self.buf;
        match self.kind {
            FileKind::Pcap => {
                let sec = u128::from(self.u32_at(b, 0));
                let sub = u128::from(self.u32_at(b, 4));
                let ts_ns = sec * 1_000_000_000 + if self.pcap_ns { sub } else { sub * 1000 };
                Ok(ReadFrame {
                    iface: 0,
                    ts_ns,
                    data: &b[16..],
                    orig_len: self.u32_at(b, 12),
                    flags: None,
                    linktype: self.ifaces.first().map_or(1, |i| i.linktype),
                    idb: None,
                    interfaces: 1,
                })
            }
            FileKind::Pcapng => {
                let at = self.pos - b.len() as u64;
                let ty = self.u32_at(b, 0);
                if ty == 3 {
                    // Simple packet block: interface 0, no timestamp.
                    if b.len() < 16 {
                        return Err(self.corrupt(at, "simple packet block too short".into()));
                    }
                    let ifd = self.ifaces.first().ok_or_else(|| {
                        self.corrupt(at, "simple packet block before any IDB".into())
                    })?;
                    let orig = self.u32_at(b, 8);
                    let cap = (orig as usize).min(b.len() - 16);
                    return Ok(ReadFrame {
                        iface: 0,
                        ts_ns: 0,
                        data: &b[12..12 + cap],
                        orig_len: orig,
                        flags: None,
                        linktype: ifd.linktype,
                        idb: Some(ifd),
                        interfaces: self.ifaces.len(),
                    });
                }
                if b.len() < 32 {
                    return Err(self.corrupt(at, "packet block too short".into()));
                }
                // EPB: iface u32; obsolete PB (2): iface u16 + drops u16.
                let iface = if ty == 2 {
                    self.u16_at(b, 8) as u32
                } else {
                    self.u32_at(b, 8)
                };
                let hi = self.u32_at(b, 12) as u64;
                let lo = self.u32_at(b, 16) as u64;
                let cap = self.u32_at(b, 20) as usize;
                let orig = self.u32_at(b, 24);
                if 28 + cap > b.len() - 4 {
                    return Err(
                        self.corrupt(at, format!("captured length {cap} runs past the block"))
                    );
                }
                let ifd = self.ifaces.get(iface as usize).ok_or_else(|| {
                    self.corrupt(at, format!("frame on interface {iface}, which has no IDB"))
                })?;
                let mut flags = None;
                let mut p = 28 + ((cap + 3) & !3);
                let end = b.len() - 4;
                while p + 4 <= end {
                    let code = self.u16_at(b, p);
                    let olen = self.u16_at(b, p + 2) as usize;
                    if code == 0 || p + 4 + olen > end {
                        break;
                    }
                    if code == 2 && olen == 4 {
                        flags = Some(self.u32_at(b, p + 4));
                    }
                    p += 4 + ((olen + 3) & !3);
                }
                Ok(ReadFrame {
                    iface,
                    ts_ns: ifd.to_ns((hi << 32) | lo),
                    data: &b[28..28 + cap],
                    orig_len: orig,
                    flags,
                    linktype: ifd.linktype,
                    idb: Some(ifd),
                    interfaces: self.ifaces.len(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc, IfaceStats};

    fn file(format: Format) -> Vec<u8> {
        let ifs = [IfaceDesc {
            name: "v0".into(),
            snaplen: 262144,
            filter: None,
        }];
        let mut w = CaptureWriter::new(Vec::new(), "mem", format, &ifs).unwrap();
        for i in 0..3u8 {
            w.write_frame(
                0,
                1_000_000_007 + i as u64,
                &[i; 61],
                61,
                EpbFlags(1),
                i == 1,
            )
            .unwrap();
        }
        w.finish(&[IfaceStats::default()]).unwrap()
    }

    #[test]
    fn round_trip_both_formats() {
        for fmt in [Format::Pcapng, Format::Pcap] {
            let v = file(fmt);
            let mut r = CaptureReader::new(&v[..], "mem").unwrap();
            let mut n = 0u8;
            while let Some(f) = r.next() {
                let f = f.unwrap();
                assert_eq!(f.data, &[n; 61][..]);
                if fmt == Format::Pcapng {
                    // Frame 1 was written checksum-not-ready: epb_flags bit 9 besides inbound.
                    let want = if n == 1 { 0x201 } else { 0x1 };
                    assert_eq!(f.flags, Some(want));
                }
                assert_eq!(f.ts_ns, 1_000_000_007 + n as u128);
                n += 1;
            }
            assert_eq!(n, 3, "{fmt:?}");
        }
    }

    /// Read `v` to the end; the reader must stop (error or end) without panicking.
    fn drain(v: &[u8]) -> usize {
        let Ok(mut r) = CaptureReader::new(v, "fuzz") else {
            return 0;
        };
        let mut n = 0;
        while let Some(f) = r.next() {
            if f.is_err() {
                break;
            }
            n += 1;
        }
        n
    }

    #[test]
    fn short_simple_packet_block_is_an_error_not_a_panic() {
        let mut v = file(Format::Pcapng);
        // Keep SHB + IDB, then a 12-byte SPB (no room for its original-length word).
        let shb = u32::from_le_bytes(v[4..8].try_into().unwrap()) as usize;
        let idb = u32::from_le_bytes(v[shb + 4..shb + 8].try_into().unwrap()) as usize;
        v.truncate(shb + idb);
        v.extend_from_slice(&[3, 0, 0, 0, 12, 0, 0, 0, 12, 0, 0, 0]);
        let mut r = CaptureReader::new(&v[..], "spb").unwrap();
        let e = r.next().unwrap().unwrap_err().to_string();
        assert!(e.contains(&format!("at byte {}", shb + idb)), "{e}");
    }

    #[test]
    fn no_truncation_or_byte_overwrite_makes_the_reader_panic() {
        for fmt in [Format::Pcapng, Format::Pcap] {
            let v = file(fmt);
            for cut in 0..v.len() {
                drain(&v[..cut]);
            }
            let mut m = v.clone();
            for at in 0..v.len() {
                for x in [0x00, 0x01, 0x03, 0x0c, 0x10, 0x7f, 0x80, 0xff] {
                    m[at] = x;
                    drain(&m);
                }
                m[at] = v[at];
            }
        }
    }

    /// A pcapng written by hand in either byte order: one IDB per (linktype, tsresol byte,
    /// tsoffset), then one EPB per (iface, timestamp units, bytes).
    fn handmade(be: bool, ifaces: &[(u16, u8, i64)], frames: &[(u32, u64, &[u8])]) -> Vec<u8> {
        let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let block = |out: &mut Vec<u8>, ty: u32, body: &[u8]| {
            let len = 12 + body.len() as u32;
            out.extend_from_slice(&w32(ty));
            out.extend_from_slice(&w32(len));
            out.extend_from_slice(body);
            out.extend_from_slice(&w32(len));
        };
        let mut out = Vec::new();
        let mut shb = Vec::new();
        shb.extend_from_slice(&w32(0x1A2B_3C4D));
        shb.extend_from_slice(&w16(1));
        shb.extend_from_slice(&w16(0));
        shb.extend_from_slice(&[0xff; 8]);
        block(&mut out, 0x0A0D_0D0A, &shb);
        for &(lt, res, off) in ifaces {
            let mut b = Vec::new();
            b.extend_from_slice(&w16(lt));
            b.extend_from_slice(&w16(0));
            b.extend_from_slice(&w32(65535));
            b.extend_from_slice(&w16(9));
            b.extend_from_slice(&w16(1));
            b.extend_from_slice(&[res, 0, 0, 0]);
            b.extend_from_slice(&w16(14));
            b.extend_from_slice(&w16(8));
            let off = off as u64;
            let (hi, lo) = ((off >> 32) as u32, off as u32);
            if be {
                b.extend_from_slice(&w32(hi));
                b.extend_from_slice(&w32(lo));
            } else {
                b.extend_from_slice(&w32(lo));
                b.extend_from_slice(&w32(hi));
            }
            b.extend_from_slice(&[0; 4]); // opt_endofopt
            block(&mut out, 1, &b);
        }
        for &(iface, ts, data) in frames {
            let mut b = Vec::new();
            b.extend_from_slice(&w32(iface));
            b.extend_from_slice(&w32((ts >> 32) as u32));
            b.extend_from_slice(&w32(ts as u32));
            b.extend_from_slice(&w32(data.len() as u32));
            b.extend_from_slice(&w32(data.len() as u32));
            b.extend_from_slice(data);
            b.resize(b.len().div_ceil(4) * 4, 0);
            block(&mut out, 6, &b);
        }
        out
    }

    #[test]
    fn either_byte_order_every_resolution_and_offset_every_interface() {
        // iface 0: µs (default-like 10^-6); 1: 2^-20 s units, 10 s offset; 2: ns, -1 s offset,
        // raw IP link type.
        let ifaces = [(1u16, 6u8, 0i64), (1, 0x80 | 20, 10), (101, 9, -1)];
        let frames: [(u32, u64, &[u8]); 3] = [
            (0, 3_000_001, b"zero"),
            (1, 3 << 20, b"one!"),
            (2, 5_000_000_123, b"two?"),
        ];
        for be in [false, true] {
            let v = handmade(be, &ifaces, &frames);
            let mut r = CaptureReader::new(&v[..], "hand").unwrap();
            let mut got = Vec::new();
            while let Some(f) = r.next() {
                let f = f.unwrap();
                got.push((f.iface, f.ts_ns, f.data.to_vec(), f.linktype));
            }
            assert_eq!(
                got,
                [
                    (0, 3_000_001_000, b"zero".to_vec(), 1),
                    (1, 13_000_000_000, b"one!".to_vec(), 1),
                    (2, 4_000_000_123, b"two?".to_vec(), 101),
                ],
                "big endian: {be}"
            );
            assert_eq!(r.interfaces().len(), 3);
        }
    }

    #[test]
    fn truncated_file_yields_good_frames_then_offset() {
        let v = file(Format::Pcapng);
        // Cut in the middle of the third EPB (the ISB and half the EPB gone).
        let cut = &v[..v.len() - 100];
        let mut r = CaptureReader::new(cut, "cut.pcapng").unwrap();
        let mut good = 0;
        let err = loop {
            match r.next() {
                Some(Ok(_)) => good += 1,
                Some(Err(e)) => break e,
                None => panic!("no error on a truncated file"),
            }
        };
        assert_eq!(good, 2);
        let msg = err.to_string();
        assert!(msg.contains("at byte "), "{msg}");
        assert!(r.next().is_none());
    }
}
