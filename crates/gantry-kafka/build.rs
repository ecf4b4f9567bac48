//! Build script: compiles the librdkafka metadata guard (csrc/metadata_guard.c; why it
//! exists is written there). It is C, not Rust, because it needs a weak reference to
//! `__real_rd_kafka_metadata_cache_find`, which stable Rust cannot declare.

fn main() {
    println!("cargo:rerun-if-changed=csrc/metadata_guard.c");
    cc::Build::new()
        .file("csrc/metadata_guard.c")
        .warnings(true)
        .compile("gantry_metadata_guard");
}
