//! How the `blast` binary (and the benches, so their figures are the binary's) tune their
//! memory: the allocator, mimalloc, and the kernel's page size for it. Only with the `cli`
//! feature, which brings mimalloc in.

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

/// Tunes memory for a run of seconds that reuses what it frees. Call it first thing in
/// `main`:
///
/// * mimalloc never gives freed memory back to the kernel during the run. By default it
///   hands memory freed a second ago back, and the next allocation that reuses it faults in
///   freshly zeroed pages. A run reuses what it frees (the loader's parse buffers, each
///   query's scratch): on a million-node graph that purged and re-zeroed ~0.7 GB per run.
///   Memory goes back at exit.
/// * The process takes its memory in 4 KiB pages, not 2 MiB transparent huge pages
///   (`PR_SET_THP_DISABLE`, Linux only; the `git` it starts inherits it).
///   Memory fresh from the kernel is first touched once per run, and on a virtual machine
///   whose host takes back the guest's free memory (balloon free page reporting) a huge
///   page's first touch waits for the host to back all 2 MiB: here 2.2 ms per MiB against
///   0.42 ms per MiB for small pages. A cached 20-query batch on the million-node graph
///   touches ~180 MB of fresh memory; run after a pause (the host had taken the memory
///   back), it took 0.87 s with mimalloc's huge pages and 0.64 s without
///   (`MIMALLOC_ALLOW_THP`, 6 alternating runs each), and 0.73 s before this setting
///   against 0.55 s after (6 each). The price is paid by warm loops that reuse their
///   memory, which lose huge pages' fewer TLB misses: criterion's heaviest 1M query and
///   its JSON report are 4–6% slower.
pub fn tune() {
    // SAFETY: sets a plain integer option; mimalloc accepts any value for any option.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    #[cfg(target_os = "linux")]
    // SAFETY: a plain prctl on this process, with the arguments its manual page gives; it
    // fails only on kernels without the option, and then pages stay as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    /// After `tune`, the kernel reports huge pages off for this process (`PR_GET_THP_DISABLE`
    /// answers 1). Setting it twice is harmless, so tests may call it in any order.
    #[cfg(target_os = "linux")]
    #[test]
    fn tune_turns_huge_pages_off() {
        super::tune();
        // SAFETY: a plain prctl query of this process.
        let off = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(off, 1);
    }
}
