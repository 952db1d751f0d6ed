//! A node's own `/sys`: a child that runs inside a node gets a private mount namespace with a
//! fresh sysfs on `/sys`, so `/sys/class/net` shows the node's interfaces and not the host's
//! (sysfs shows the network namespace of whoever mounted it). The filesystems mounted under
//! the host's `/sys` that a node's command still needs (bpffs with the pins, the cgroup
//! hierarchy, tracefs and debugfs) are bound back onto the fresh sysfs.
//!
//! What must stay true: everything runs in the child between fork and exec, so it allocates
//! nothing (the paths are `CStr` constants, `/proc/self/fd/N` is written into a stack buffer);
//! `/` is made a recursive slave first, so no mount made here propagates to the host; the old
//! `/sys` is covered, not unmounted, so the kept submounts stay in this mount namespace and
//! can be bound from their descriptors.

use std::ffi::CStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// What is bound back from the host's `/sys` onto the fresh one, when it is a mount point.
const KEPT: [&CStr; 4] = [
    c"/sys/fs/bpf",
    c"/sys/fs/cgroup",
    c"/sys/kernel/tracing",
    c"/sys/kernel/debug",
];

/// Give the child of `cmd` a mount namespace of its own with a sysfs of the network namespace
/// it was forked in (the node's) on `/sys`, the kept submounts ([`KEPT`]) bound back.
pub fn own_sysfs(cmd: &mut Command) {
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: unshare, mount, open, fstat and close are system
    // calls, and it allocates nothing (the paths are static C strings, the /proc/self/fd path
    // is built in a stack buffer, errors come from errno only).
    unsafe {
        cmd.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_SLAVE,
                std::ptr::null(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The kept submounts, opened before the new sysfs hides them: -1 when absent or
            // not a mount point of their own (then the fresh sysfs's empty directory stays).
            let mut sys: libc::stat = std::mem::zeroed();
            if libc::stat(c"/sys".as_ptr(), &mut sys) != 0 {
                return Err(io::Error::last_os_error());
            }
            let mut kept = [-1 as libc::c_int; KEPT.len()];
            for (fd, path) in kept.iter_mut().zip(KEPT) {
                let f = libc::open(
                    path.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                );
                if f < 0 {
                    continue;
                }
                let mut st: libc::stat = std::mem::zeroed();
                if libc::fstat(f, &mut st) == 0 && st.st_dev != sys.st_dev {
                    *fd = f;
                } else {
                    libc::close(f);
                }
            }
            if libc::mount(
                c"sysfs".as_ptr(),
                c"/sys".as_ptr(),
                c"sysfs".as_ptr(),
                0,
                std::ptr::null(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            for (&fd, path) in kept.iter().zip(KEPT) {
                if fd < 0 {
                    continue;
                }
                let mut buf = [0u8; 32];
                let from = fd_path(fd, &mut buf);
                let r = libc::mount(
                    from.as_ptr(),
                    path.as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND | libc::MS_REC,
                    std::ptr::null(),
                );
                let err = io::Error::last_os_error();
                libc::close(fd);
                if r != 0 {
                    return Err(err);
                }
            }
            Ok(())
        });
    }
}

/// `/proc/self/fd/FD` as a C string in `buf`, without allocating.
fn fd_path(fd: libc::c_int, buf: &mut [u8; 32]) -> &CStr {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 10];
    let mut n = fd.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[PREFIX.len() + i] = digits[len - 1 - i];
    }
    buf[PREFIX.len() + len] = 0;
    // The buffer holds the prefix, at most 10 digits and the NUL written just above.
    CStr::from_bytes_until_nul(&buf[..]).unwrap_or(c"/proc/self/fd/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_path_writes_the_number() {
        let mut b = [0u8; 32];
        assert_eq!(fd_path(0, &mut b), c"/proc/self/fd/0");
        assert_eq!(fd_path(7, &mut b), c"/proc/self/fd/7");
        assert_eq!(fd_path(1024, &mut b), c"/proc/self/fd/1024");
        assert_eq!(
            fd_path(libc::c_int::MAX, &mut b),
            c"/proc/self/fd/2147483647"
        );
    }
}
