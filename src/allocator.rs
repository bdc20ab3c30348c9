//! How the `blast` binary (and the benches, so their figures are the binary's) tune their
//! allocator, mimalloc. Only with the `cli` feature, which brings mimalloc in.

// The library that defines `mi_option_set`, linked even when the caller's global allocator
// is another one (then the call below changes nothing).
use mimalloc as _;

unsafe extern "C" {
    /// mimalloc's `mi_option_set` (`mimalloc.h`), linked in with the allocator.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in `mimalloc.h` (the same number in mimalloc 2 and 3; the enum
/// keeps retired options as placeholders so numbers never move).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Tells mimalloc never to give freed memory back to the kernel during the run.
///
/// By default it hands memory freed a second ago back, and the next allocation that reuses
/// it faults in freshly zeroed pages. A run lasts seconds and reuses what it frees (the
/// loader's parse buffers, each query's scratch): on a million-node graph that purged and
/// re-zeroed ~0.7 GB per run. Memory goes back at exit. Call it first thing in `main`.
pub fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc accepts any value for any option.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}
