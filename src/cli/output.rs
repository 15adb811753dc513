//! Writing standard output: the manifest, a KRM `ResourceList`, `check`'s
//! table, completion scripts. A failed write (the reader closed the pipe, the
//! disk is full, the descriptor is closed) ends the run with exit status 3,
//! "the output was lost": never a panic, and never 1, which tells the
//! operator the input manifest is bad.

use std::io::Write;
use std::process::ExitCode;

use super::log::{Level, Reporter};

/// Exit status when the output could not be written.
pub const OUTPUT_LOST: u8 = 3;

/// Write through a buffer to standard output and flush. On failure: a
/// broken pipe is the reader's choice (`| head`), so only the log hears of
/// it; any other error is also reported on standard error.
pub fn write_stdout(reporter: &Reporter, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    try_write_stdout(write).map_or_else(|e| lost(reporter, &e), |()| ExitCode::SUCCESS)
}

/// Write `text` to standard output.
pub fn write_stdout_text(reporter: &Reporter, text: &str) -> ExitCode {
    write_stdout(reporter, |out| out.write_all(text.as_bytes()))
}

/// The write itself, for callers that decide the status themselves.
pub fn try_write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write(&mut stdout)?;
    stdout.flush()?;
    // The BufWriter flushed into std's own line buffer: flush that too, or
    // an error would surface only at exit, where std ignores it.
    stdout.get_mut().flush()
}

/// Report lost output and return exit status 3.
pub fn lost(reporter: &Reporter, e: &std::io::Error) -> ExitCode {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        reporter.to_log(
            Level::Info,
            &["standard output was closed by its reader before the output was complete"],
        );
    } else {
        reporter.error(&[format!("cannot write the output: {e}")]);
    }
    ExitCode::from(OUTPUT_LOST)
}
