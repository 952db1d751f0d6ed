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
    // The soft limit on open files as it was before this process raised it (select() in a
    // child breaks on descriptors past 1024), and the hard limit as it is.
    let nofile = crate::error::open_files_for_children().and_then(|soft| {
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
            .ok()
            .map(|(_, hard)| libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            })
    });
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: prctl, getppid, setpgid, setrlimit and _exit are,
    // and it allocates nothing (the error is built from errno only); `nofile` is a plain
    // struct copied into the closure, valid for the call.
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
            if let Some(l) = &nofile {
                if libc::setrlimit(libc::RLIMIT_NOFILE, l) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}
