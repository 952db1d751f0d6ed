//! CPU affinity, the one set of helpers: which CPUs this process may use, pinning the calling
//! thread, pinning other threads (e.g. a veth's NAPI kernel threads) and putting them back.
//!
//! What stays true: a CPU is checked once, by [`check_allowed`] (which [`pin_current_thread`]
//! calls), against the process's affinity mask: a CPU that does not exist is not allowed
//! either. No `unsafe` here: nix wraps sched_{get,set}affinity.

use nix::errno::Errno;
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;

/// A CPU that cannot be used, or an affinity call the kernel refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuError {
    /// Not in this process's affinity mask (or no such CPU at all).
    #[error("CPU {cpu} is not one this process may use (CPUs {allowed:?})")]
    NotAllowed { cpu: usize, allowed: Vec<usize> },
    /// sched_setaffinity failed for the calling thread.
    #[error("pinning to CPU {cpu}: {errno} (this process may use CPUs {allowed:?})")]
    PinSelf {
        cpu: usize,
        errno: Errno,
        allowed: Vec<usize>,
    },
    /// A CPU number beyond what a CPU set holds.
    #[error("CPU {cpu}: {errno}")]
    OutOfRange { cpu: usize, errno: Errno },
    /// sched_setaffinity failed for another thread.
    #[error("pin thread {pid} to CPUs {cpus:?}: {errno}")]
    PinThread {
        pid: Pid,
        cpus: Vec<usize>,
        errno: Errno,
    },
}

/// The CPUs this process may run on (its affinity mask), in order.
pub fn allowed() -> Vec<usize> {
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&c| set.is_set(c).unwrap_or(false))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Ok when this process may run on `cpu`.
pub fn check_allowed(cpu: usize) -> Result<(), CpuError> {
    let allowed = allowed();
    if allowed.contains(&cpu) {
        Ok(())
    } else {
        Err(CpuError::NotAllowed { cpu, allowed })
    }
}

/// The CPU the calling thread runs on right now, if the kernel says.
pub fn current() -> Option<usize> {
    nix::sched::sched_getcpu().ok()
}

fn set_of(cpus: &[usize]) -> Result<CpuSet, CpuError> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu)
            .map_err(|errno| CpuError::OutOfRange { cpu, errno })?;
    }
    Ok(set)
}

/// Pin the calling thread to one CPU (checked with [`check_allowed`] first).
pub fn pin_current_thread(cpu: usize) -> Result<(), CpuError> {
    check_allowed(cpu)?;
    let set = set_of(&[cpu])?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(|errno| CpuError::PinSelf {
        cpu,
        errno,
        allowed: allowed(),
    })
}

/// Let the threads `pids` run only on `cpus`. A thread gone meanwhile is skipped.
pub fn pin_threads(pids: &[Pid], cpus: &[usize]) -> Result<(), CpuError> {
    let set = set_of(cpus)?;
    for &pid in pids {
        match sched_setaffinity(pid, &set) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => {
                return Err(CpuError::PinThread {
                    pid,
                    cpus: cpus.to_vec(),
                    errno,
                })
            }
        }
    }
    Ok(())
}

/// Threads pinned for a while (e.g. a run on someone else's pair): the CPUs each was allowed
/// before come back when this is dropped.
#[derive(Debug)]
pub struct PinnedThreads {
    saved: Vec<(Pid, CpuSet)>,
}

impl PinnedThreads {
    /// True when there were no threads to pin.
    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
    }
}

impl Drop for PinnedThreads {
    fn drop(&mut self) {
        for (pid, set) in &self.saved {
            // Gone meanwhile, or not ours to change any more: nothing to restore.
            let _ = sched_setaffinity(*pid, set);
        }
    }
}

/// [`pin_threads`] until the returned guard is dropped.
pub fn pin_threads_for_now(pids: &[Pid], cpus: &[usize]) -> Result<PinnedThreads, CpuError> {
    let saved = pids
        .iter()
        .filter_map(|&p| sched_getaffinity(p).ok().map(|s| (p, s)))
        .collect();
    let guard = PinnedThreads { saved };
    pin_threads(pids, cpus)?;
    Ok(guard)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cpu_outside_the_mask_is_refused_with_the_mask() {
        let allowed = super::allowed();
        assert!(!allowed.is_empty());
        assert!(super::check_allowed(allowed[0]).is_ok());
        let e = super::check_allowed(4096).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("CPU 4096 is not one this process may use (CPUs {allowed:?})")
        );
    }
}
