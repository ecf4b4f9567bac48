//! The `gantry` binary: parse arguments, hand over to the library, turn errors into exit codes.

/// Validation and planning allocate many small strings and nodes; mimalloc handles that
/// pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gantry::cli::main()
}
