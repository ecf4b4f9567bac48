//! The `gantry` binary: parse arguments, hand over to the library, turn errors into exit codes.

/// Validation and planning allocate many small strings and nodes; mimalloc handles that
/// pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // The library logs through `tracing`; its events go to stderr, where Gantry's messages
    // always went. `GANTRY_LOG` filters them (tracing's directives; default: Gantry's own at
    // info, its dependencies' warnings).
    let filter = tracing_subscriber::EnvFilter::try_from_env("GANTRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,gantry=info"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .init();
    gantry::cli::main()
}
