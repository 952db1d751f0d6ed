//! libpcap's filter compiler, loaded at run time (`libloading`), so building vethbench needs no
//! libpcap-dev and only `-f` needs libpcap installed.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};

/// `struct bpf_insn` has the layout of `struct sock_filter`.
#[repr(C)]
struct BpfProgram {
    bf_len: c_uint,
    bf_insns: *mut libc::sock_filter,
}

const DLT_EN10MB: c_int = 1;
const PCAP_NETMASK_UNKNOWN: u32 = 0xffff_ffff;
const LIBS: [&str; 3] = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"];

type OpenDead = unsafe extern "C" fn(c_int, c_int) -> *mut c_void;
type Compile =
    unsafe extern "C" fn(*mut c_void, *mut BpfProgram, *const c_char, c_int, u32) -> c_int;
type GetErr = unsafe extern "C" fn(*mut c_void) -> *mut c_char;
type FreeCode = unsafe extern "C" fn(*mut BpfProgram);
type Close = unsafe extern "C" fn(*mut c_void);

/// Compile `expr` for Ethernet frames of at most `snaplen` bytes. The error is libpcap's own
/// message (or why libpcap could not be loaded).
pub(crate) fn compile(expr: &str, snaplen: u32) -> Result<Vec<libc::sock_filter>, String> {
    let cexpr = CString::new(expr).map_err(|_| "contains a NUL byte".to_string())?;
    // SAFETY: loading libpcap runs its initialisers, which have no preconditions.
    let lib = LIBS
        .iter()
        .find_map(|name| unsafe { libloading::Library::new(*name) }.ok())
        .ok_or_else(|| {
            "libpcap is needed to compile filters and was not found (install libpcap0.8)"
                .to_string()
        })?;
    // SAFETY: the symbol types match libpcap's documented prototypes (pcap/pcap.h).
    unsafe {
        let open_dead: libloading::Symbol<OpenDead> =
            lib.get(b"pcap_open_dead\0").map_err(|e| e.to_string())?;
        let compile: libloading::Symbol<Compile> =
            lib.get(b"pcap_compile\0").map_err(|e| e.to_string())?;
        let geterr: libloading::Symbol<GetErr> =
            lib.get(b"pcap_geterr\0").map_err(|e| e.to_string())?;
        let freecode: libloading::Symbol<FreeCode> =
            lib.get(b"pcap_freecode\0").map_err(|e| e.to_string())?;
        let close: libloading::Symbol<Close> =
            lib.get(b"pcap_close\0").map_err(|e| e.to_string())?;
        let p = open_dead(DLT_EN10MB, snaplen.min(i32::MAX as u32) as c_int);
        if p.is_null() {
            return Err("pcap_open_dead failed".to_string());
        }
        let mut prog = BpfProgram {
            bf_len: 0,
            bf_insns: std::ptr::null_mut(),
        };
        let rc = compile(p, &mut prog, cexpr.as_ptr(), 1, PCAP_NETMASK_UNKNOWN);
        let out = if rc != 0 {
            let msg = geterr(p);
            Err(if msg.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(msg).to_string_lossy().into_owned()
            })
        } else {
            // bf_insns points at bf_len instructions owned by libpcap until pcap_freecode.
            let v = std::slice::from_raw_parts(prog.bf_insns, prog.bf_len as usize).to_vec();
            freecode(&mut prog);
            Ok(v)
        };
        close(p);
        out
    }
}
