//! Terminal output that never panics. The standard `print!` family panics when a write
//! fails, and a write fails as soon as the reader of a pipe is gone (`awslab status |
//! head`): a report command would crash with a panic message, and `awslab up | head`
//! would die in the middle of a run. `main.rs` shadows `print!`, `println!`, `eprint!`
//! and `eprintln!` with macros that call [`stdout`] and [`stderr`] here: a stream that
//! cannot be written any more is closed for the rest of the process and the command
//! goes on (a run finishes and journals as usual; only its output is lost).

use std::fmt;
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout unless stdout has failed before.
pub fn stdout(text: fmt::Arguments<'_>) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if out.write_fmt(text).and_then(|()| out.flush()).is_err() {
        STDOUT_GONE.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stderr unless stderr has failed before.
pub fn stderr(text: fmt::Arguments<'_>) {
    if STDERR_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut err = io::stderr().lock();
    if err.write_fmt(text).and_then(|()| err.flush()).is_err() {
        STDERR_GONE.store(true, Ordering::Relaxed);
    }
}

/// Writes `bytes` (a generated script or page, `what`) to stdout; a reader that went
/// away (`| head`) is not an error. False, once the error is printed, if the write failed.
pub fn print_bytes(bytes: &[u8], what: &str) -> bool {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => true,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(error) => {
            eprintln!("error: cannot print the {what}: {error}");
            false
        }
    }
}
