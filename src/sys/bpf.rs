//! The bpf(2) map commands aya does not expose for keys and values of any size:
//! `BPF_MAP_LOOKUP_ELEM`, `BPF_MAP_UPDATE_ELEM` and `BPF_MAP_GET_NEXT_KEY` on a map's file
//! descriptor, with the key and value as byte slices whose lengths the caller has checked
//! against the map's (for a per-CPU map, the value is one 8-byte-aligned slot per possible CPU).

use std::os::fd::{AsRawFd, BorrowedFd};

const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;
const BPF_MAP_UPDATE_ELEM: libc::c_long = 2;
const BPF_MAP_GET_NEXT_KEY: libc::c_long = 4;
const BPF_ANY: u64 = 0;

/// `union bpf_attr` as the map element commands read it.
#[repr(C)]
#[derive(Default)]
struct MapElemAttr {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

fn map_elem(
    cmd: libc::c_long,
    fd: BorrowedFd<'_>,
    key: &[u8],
    value: *mut u8,
) -> std::io::Result<()> {
    let attr = MapElemAttr {
        map_fd: fd.as_raw_fd() as u32,
        key: key.as_ptr() as u64,
        value: value as u64,
        flags: BPF_ANY,
        ..MapElemAttr::default()
    };
    // SAFETY: `attr` is a valid bpf_attr prefix for the map element commands, its size is
    // passed; `key` points to a live slice of the map's key size and `value` to a buffer of the
    // map's value size (checked by the callers in `bpf`), both outliving the call. The kernel
    // only reads the key, and writes at most value-size bytes into `value` (lookup) or reads
    // them (update).
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            &attr as *const MapElemAttr,
            std::mem::size_of::<MapElemAttr>() as libc::c_uint,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The value at `key` (`value_size` bytes), or `None` when the key is absent.
pub(crate) fn map_lookup(
    fd: BorrowedFd<'_>,
    key: &[u8],
    value_size: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut v = vec![0u8; value_size];
    match map_elem(BPF_MAP_LOOKUP_ELEM, fd, key, v.as_mut_ptr()) {
        Ok(()) => Ok(Some(v)),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Set `key` to `value` (created or replaced).
pub(crate) fn map_update(fd: BorrowedFd<'_>, key: &[u8], value: &[u8]) -> std::io::Result<()> {
    // The kernel only reads `value` for an update; the pointer is cast for the shared helper.
    map_elem(BPF_MAP_UPDATE_ELEM, fd, key, value.as_ptr().cast_mut())
}

/// The key after `key` (the first key when `key` is None), or `None` after the last.
pub(crate) fn map_next_key(
    fd: BorrowedFd<'_>,
    key: Option<&[u8]>,
    key_size: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut next = vec![0u8; key_size];
    // A null key pointer asks for the first key.
    let attr = MapElemAttr {
        map_fd: fd.as_raw_fd() as u32,
        key: key.map_or(0, |k| k.as_ptr() as u64),
        value: next.as_mut_ptr() as u64,
        ..MapElemAttr::default()
    };
    // SAFETY: as in `map_elem`: `attr` is the bpf_attr prefix BPF_MAP_GET_NEXT_KEY reads (its
    // `value` is `next_key`), `key` is null or a live slice of the map's key size (checked by
    // the caller), and `next` is a live buffer of the key size the kernel writes at most.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_MAP_GET_NEXT_KEY,
            &attr as *const MapElemAttr,
            std::mem::size_of::<MapElemAttr>() as libc::c_uint,
        )
    };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ENOENT) {
            return Ok(None);
        }
        return Err(e);
    }
    Ok(Some(next))
}
