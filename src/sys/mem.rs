//! Memory advice: big in-memory arenas (`diff`'s captures) asked to be backed by transparent
//! huge pages, so filling them takes one page fault per 2 MiB rather than per 4 KiB.
//!
//! What stays true: advice only; the memory's contents and ownership do not change, and a
//! kernel without THP (or with it off) just ignores it.

use std::ffi::c_void;
use std::ptr::NonNull;

/// Huge pages for the unused capacity of `v` (where it covers whole 2 MiB pages). Best effort:
/// an error is ignored, since the advice changes speed only.
pub fn advise_huge_pages(v: &mut Vec<u8>) {
    const HUGE: usize = 2 << 20;
    let spare = v.spare_capacity_mut();
    let start = spare.as_mut_ptr() as usize;
    let end = start + spare.len();
    let (a, b) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
    if b <= a {
        return;
    }
    let Some(ptr) = NonNull::new(a as *mut c_void) else {
        return;
    };
    // SAFETY: [a, b) lies inside `v`'s allocation (its spare capacity, which nothing reads
    // before it is written) and is page-aligned; MADV_HUGEPAGE only changes how the kernel
    // backs those pages, never their contents, so no Rust reference is invalidated.
    let _ =
        unsafe { nix::sys::mman::madvise(ptr, b - a, nix::sys::mman::MmapAdvise::MADV_HUGEPAGE) };
}
