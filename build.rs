//! Build script: links the `gantry` executable position-dependent (non-PIE) on Linux.
//!
//! A PIE binary of this size carries ~44,000 relative relocations; the dynamic loader
//! applies them at every start, copying ~850 KiB of `.data.rel.ro` pages. That was ~0.8 ms
//! of a 2.8 ms `gantry validate` start-up and 3-4% of validating the whole corpus (measured
//! with scripts/interleave.c). Go links non-PIE by default on linux/amd64 for the same
//! reason. Shared libraries, heap, stack and mmap regions stay randomised; only the
//! executable's own image is at a fixed address. Set `GANTRY_PIE=1` when building to keep
//! the toolchain's PIE default, e.g. where policy requires it.
//!
//! It also routes librdkafka's `rd_kafka_metadata_cache_find` through Gantry's guard
//! (crates/gantry-kafka/csrc/metadata_guard.c) in the `gantry` binary: librdkafka 2.12.1
//! crashes there when a subscribed topic is deleted. Only the binary: the other targets
//! (tests, examples) that link librdkafka do not link the guard, and never delete topics.

fn main() {
    println!("cargo:rerun-if-env-changed=GANTRY_PIE");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        println!("cargo:rustc-link-arg-bins=-Wl,--wrap=rd_kafka_metadata_cache_find");
    }
    if linux && std::env::var_os("GANTRY_PIE").is_none_or(|v| v.is_empty() || v == "0") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
