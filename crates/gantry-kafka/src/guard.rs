//! Whether the librdkafka metadata guard (csrc/metadata_guard.c) is active in this binary.
//! Referencing the C symbol here also makes the linker keep the guard's object: the wrapped
//! calls come from librdkafka's archive, which is scanned after this crate's.

use std::ffi::c_int;

extern "C" {
    fn gantry_metadata_guard_active() -> c_int;
}

/// True when the binary was linked with `--wrap=rd_kafka_metadata_cache_find` (the `gantry`
/// binary and its tests are); false in a crate's own unit tests, which never delete topics.
pub fn metadata_guard_active() -> bool {
    // SAFETY: a C function without arguments that reads one symbol address.
    unsafe { gantry_metadata_guard_active() != 0 }
}
