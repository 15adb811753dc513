//! Writing standard output. A failed write (closed pipe, full disk) ends the
//! run with exit status 3, "the output was lost": never a panic, and never 1,
//! which blames the input (docs/security.md, "When output cannot be written").

use std::io::Write;
use std::process::ExitCode;

use super::log::{Level, Reporter};

pub const OUTPUT_LOST: u8 = 3;

/// Write through a buffer to standard output and flush. A broken pipe is the
/// reader's choice (`| head`): only the log hears of it.
pub fn write_stdout(reporter: &Reporter, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let Err(e) = try_write_stdout(write) else {
        return ExitCode::SUCCESS;
    };
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
