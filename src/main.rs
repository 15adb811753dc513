//! The `workflow-registry` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    workflow_registry::cli::main()
}
