//! The operator's local channel to the running server: `treff admin hold|release|list|export`.
//!
//! The server listens on a Unix socket in its state directory (`admin.sock`, mode 0600, in a
//! directory of mode 0700), so only the service user and root reach it; no network listener is
//! involved. Every request carries the token the server writes to `admin.token` (0600, fresh at each
//! start): whoever reads it may act. Requests and answers are one JSON line each.
//!
//! Every action and every refused request goes to the audit log (see [`crate::holds`]). Nothing of a
//! held log is written to the operational log.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::oneshot;
use treff_shared::RoomId;

use crate::config::AdminAction;
use crate::holds::{HeldLog, HoldMeta, Holds, make_private_dir, private_file};
use crate::room::Command;
use crate::rooms::Rooms;

/// The socket's file name in the state directory.
pub const SOCKET: &str = "admin.sock";
/// The token's file name in the state directory.
pub const TOKEN: &str = "admin.token";
/// Longest request line read: a reason is a sentence, not a document.
const MAX_REQUEST_BYTES: u64 = 16 * 1024;

/// One request.
#[derive(Debug, Serialize, Deserialize)]
pub struct AdminRequest {
    /// The content of `admin.token`.
    pub token: String,
    /// What to do.
    pub command: AdminCommand,
}

/// What an operator can ask.
#[derive(Debug, Serialize, Deserialize)]
pub enum AdminCommand {
    /// Put the session log of the running conference `meeting` on hold.
    Hold {
        /// The meeting.
        meeting: RoomId,
        /// Why (goes to the audit log).
        reason: String,
        /// How long, in seconds; the configured maximum when `None`.
        seconds: Option<u64>,
    },
    /// Delete a held log now.
    Release {
        /// The hold's id.
        hold: String,
    },
    /// The holds that exist.
    List,
    /// A held log, decrypted.
    Export {
        /// The hold's id.
        hold: String,
    },
    /// Development builds only: offer everyone in `meeting` an ICE restart (for tests; a release
    /// build does not know this request).
    #[cfg(debug_assertions)]
    IceRestart {
        /// The meeting.
        meeting: RoomId,
    },
}

/// The server's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum AdminResponse {
    /// The hold that now exists.
    Held(HoldMeta),
    /// The hold is gone.
    Released,
    /// Every hold, earliest expiry first.
    Holds(Vec<HoldMeta>),
    /// The held log.
    Exported(Box<HeldLog>),
    /// Done; what happened.
    Done(String),
    /// Refused or failed, and why.
    Error(String),
}

/// The server side: binds the socket and writes a fresh token. Call [`serve`] with the result.
pub fn bind(state_dir: &Path) -> io::Result<(UnixListener, String)> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    make_private_dir(state_dir)?;
    let mut token = [0u8; 32];
    getrandom::fill(&mut token).expect("the OS random source is available");
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token);
    private_file(&state_dir.join(TOKEN), false)?.write_all(token.as_bytes())?;
    let path = state_dir.join(SOCKET);
    // A socket file left by a process that died; binding fails while it exists.
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let listener = UnixListener::bind(&path)?;
    // The directory (0700) already keeps others out; the mode says so on the socket itself too.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok((listener, token))
}

/// Answers requests on `listener` until the server stops.
pub async fn serve(listener: UnixListener, token: String, rooms: Rooms, holds: Arc<Holds>) {
    let token = Arc::<str>::from(token);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (token, rooms, holds) = (token.clone(), rooms.clone(), holds.clone());
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &token, &rooms, &holds).await {
                tracing::warn!(error = %e, "admin connection failed");
            }
        });
    }
}

async fn answer(
    stream: UnixStream,
    token: &str,
    rooms: &Rooms,
    holds: &Arc<Holds>,
) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    BufReader::new(read.take(MAX_REQUEST_BYTES))
        .read_line(&mut line)
        .await?;
    let response = match serde_json::from_str::<AdminRequest>(&line) {
        Err(_) => {
            holds.refused("malformed request", SystemTime::now());
            AdminResponse::Error("malformed request".into())
        }
        Ok(request) if !bool::from(request.token.as_bytes().ct_eq(token.as_bytes())) => {
            holds.refused("wrong or missing token", SystemTime::now());
            AdminResponse::Error(format!(
                "wrong or missing token (read {TOKEN} in the state directory)"
            ))
        }
        Ok(request) => execute(request.command, rooms, holds).await,
    };
    let mut out = serde_json::to_vec(&response).map_err(io::Error::other)?;
    out.push(b'\n');
    write.write_all(&out).await
}

