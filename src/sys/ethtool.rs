//! The legacy ethtool ioctl (SIOCETHTOOL with a `struct ethtool_value`): get or set one offload
//! of one interface, as `ethtool -k/-K` does. Netlink's ethtool family would need generic
//! netlink and bitsets for the same two bits.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// `struct ethtool_value` of `<linux/ethtool.h>`.
#[repr(C)]
#[derive(Clone, Copy)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// Run the ethtool command `cmd` (an ETHTOOL_G*/S* taking a `u32`) on `iface` through the
/// socket `fd` (any socket of the interface's namespace); the value it leaves in `data`.
pub(crate) fn value(fd: &OwnedFd, iface: &str, cmd: u32, data: u32) -> io::Result<u32> {
    let name = iface.as_bytes();
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    }
    let mut ev = EthtoolValue { cmd, data };
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    ifr.ifr_ifru.ifru_data = (&mut ev as *mut EthtoolValue).cast();
    // SAFETY: ifr is a valid ifreq with a NUL-terminated name (zeroed tail) whose data pointer
    // points to `ev`, a live ethtool_value the kernel reads and writes for these commands; both
    // outlive the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCETHTOOL, &mut ifr) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ev.data)
}
