//! nsfs ioctls: the type of a namespace file (NS_GET_NSTYPE, Linux 4.11), which a bind mount
//! hides from `/proc/self/fd/N` (that link shows the mount's path, not `net:[INODE]`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `_IO(0xb7, 0x3)` of `<linux/nsfs.h>`.
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;

/// The CLONE_NEW* flag of the namespace `fd` is (e.g. `CLONE_NEWNET`); ENOTTY when `fd` is
/// not a namespace file.
pub(crate) fn ns_type(fd: BorrowedFd<'_>) -> io::Result<i32> {
    // SAFETY: NS_GET_NSTYPE takes no argument and only reads the fd's inode; an fd that is not
    // nsfs gets ENOTTY. `fd` is open for the duration of the call (borrowed).
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}
