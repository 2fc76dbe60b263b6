//! `treff admin` against the real server over its local channel: the binary's command line, the
//! Unix socket and its token, incident holds on a running conference's session log (kept past the
//! end, encrypted, exported, released, expired also across a restart) and the audit log; and the
//! binary's refusal to start on an incomplete `[privacy]` table.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{WsClient, new_room, own_origin, start, try_connect_with};
use treff::admin::{AdminCommand, AdminResponse, request_with_token};
use treff::holds::{AuditAction, AuditEntry, HeldLog};
use treff_shared::{ClientMsg, LogEvent, RoomId};

const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// What one run of `treff admin …` did.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the real binary: `treff admin --state-dir <state> <args…>` (off the runtime: the server
/// under test runs on it).
async fn treff_admin(state: &Path, args: &[&str]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_treff"));
    command
        .arg("admin")
        .arg("--state-dir")
        .arg(state)
        .args(args);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joined")
        .expect("treff runs");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `hold`, returning the hold's id from "held <id> until …".
async fn hold(state: &Path, room: &RoomId, http: std::net::SocketAddr, length: &str) -> String {
    let link = format!("http://{http}/m/{room}");
    let run = treff_admin(
        state,
        &[
            "hold",
            &link,
            "--reason",
            "reported intrusion",
            "--for",
            length,
        ],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    run.stdout
        .strip_prefix("held ")
        .and_then(|rest| rest.split_whitespace().next())
        .expect("held <id> until …")
        .to_string()
}

async fn join_as_browser(http: std::net::SocketAddr, room: &RoomId, name: &str) -> WsClient {
    let origin = own_origin(http);
    let mut c = try_connect_with(http, &[("Origin", &origin), ("User-Agent", USER_AGENT)])
        .await
        .expect("the upgrade succeeds");
    c.hello().await;
    c.join_full(room, name, false, false).await;
    c
}

fn audit(state: &Path) -> Vec<AuditEntry> {
    std::fs::read_to_string(state.join("audit.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

/// Waits (up to 10 s) until `done` holds.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_holds_exports_and_releases_a_conferences_session_log() {
    let config = treff::Config::ephemeral();
    let state = config.state_dir.clone();
    let server = start(config).await;
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("admin.sock")), 0o600);
    assert_eq!(mode(&state.join("admin.token")), 0o600);

    // Without the right token nothing happens, and the refusal is audited.
    for token in ["", "not-the-token"] {
        let answer = request_with_token(&state, token, AdminCommand::List)
            .await
            .expect("an answer");
        assert!(
            matches!(answer, AdminResponse::Error(ref e) if e.contains("token")),
            "{answer:?}"
        );
    }
    let elsewhere = std::env::temp_dir().join(format!("treff-admin-none-{}", std::process::id()));
    let run = treff_admin(&elsewhere, &["list"]).await;
    assert!(
        !run.ok && run.stderr.contains("cannot read"),
        "{}",
        run.stderr
    );

    // A running conference's log is put on hold; what follows is kept too.
    let room = new_room();
    let mut anna = join_as_browser(server.http_addr, &room, "Anna").await;
    let id = hold(&state, &room, server.http_addr, "1h").await;
    let list = treff_admin(&state, &["list"]).await;
    assert!(list.ok && list.stdout.contains(&id) && list.stdout.contains("reported intrusion"));
    anna.send(&ClientMsg::Leave).await;

    // The conference ends (Anna left as the last); its log is still there, complete.
    let export_file = state.join("export.json");
    let exported = async || -> Option<HeldLog> {
        let out = export_file.to_str().expect("utf-8");
        treff_admin(&state, &["export", &id, "--out", out])
            .await
            .ok
            .then_some(())?;
        serde_json::from_slice(&std::fs::read(&export_file).ok()?).ok()
    };
    eventually("the conference's end", async || {
        exported()
            .await
            .is_some_and(|log| log.conference_ended_at_ms.is_some())
    })
    .await;
    let log = exported().await.expect("exported");
    assert_eq!(mode(&export_file), 0o600);
    let events: Vec<LogEvent> = log.entries.iter().map(|(_, e)| e.event).collect();
    assert_eq!(events, [LogEvent::Join, LogEvent::Leave]);
    let join = &log.entries[0].1;
    assert_eq!(join.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(join.browser.as_deref(), Some("Firefox 128.0"));

    // On disk the entries are sealed: neither the address nor the browser is readable.
    let held = std::fs::read_to_string(state.join("holds").join(format!("{id}.json")))
        .expect("the held file");
    assert!(
        !held.contains("127.0.0.1") && !held.contains("Firefox"),
        "{held}"
    );
    assert_eq!(mode(&state.join("holds").join(format!("{id}.json"))), 0o600);

    // Released: gone at once, and nothing more to export.
    let run = treff_admin(&state, &["release", &id]).await;
    assert!(run.ok, "{}", run.stderr);
    assert!(!state.join("holds").join(format!("{id}.json")).exists());
    assert!(!treff_admin(&state, &["export", &id]).await.ok);
    assert!(
        treff_admin(&state, &["list"])
            .await
            .stdout
            .contains("no holds")
    );

    // The audit log has every action with the hold's id and reason, and none of the content.
    let entries = audit(&state);
    let actions: Vec<AuditAction> = entries.iter().map(|e| e.action).collect();
    assert_eq!(actions[..2], [AuditAction::Refused, AuditAction::Refused]);
    assert!(actions.contains(&AuditAction::Hold) && actions.contains(&AuditAction::Export));
    assert_eq!(actions.last(), Some(&AuditAction::Release));
    let held_entry = entries
        .iter()
        .find(|e| e.action == AuditAction::Hold)
        .expect("hold");
    assert_eq!(held_entry.hold.as_deref(), Some(id.as_str()));
    assert_eq!(held_entry.reason.as_deref(), Some("reported intrusion"));
    let text = std::fs::read_to_string(state.join("audit.log")).expect("audit");
    assert!(!text.contains("127.0.0.1") && !text.contains("Firefox") && !text.contains("Anna"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_expires_while_the_server_runs_and_across_a_restart() {
    let config = treff::Config::ephemeral();
    let state: PathBuf = config.state_dir.clone();
    let again = config.clone();
    // Started without the test wrapper, whose clean-up would take the state directory with it.
    let server = treff::Server::start(config).await.expect("starts");
    let room = new_room();
    let anna = join_as_browser(server.http_addr, &room, "Anna").await;

    // Expiry while running: the timer deletes it.
    let short = hold(&state, &room, server.http_addr, "1s").await;
    eventually("the expiry of a 1 s hold", async || {
        !state.join("holds").join(format!("{short}.json")).exists()
    })
    .await;
    // The sweep removes the file, then writes the audit entry: not one step, so wait for both.
    eventually("the expiry in the audit log", async || {
        audit(&state)
            .iter()
            .any(|e| e.action == AuditAction::Expire && e.hold.as_deref() == Some(short.as_str()))
    })
    .await;

    // Expiry while the server is down: the next start removes it.
    let later = hold(&state, &room, server.http_addr, "3s").await;
    let held_at = tokio::time::Instant::now();
    assert!(treff_admin(&state, &["list"]).await.stdout.contains(&later));
    // Anna's socket closes first, so the shutdown need not wait for it (it waits for open sockets
    // to take their close frame, and the running server would expire the hold meanwhile).
    drop(anna);
    server.shutdown().await;
    assert!(
        held_at.elapsed() < Duration::from_secs(3),
        "the server went down before the hold's expiry"
    );
    tokio::time::sleep_until(held_at + Duration::from_millis(3500)).await;
    assert!(state.join("holds").join(format!("{later}.json")).exists());
    let server = start(again).await;
    assert!(!state.join("holds").join(format!("{later}.json")).exists());
    assert!(
        treff_admin(&state, &["list"])
            .await
            .stdout
            .contains("no holds")
    );
    assert!(
        audit(&state)
            .iter()
            .any(|e| e.action == AuditAction::Expire && e.hold.as_deref() == Some(later.as_str()))
    );
    // A hold is longer than the maximum only by mistake: refused with the maximum named.
    let link = format!("http://{}/m/{room}", server.http_addr);
    let run = treff_admin(&state, &["hold", &link, "--reason", "x", "--for", "31d"]).await;
    assert!(!run.ok && run.stderr.contains("30 days"), "{}", run.stderr);
    server.shutdown().await;
}

#[tokio::test]
async fn the_server_refuses_to_start_on_a_missing_privacy_field_and_names_it() {
    let dir = std::env::temp_dir().join(format!("treff-admin-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("treff.toml");
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/treff.toml"
    ))
    .expect("the shipped example");
    std::fs::write(
        &config,
        example.replace("email = \"datenschutz@itm-systems.com\"", ""),
    )
    .expect("write");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_treff"));
    command.arg("--config").arg(&config).args([
        "--http",
        "127.0.0.1:0",
        "--media-bind",
        "127.0.0.1:0",
    ]);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joined")
        .expect("treff runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it must not start: {stderr}");
    assert!(
        stderr.contains("privacy.dpo: missing field `email`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).ok();
}
