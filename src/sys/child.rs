//! Child processes that die with us: `PR_SET_PDEATHSIG` and a process group of their own,
//! set between fork and exec. Used by the scenario runner for commands run inside a node, so
//! that nothing it starts can keep a namespace alive after it is gone (SIGKILL included).
//!
//! What must stay true: the kernel sends the signal when the *thread* that forked the child
//! exits, not the process, so callers spawn from a thread that lives as long as the children
//! should (the scenario runner's own thread).

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Make the child of `cmd` get SIGKILL when the spawning thread dies, and lead its own
/// process group (so `kill(-pid)` reaches what it starts in turn).
pub fn die_with_parent(cmd: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: prctl, getppid, setpgid and _exit are, and it
    // allocates nothing (the error is built from errno only).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl: then no signal will ever come.
            if libc::getppid() != parent {
                libc::_exit(137);
            }
            if libc::setpgid(0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
