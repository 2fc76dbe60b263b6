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
    let status = pass_colour_choice(command)
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
    if no_color() {
        command.env("CARGO_TERM_COLOR", "never");
    }
    command
}

/// Whether the developer asked for output without colour: `NO_COLOR` set and not empty
/// (no-color.org). Every tool xtask starts is told in the form it understands: cargo by
/// `CARGO_TERM_COLOR`, Trunk by `NO_COLOR=true` (it takes only `true` or `false` there and refuses
/// `NO_COLOR=1`), Node tools by `FORCE_COLOR=0`; the server reads `NO_COLOR` itself.
pub fn no_color() -> bool {
    asks_for_no_colour(std::env::var_os("NO_COLOR").as_deref())
}

fn asks_for_no_colour(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// Puts the colour choice into a command's environment in the form every tool accepts ([`run`]
/// does it for every step).
fn pass_colour_choice(command: &mut Command) -> &mut Command {
    colour_choice_for_tools(command, no_color())
}

fn colour_choice_for_tools(command: &mut Command, no_color: bool) -> &mut Command {
    if no_color {
        command.env("NO_COLOR", "true").env("FORCE_COLOR", "0")
    } else {
        // An empty NO_COLOR means "not set" (no-color.org); Trunk would refuse the empty value.
        command.env_remove("NO_COLOR")
    }
}

fn program(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    /// The value a command will see for `name` (`None`: removed or never set).
    fn env_of<'a>(command: &'a Command, name: &str) -> Option<&'a OsStr> {
        command
            .get_envs()
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| value)
    }

    #[test]
    fn no_color_reaches_every_tool_in_a_form_it_accepts() {
        assert!(asks_for_no_colour(Some(OsStr::new("1"))));
        assert!(
            !asks_for_no_colour(Some(OsStr::new(""))),
            "empty means unset"
        );
        assert!(!asks_for_no_colour(None));
        let mut trunk = Command::new("trunk");
        colour_choice_for_tools(&mut trunk, true);
        assert_eq!(
            env_of(&trunk, "NO_COLOR"),
            Some(OsStr::new("true")),
            "Trunk takes only true/false"
        );
        assert_eq!(env_of(&trunk, "FORCE_COLOR"), Some(OsStr::new("0")));
        let mut trunk = Command::new("trunk");
        colour_choice_for_tools(&mut trunk, false);
        assert_eq!(env_of(&trunk, "NO_COLOR"), None);
    }
}
