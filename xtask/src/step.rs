//! Running the processes that make up a step, and telling the developer what happens.
//!
//! Every long step announces itself with `==>` before it starts and its duration after it ends, so a
//! silent terminal always means a tool is working, never that xtask is stuck. A failing step becomes
//! an `Err` naming the step and the exit status; `main` prints it and exits non-zero.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// A failure, already worded for the developer.
pub type Result<T> = std::result::Result<T, String>;

/// Prints a progress line.
pub fn announce(what: &str) {
    println!("==> {what}");
}

/// `1.2s` or `3m04s`: durations as people read them.
pub fn elapsed(start: Instant) -> String {
    let secs = start.elapsed().as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        // Truncation is the point: whole minutes and seconds.
        let whole = secs as u64;
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// Announces `what`, runs `command` with inherited output and fails unless it exits with 0.
pub fn run(what: &str, command: &mut Command) -> Result<()> {
    announce(what);
    let start = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start `{}`: {e}", program(command)))?;
    if status.success() {
        println!("    done in {}", elapsed(start));
        Ok(())
    } else {
        Err(format!("step failed ({status}): {what}"))
    }
}

/// The trimmed standard output of a command that succeeded, or `None` if it is missing or failed:
/// how "is this tool installed, and which version?" is asked.
pub fn capture(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Whether an executable called `name` is on the `PATH`.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// The cargo that runs this xtask (cargo sets `CARGO`), so the same toolchain builds everything.
pub fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

fn program(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}
