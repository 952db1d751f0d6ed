//! tcpdump filter syntax, compiled to classic BPF by libpcap (loaded at run time) and attached
//! in the kernel with SO_ATTACH_FILTER, so rejected frames never reach the ring.
//!
//! VLAN: the kernel strips a received 802.1Q tag before the socket filter runs, so a filter
//! sees the frame *without* its tag: `tcp port 2222` matches a tagged TCP frame too. libpcap
//! rewrites `vlan` tests into ancillary loads only for its own live handles, not for the
//! offline compiler used here, so a `vlan` primitive could never match: it is refused with a
//! clear message rather than silently capturing nothing.
//!
//! Files: `read FILE FILTER` compiles the same way ([`compile_for_file`]: tags are in a file's
//! frames, so `vlan` and `mpls` are allowed there) and runs the program in user space
//! ([`BpfProgram::run`], a classic-BPF interpreter: the kernel's semantics for the opcodes
//! libpcap emits, with the frame's captured bytes as the packet and its wire length as `len`,
//! as libpcap's own `bpf_filter` for `tcpdump -r`).

use super::SockError;
use crate::sys::filter as sys;

/// A compiled classic BPF program.
#[derive(Debug, Clone)]
pub struct BpfProgram {
    expr: String,
    insns: Vec<libc::sock_filter>,
}

impl BpfProgram {
    /// The expression it was compiled from (written to the pcapng IDB's `if_filter`).
    pub fn expr(&self) -> &str {
        &self.expr
    }
    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.insns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }
    pub(crate) fn insns(&self) -> &[libc::sock_filter] {
        &self.insns
    }

    /// Run the program on a frame (its captured bytes, `wire_len` on the wire; 0 means the
    /// captured length): the number of bytes it keeps, 0 when it rejects the frame. A load
    /// beyond the captured bytes, an ancillary load (a negative offset: kernel metadata a file
    /// does not have), a division by zero or a jump out of the program rejects, as in the
    /// kernel. Allocates nothing.
    pub fn run(&self, frame: &[u8], wire_len: u32) -> u32 {
        interpret(&self.insns, frame, wire_len)
    }

    /// Whether the program keeps the frame ([`BpfProgram::run`] is not 0).
    pub fn matches(&self, frame: &[u8], wire_len: u32) -> bool {
        self.run(frame, wire_len) != 0
    }
}

/// Compile a tcpdump-syntax expression for the Ethernet frames of a file (run by
/// [`BpfProgram::run`]): as [`compile`], but `vlan` and `mpls` are allowed, since a file's
/// frames keep their tags.
pub fn compile_for_file(expr: &str, snaplen: u32) -> Result<BpfProgram, SockError> {
    let insns = sys::compile(expr, snaplen).map_err(|why| SockError::Filter {
        expr: expr.to_string(),
        why,
    })?;
    Ok(BpfProgram {
        expr: expr.to_string(),
        insns,
    })
}

// Classic BPF (linux/filter.h, linux/bpf_common.h).
const BPF_LD: u16 = 0x00;
const BPF_LDX: u16 = 0x01;
const BPF_ST: u16 = 0x02;
const BPF_STX: u16 = 0x03;
const BPF_ALU: u16 = 0x04;
const BPF_JMP: u16 = 0x05;
const BPF_RET: u16 = 0x06;
const BPF_W: u16 = 0x00;
const BPF_H: u16 = 0x08;
const BPF_B: u16 = 0x10;
const BPF_IMM: u16 = 0x00;
const BPF_ABS: u16 = 0x20;
const BPF_IND: u16 = 0x40;
const BPF_MEM: u16 = 0x60;
const BPF_LEN: u16 = 0x80;
const BPF_MSH: u16 = 0xa0;
const BPF_X: u16 = 0x08;
const BPF_A: u16 = 0x10;
const BPF_MEMWORDS: usize = 16;

/// Load `size` bytes (big-endian) at `off` of `p`; `None` beyond its end.
fn load(p: &[u8], off: u32, size: u16) -> Option<u32> {
    let off = usize::try_from(off).ok()?;
    let n = match size {
        BPF_W => 4,
        BPF_H => 2,
        BPF_B => 1,
        _ => return None,
    };
    let b = p.get(off..off.checked_add(n)?)?;
    Some(b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)))
}