async fn execute(command: AdminCommand, rooms: &Rooms, holds: &Arc<Holds>) -> AdminResponse {
    let blocking = |f: Box<dyn FnOnce(&Holds) -> AdminResponse + Send>| {
        let holds = holds.clone();
        async move {
            tokio::task::spawn_blocking(move || f(&holds))
                .await
                .unwrap_or_else(|_| AdminResponse::Error("internal error".into()))
        }
    };
    match command {
        AdminCommand::Hold {
            meeting,
            reason,
            seconds,
        } => {
            if let Err(e) = holds.length(seconds.map(Duration::from_secs)) {
                return AdminResponse::Error(e.to_string());
            }
            let Some(room) = rooms.get(&meeting) else {
                return no_conference();
            };
            let (reply, answer) = oneshot::channel();
            let sent = room
                .send(Command::Hold {
                    reason,
                    duration: seconds.map(Duration::from_secs),
                    reply,
                })
                .await;
            match (sent, answer.await) {
                (Ok(()), Ok(Ok(meta))) => AdminResponse::Held(meta),
                (Ok(()), Ok(Err(e))) => AdminResponse::Error(e),
                _ => AdminResponse::Error("the conference ended meanwhile".into()),
            }
        }
        AdminCommand::Release { hold } => {
            blocking(Box::new(move |h| {
                match h.release(&hold, SystemTime::now()) {
                    Ok(()) => AdminResponse::Released,
                    Err(e) => AdminResponse::Error(e.to_string()),
                }
            }))
            .await
        }
        AdminCommand::List => blocking(Box::new(|h| AdminResponse::Holds(h.list()))).await,
        #[cfg(debug_assertions)]
        AdminCommand::IceRestart { meeting } => {
            let Some(room) = rooms.get(&meeting) else {
                return no_conference();
            };
            match room.send(Command::RestartIce).await {
                Ok(()) => AdminResponse::Done("ICE restart offered to everyone".into()),
                Err(_) => AdminResponse::Error("the conference ended meanwhile".into()),
            }
        }
        AdminCommand::Export { hold } => {
            blocking(Box::new(move |h| {
                match h.export(&hold, SystemTime::now()) {
                    Ok(log) => AdminResponse::Exported(Box::new(log)),
                    Err(e) => AdminResponse::Error(e.to_string()),
                }
            }))
            .await
        }
    }
}

fn no_conference() -> AdminResponse {
    AdminResponse::Error(
        "no conference is running under this meeting id (a session log exists only while its \
         conference runs)"
            .into(),
    )
}

/// Why the command line could not talk to the server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The token file could not be read.
    #[error(
        "cannot read {0}: {1} (run as root or as the service user, with the server's state directory)"
    )]
    Token(PathBuf, io::Error),
    /// The socket could not be reached.
    #[error("cannot reach the server at {0}: {1} (is it running with this state directory?)")]
    Connect(PathBuf, io::Error),
    /// The exchange failed.
    #[error("the server's answer could not be read: {0}")]
    Exchange(io::Error),
}

/// The command-line side: sends `command` with the token from `state_dir`.
pub async fn request(
    state_dir: &Path,
    command: AdminCommand,
) -> Result<AdminResponse, ClientError> {
    let path = state_dir.join(TOKEN);
    let token = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| ClientError::Token(path, e))?;
    request_with_token(state_dir, token.trim(), command).await
}

/// Sends `command` with `token` (tests use it to try wrong ones).
pub async fn request_with_token(
    state_dir: &Path,
    token: &str,
    command: AdminCommand,
) -> Result<AdminResponse, ClientError> {
    let path = state_dir.join(SOCKET);
    let stream = UnixStream::connect(&path)
        .await
        .map_err(|e| ClientError::Connect(path, e))?;
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_vec(&AdminRequest {
        token: token.to_string(),
        command,
    })
    .map_err(|e| ClientError::Exchange(io::Error::other(e)))?;
    line.push(b'\n');
    write
        .write_all(&line)
        .await
        .map_err(ClientError::Exchange)?;
    let mut answer = String::new();
    BufReader::new(read)
        .read_line(&mut answer)
        .await
        .map_err(ClientError::Exchange)?;
    serde_json::from_str(&answer).map_err(|e| ClientError::Exchange(io::Error::other(e)))
}

