//! The `gantry` binary: parse arguments, hand over to the library, turn errors into exit codes.

fn main() -> std::process::ExitCode {
    gantry::cli::main()
}