fn interpret(prog: &[libc::sock_filter], p: &[u8], wire_len: u32) -> u32 {
    let len = if wire_len == 0 {
        p.len() as u32
    } else {
        wire_len
    };
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; BPF_MEMWORDS];
    let mut pc = 0usize;
    // Jumps only go forward: at most one pass over the program.
    while let Some(i) = prog.get(pc) {
        pc += 1;
        let k = i.k;
        let code = i.code;
        match code & 0x07 {
            BPF_LD | BPF_LDX => {
                let ldx = code & 0x07 == BPF_LDX;
                let v = match code & 0xe0 {
                    BPF_IMM => k,
                    BPF_LEN => len,
                    BPF_MEM => match mem.get(k as usize) {
                        Some(v) => *v,
                        None => return 0,
                    },
                    BPF_ABS if !ldx => match load(p, k, code & 0x18) {
                        Some(v) => v,
                        None => return 0,
                    },
                    BPF_IND if !ldx => match x.checked_add(k).and_then(|o| load(p, o, code & 0x18))
                    {
                        Some(v) => v,
                        None => return 0,
                    },
                    // ldxb 4*([k]&0xf): an IPv4 header's length.
                    BPF_MSH if ldx => match load(p, k, BPF_B) {
                        Some(v) => (v & 0xf) << 2,
                        None => return 0,
                    },
                    _ => return 0,
                };
                if ldx {
                    x = v;
                } else {
                    a = v;
                }
            }
            BPF_ST | BPF_STX => {
                let v = if code & 0x07 == BPF_ST { a } else { x };
                match mem.get_mut(k as usize) {
                    Some(m) => *m = v,
                    None => return 0,
                }
            }
            BPF_ALU => {
                let s = if code & BPF_X != 0 { x } else { k };
                a = match code & 0xf0 {
                    0x00 => a.wrapping_add(s),
                    0x10 => a.wrapping_sub(s),
                    0x20 => a.wrapping_mul(s),
                    0x30 if s == 0 => return 0,
                    0x30 => a / s,
                    0x40 => a | s,
                    0x50 => a & s,
                    0x60 => a.checked_shl(s).unwrap_or(0),
                    0x70 => a.checked_shr(s).unwrap_or(0),
                    0x80 => a.wrapping_neg(),
                    0x90 if s == 0 => return 0,
                    0x90 => a % s,
                    0xa0 => a ^ s,
                    _ => return 0,
                };
            }
            BPF_JMP => {
                let s = if code & BPF_X != 0 { x } else { k };
                let taken = match code & 0xf0 {
                    0x00 => {
                        pc = match pc.checked_add(k as usize) {
                            Some(t) => t,
                            None => return 0,
                        };
                        continue;
                    }
                    0x10 => a == s,
                    0x20 => a > s,
                    0x30 => a >= s,
                    0x40 => a & s != 0,
                    _ => return 0,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            BPF_RET => {
                return match code & 0x18 {
                    BPF_A => a,
                    BPF_X => x,
                    _ => k,
                }
            }
            // BPF_MISC: tax / txa.
            _ => {
                if code & 0xf8 == 0x80 {
                    a = x;
                } else if code & 0xf8 == 0x00 {
                    x = a;
                } else {
                    return 0;
                }
            }
        }
    }
    // Fell off the end (the kernel's checker refuses such a program).
    0
}

/// Compile a tcpdump-syntax expression for Ethernet frames of at most `snaplen` bytes.
/// Errors carry libpcap's own message (e.g. "syntax error").
pub fn compile(expr: &str, snaplen: u32) -> Result<BpfProgram, SockError> {
    let refuse = |why: &str| SockError::Filter {
        expr: expr.to_string(),
        why: why.to_string(),
    };
    if expr
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "vlan" || w == "mpls")
    {
        return Err(refuse(
            "'vlan'/'mpls' primitives are not supported: the kernel strips the tag before \
             the socket filter runs (filter on the inner fields; -T fields -e vlan.id shows tags)",
        ));
    }
    let insns = sys::compile(expr, snaplen).map_err(|why| refuse(&why))?;
    Ok(BpfProgram {
        expr: expr.to_string(),
        insns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn have_libpcap() -> bool {
        ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"]
            .iter()
            .any(|p| {
                std::path::Path::new("/usr/lib/x86_64-linux-gnu")
                    .join(p)
                    .exists()
            })
    }

    #[test]
    fn compiles_and_refuses() {
        if !have_libpcap() {
            eprintln!("SKIP: libpcap not installed");
            return;
        }
        let p = compile("tcp port 2222", 262144).unwrap();
        assert!(p.len() > 5, "a port filter is more than a few instructions");
        // The last instruction accepts snaplen bytes or rejects.
        let e = compile("tcp prot 2222", 262144).unwrap_err().to_string();
        assert!(e.contains("syntax error"), "{e}");
        assert!(compile("vlan 10", 100).is_err());
    }

    fn ins(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
        libc::sock_filter { code, jt, jf, k }
    }

    #[test]
    fn interpreter_by_hand() {
        // ldh [12]; jeq #0x800 jt 0 jf 1; ret #65535; ret #0
        let prog = [
            ins(BPF_LD | BPF_H | BPF_ABS, 0, 0, 12),
            ins(BPF_JMP | 0x10, 0, 1, 0x0800),
            ins(BPF_RET, 0, 0, 65535),
            ins(BPF_RET, 0, 0, 0),
        ];
        let mut f = vec![0u8; 34];
        f[12] = 0x08;
        assert_eq!(interpret(&prog, &f, 0), 65535);
        f[13] = 0xdd;
        assert_eq!(interpret(&prog, &f, 0), 0);
        // A load beyond the captured bytes rejects.
        assert_eq!(interpret(&prog, &f[..13], 60), 0);
        // ldxb 4*([14]&0xf); ld len; st M[1]; ldx M[1]; txa; add x; ret a
        let prog = [
            ins(BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14),
            ins(BPF_LD | BPF_LEN, 0, 0, 0),
            ins(BPF_ST, 0, 0, 1),
            ins(BPF_LDX | BPF_MEM, 0, 0, 1),
            ins(0x07 | 0x80, 0, 0, 0),
            ins(BPF_ALU | BPF_X, 0, 0, 0),
            ins(BPF_RET | BPF_A, 0, 0, 0),
        ];
        f[14] = 0x45;
        assert_eq!(interpret(&prog, &f, 100), 200);
        // Division by zero and a jump past the end reject; so does falling off the end.
        assert_eq!(interpret(&[ins(BPF_ALU | 0x30, 0, 0, 0)], &f, 0), 0);
        assert_eq!(
            interpret(&[ins(BPF_JMP, 0, 0, 7), ins(BPF_RET, 0, 0, 1)], &f, 0),
            0
        );
        assert_eq!(interpret(&[ins(BPF_LD | BPF_IMM, 0, 0, 1)], &f, 0), 0);
        // An ancillary load (SKF_AD_OFF + protocol) rejects.
        assert_eq!(
            interpret(
                &[
                    ins(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0xffff_f000),
                    ins(BPF_RET, 0, 0, 1)
                ],
                &f,
                0
            ),
            0
        );
    }

    #[test]
    fn libpcap_programs_run_as_tcpdump_would() {
        if !have_libpcap() {
            eprintln!("SKIP: libpcap not installed");
            return;
        }
        // Ether/IP/UDP 40001 -> 443 (a 42-byte frame, ihl 5).
        let mut f = vec![0u8; 42];
        f[12] = 0x08;
        f[14] = 0x45;
        f[23] = 17;
        f[26..30].copy_from_slice(&[198, 18, 0, 1]);
        f[34..38].copy_from_slice(&[0x9c, 0x41, 0x01, 0xbb]);
        let yes = [
            "udp",
            "udp port 443",
            "src host 198.18.0.1",
            "net 198.18.0.0/15",
            "less 60",
        ];
        for e in yes {
            assert!(compile_for_file(e, 262144).unwrap().matches(&f, 0), "{e}");
        }
        let no = ["tcp", "udp port 80", "host 10.0.0.1", "greater 100", "vlan"];
        for e in no {
            assert!(!compile_for_file(e, 262144).unwrap().matches(&f, 0), "{e}");
        }
        // `len` is the wire length.
        assert!(compile_for_file("greater 100", 262144)
            .unwrap()
            .matches(&f, 200));
    }
}
