//! The process's allocator: jemalloc, with freed memory handed back to the system within a
//! second, idle or busy.
//!
//! jemalloc returns what bursts of load and password hashing freed, where glibc's arenas kept
//! it; but by default it waits ten seconds and returns pages only while the process
//! allocates, so a server gone idle after a burst (or after its first chat loaded the token
//! table, a transient of ~15 MB) kept it. Measured with the memory bench, these options given
//! through `MALLOC_CONF` (`bench/RESULTS.md`, 2026-12-08): 58.6–59.7 MB after the load and
//! 2 s idle, where the defaults left 61.4–63.7 MB.

/// jemalloc's options: one background thread purges pages unused for a second
/// (`dirty_decay_ms`), and hands them straight back (`muzzy_decay_ms:0`: no second, lazy
/// stage). `MALLOC_CONF` in the environment still overrides each.
pub const JEMALLOC_CONF: &[u8; 85] =
    b"background_thread:true,max_background_threads:1,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// Declares jemalloc (`tikv-jemallocator`, which the calling binary depends on) as the global
/// allocator, with [`JEMALLOC_CONF`]. Once, in a binary's root module.
#[macro_export]
macro_rules! jemalloc_global_allocator {
    () => {
        #[global_allocator]
        static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

        /// jemalloc reads its compiled-in options from this symbol (its own is a weak, empty
        /// default); with `unprefixed_malloc_on_supported_platforms` it has no `_rjem_` prefix.
        #[unsafe(export_name = "malloc_conf")]
        static MALLOC_CONF: &[u8; $crate::allocator::JEMALLOC_CONF.len()] = $crate::allocator::JEMALLOC_CONF;
    };
}
