//! What an operator runs: `treff check-config` on good and broken files, the server's own log
//! output (`--log-format json` for collectors; plain text without colour codes into a pipe), and the
//! systemd unit the package installs (`packaging/treff.service`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The shipped example config.
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/treff.toml");

/// `treff check-config <file>`: exit status, stdout, stderr.
fn check_config(file: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_treff"))
        .arg("check-config")
        .arg(file)
        .env_remove("TREFF_CONFIG")
        .output()
        .expect("treff runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The example with `edit` applied, written to a file of its own in `dir`.
fn variant(dir: &Path, name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let example = std::fs::read_to_string(EXAMPLE).expect("the example");
    std::fs::write(&path, edit(&example)).expect("write");
    path
}

#[test]
fn check_config_passes_the_example_and_names_the_key_of_each_broken_variant() {
    let (ok, settings, stderr) = check_config(Path::new(EXAMPLE));
    assert!(ok, "{stderr}");
    assert!(
        settings.contains("[privacy.controller]") && settings.contains("[limits]"),
        "{settings}"
    );
    toml::from_str::<toml::Table>(&settings).expect("the settings are TOML");

    let dir = tempfile::tempdir().expect("temp dir");
    let broken = [
        (
            "no-dpo-email",
            variant(dir.path(), "a", |e| {
                e.replace("email = \"datenschutz@itm-systems.com\"", "")
            }),
            "privacy.dpo: missing field `email`",
        ),
        (
            "bad address",
            variant(dir.path(), "b", |e| {
                format!("media_bind = \"0.0.0.0\"\n{e}")
            }),
            "media_bind: invalid socket address syntax",
        ),
        (
            "unknown key",
            variant(dir.path(), "c", |e| format!("media_port = 10000\n{e}")),
            "media_port: unknown field `media_port`",
        ),
        (
            "no [privacy]",
            variant(dir.path(), "d", |e| {
                e[..e.find("[privacy]").expect("a table")].to_owned()
            }),
            "privacy: the table is missing",
        ),
    ];
    for (what, file, expected) in broken {
        let (ok, stdout, stderr) = check_config(&file);
        assert!(!ok, "{what}: accepted: {stdout}");
        assert!(
            stderr.contains(expected),
            "{what}: {expected:?} not in {stderr}"
        );
        assert!(stdout.is_empty(), "{what}: no settings printed: {stdout}");
    }
}

/// Runs the server with `args` until it says it runs, stops it with SIGTERM and returns its
/// standard error, line by line (a pipe, not a terminal).
fn server_output(args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_treff"))
        .args(["--http", "127.0.0.1:0", "--media-bind", "127.0.0.1:0"])
        .args([
            "--media-tcp-bind",
            "127.0.0.1:0",
            "--metrics",
            "127.0.0.1:0",
        ])
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--attachment-dir")
        .arg(dir.path().join("attachments"))
        .arg("--recordings-dir")
        .arg(dir.path().join("recordings"))
        .args(args)
        .env_remove("TREFF_LOG")
        .env_remove("NO_COLOR")
        .stderr(Stdio::piped())
        .spawn()
        .expect("treff starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.iter().any(|l: &String| l.contains("Treff is running")) {
        assert!(Instant::now() < deadline, "no start line: {seen:?}");
        match lines.next() {
            Some(Ok(line)) => seen.push(line),
            _ => panic!("the server ended early: {seen:?}"),
        }
    }
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    seen.extend(lines.map_while(Result::ok));
    assert!(child.wait().expect("exits").success());
    seen
}

#[test]
fn json_logs_parse_line_by_line() {
    let lines = server_output(&["--log-format", "json"]);
    assert!(lines.len() >= 3, "start, running, shutting down: {lines:?}");
    for line in &lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            object["level"].is_string() && object["fields"].is_object(),
            "{line}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("shutting down")),
        "{lines:?}"
    );
}

#[test]
fn text_logs_into_a_pipe_carry_no_colour_codes() {
    let lines = server_output(&[]);
    assert!(lines.iter().any(|l| l.contains("INFO")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains('\u{1b}')), "{lines:?}");
}

/// The service unit as shipped.
const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/treff.service");

/// `systemd-analyze <args> <unit>` on a copy of the unit whose commands run this build's binary
/// (verify checks that they exist): exit status and both outputs together.
fn systemd_analyze(args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let unit = dir.path().join("treff.service");
    let text = std::fs::read_to_string(UNIT).expect("the unit");
    std::fs::write(
        &unit,
        text.replace("/usr/bin/treff", env!("CARGO_BIN_EXE_treff")),
    )
    .expect("write");
    let out = Command::new("systemd-analyze")
        .args(args)
        .arg(&unit)
        .output()
        .expect("systemd-analyze runs (Debian's systemd package)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_service_unit_verifies_cleanly_and_is_well_locked_down() {
    let (ok, said) = systemd_analyze(&["verify"]);
    // A misspelt or unknown setting is only a warning to systemd: none is accepted here.
    assert!(ok && said.trim().is_empty(), "{said}");
    let (ok, said) = systemd_analyze(&["security", "--offline=yes"]);
    assert!(ok, "{said}");
    let exposure: f64 = said
        .lines()
        .find_map(|l| l.split("exposure level for treff.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in {said}"));
    assert!(exposure <= 2.0, "exposure {exposure}: {said}");
    let unit = std::fs::read_to_string(UNIT).expect("the unit");
    for line in [
        "ExecStartPre=/usr/bin/treff check-config",
        "TimeoutStopSec=10",
        "CapabilityBoundingSet=\n",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
    ] {
        assert!(unit.contains(line), "{line:?}");
    }
}
