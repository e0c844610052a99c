//! The allocator of a player that runs for days: glibc's malloc gives each thread that
//! allocates its own arena (up to eight per core), and memory freed in one is not reused by
//! another nor handed back. At 50,000 tracks that costs more than the catalog itself, so the
//! player keeps two arenas (one per core of the analysis budget is enough: the hot loops
//! allocate little) and hands free pages back after it replaced a whole catalog. Elsewhere
//! (other C libraries) both are no-ops.

/// At most two malloc arenas; call before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of the allocator; called at start-up.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the free pages of the heap to the system (after a catalog was replaced).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