/// `treff admin …`: sends `action` to the server whose state directory is `state_dir` and prints
/// the answer. Returns whether it succeeded.
pub async fn command_line(state_dir: &Path, action: AdminAction) -> bool {
    let command = match action.clone() {
        AdminAction::Hold {
            meeting,
            reason,
            duration,
        } => {
            let Some(meeting) = meeting_or_complain(&meeting) else {
                return false;
            };
            AdminCommand::Hold {
                meeting,
                reason,
                seconds: duration.map(|d| d.as_secs().max(1)),
            }
        }
        AdminAction::Release { hold } => AdminCommand::Release { hold },
        AdminAction::List => AdminCommand::List,
        #[cfg(debug_assertions)]
        AdminAction::IceRestart { meeting } => {
            let Some(meeting) = meeting_or_complain(&meeting) else {
                return false;
            };
            AdminCommand::IceRestart { meeting }
        }
        AdminAction::Export { hold, .. } => AdminCommand::Export { hold },
    };
    let response = match request(state_dir, command).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("treff admin: {e}");
            return false;
        }
    };
    match response {
        AdminResponse::Error(e) => {
            eprintln!("treff admin: {e}");
            false
        }
        AdminResponse::Held(h) => {
            println!("held {} until {}", h.id, utc(h.expires_at_ms));
            true
        }
        AdminResponse::Released => {
            println!("released; the held log is deleted");
            true
        }
        AdminResponse::Done(what) => {
            println!("{what}");
            true
        }
        AdminResponse::Holds(holds) => {
            if holds.is_empty() {
                println!("no holds");
            }
            for h in holds {
                println!(
                    "{}  held {}  expires {}  reason: {}",
                    h.id,
                    utc(h.held_at_ms),
                    utc(h.expires_at_ms),
                    h.reason
                );
            }
            true
        }
        AdminResponse::Exported(log) => {
            let AdminAction::Export { out, .. } = action else {
                return false;
            };
            export_to(out.as_deref(), &log)
        }
    }
}

/// The meeting id of a link or id, or `None` after saying why not.
fn meeting_or_complain(meeting: &str) -> Option<RoomId> {
    let id = meeting_of(meeting);
    if id.is_none() {
        eprintln!("treff admin: {meeting:?} is neither a meeting link nor a meeting id");
    }
    id
}

/// Writes an exported log as JSON to `out` (created 0600) or standard output.
fn export_to(out: Option<&Path>, log: &HeldLog) -> bool {
    use std::io::Write as _;
    let json = match serde_json::to_string_pretty(log) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("treff admin: {e}");
            return false;
        }
    };
    let written = match out {
        Some(path) => private_file(path, false).and_then(|mut f| f.write_all(json.as_bytes())),
        None => std::io::stdout().write_all(json.as_bytes()),
    };
    if let Err(e) = written {
        eprintln!("treff admin: cannot write the export: {e}");
        return false;
    }
    true
}

/// Milliseconds since the Unix epoch as an RFC 3339 time in UTC.
fn utc(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The meeting a command-line argument names: a meeting link (`…/m/<id>…`) or the id itself.
pub fn meeting_of(arg: &str) -> Option<RoomId> {
    let id = match arg.split_once("/m/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or_default(),
        None => arg.trim(),
    };
    RoomId::parse(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meeting_is_named_by_its_link_or_its_id() {
        let id = RoomId::from_random([7; 16]);
        for arg in [
            id.as_str().to_string(),
            format!("https://treff.example/m/{id}"),
            format!("https://treff.example/m/{id}?k=secret#x"),
            format!("https://treff.example/m/{id}/recordings"),
        ] {
            assert_eq!(meeting_of(&arg), Some(id.clone()), "{arg}");
        }
        assert_eq!(meeting_of("https://treff.example/"), None);
        assert_eq!(meeting_of("../x"), None);
    }
}
