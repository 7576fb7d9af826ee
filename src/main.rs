fn main() -> std::process::ExitCode {
    keep_large_blocks_in_the_heap();
    flowq::cli::main()
}

/// glibc's malloc maps each block over its threshold (128 KiB at first)
/// from the kernel afresh and unmaps it when freed, so a group table whose
/// parts grow one by one pays page faults and cleared pages for each new
/// part. Its dynamic threshold rises only once such a block is freed,
/// which made speed depend on the sizes of the files read before. A fixed
/// 1 MiB keeps smaller blocks in the heap, where freed table parts are
/// reused: 3-8% faster on a million groups, at 98 MiB of peak RSS where 81
/// (a 2 MiB threshold took 122 MiB; docs/benchmarks.md, "The fourth round").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_blocks_in_the_heap() {
    // SAFETY: sets a malloc parameter before any thread exists; glibc
    // returns 0 for a parameter it refuses, which changes nothing.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_blocks_in_the_heap() {}
