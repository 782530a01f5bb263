//! The `samspil` command's allocator, and how the simulation tunes it.
//!
//! The embedded pipeline (`replay`, `simulate`) makes and drops many small values per message:
//! mimalloc's thread-local free lists serve them faster than the system allocator. The Lambda
//! functions keep the system allocator (their budget is memory, not throughput).
//!
//! By default mimalloc hands memory it no longer uses back to the system after a delay (a purge;
//! one second in mimalloc 3).
//! The simulation frees and allocates all the time, so it kept getting the same memory back as
//! fresh pages, which the kernel zeroes first: that was a tenth of its time in some runs, and much
//! of the spread between runs (`docs/simulation.md`, "Speed"). [`keep_freed_memory`] turns purging
//! off for the rest of the process; a batch run ends soon anyway, and its peak is what it holds.

use libmimalloc_sys::{mi_option_set, mi_option_t};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` of mimalloc's `mi_option_e` (include/mimalloc.h, the 16th option; the
/// same in mimalloc 2 and 3). libmimalloc-sys binds `mi_option_set` but, for stability reasons,
/// names only some options; the test below checks this one still has mimalloc 3's default.
const PURGE_DELAY: mi_option_t = 15;

/// Tells mimalloc never to hand freed memory back to the system (`MIMALLOC_PURGE_DELAY=-1`).
/// Call before the work starts, while one thread runs: mimalloc's options are not thread safe.
pub fn keep_freed_memory() {
    // SAFETY: a plain setter of an integer option, called while one thread runs.
    unsafe { mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mimalloc's current purge delay, in milliseconds (-1: never).
    fn purge_delay() -> std::ffi::c_long {
        // SAFETY: a plain getter of an integer option.
        unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
    }

    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_documents_and_can_be_turned_off() {
        // mimalloc 3's src/options.c: `{ 1000, ..., MI_OPTION_LEGACY(purge_delay,reset_delay) }`.
        // -1 if a test that simulates already turned it off in this process.
        let before = purge_delay();
        assert!(before == 1000 || before == -1, "option {PURGE_DELAY} is not the purge delay: {before}");
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }
}
