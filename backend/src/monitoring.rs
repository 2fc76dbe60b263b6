//! The operator's listener, apart from the public one and bound to localhost by default
//! (`metrics = "127.0.0.1:9464"`, or `"off"`): `/metrics` in Prometheus text format (see
//! [`crate::metrics`]), `/healthz` (the process answers) and `/readyz` (it can do its work: the
//! media socket is read, it is not shutting down, the directories it writes to are writable,
//! ffmpeg is there when recording is on). The public listener answers these paths with 404
//! ([`not_here`]), so a probe pointed at the wrong port fails instead of reading the app's page.
//!
//! Nothing here names a meeting or a person, so the answers may be cached by nobody and read by
//! any local monitoring agent; the listener is still kept off the public address, because the
//! counts tell when meetings happen.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// What `/readyz` checks.
pub struct Readiness {
    /// The task that reads the media socket (the demux; the socket was bound before it started).
    pub reader: AbortHandle,
    /// Whether the server is shutting down (then it takes no new meetings: not ready).
    pub stopping: watch::Receiver<bool>,
    /// Directories the server must be able to write to, with what they are called in the answer.
    pub writable: Vec<(&'static str, PathBuf)>,
    /// Programs that must be on `PATH` (ffmpeg and nice when recording is on).
    pub programs: Vec<&'static str>,
}

impl Readiness {
    /// Every check, in order, with whether it passed.
    fn checks(&self) -> Vec<(String, bool)> {
        let mut checks = vec![
            ("media socket read".to_owned(), !self.reader.is_finished()),
            ("not shutting down".to_owned(), !*self.stopping.borrow()),
        ];
        for (name, dir) in &self.writable {
            checks.push((format!("{name} directory writable"), writable(dir)));
        }
        for program in &self.programs {
            checks.push((format!("{program} found"), which::which(program).is_ok()));
        }
        checks
    }
}

/// Whether a file can be made in `dir` (and is removed again): permissions alone do not say, for
/// root, a read-only mount or a full disk.
fn writable(dir: &std::path::Path) -> bool {
    let probe = dir.join(".treff-ready");
    let made = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    made
}

#[derive(Clone)]
struct Monitor {
    registry: Arc<Registry>,
    readiness: Arc<Readiness>,
}

/// The listener's routes.
pub fn router(registry: Registry, readiness: Readiness) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(Monitor {
            registry: Arc::new(registry),
            readiness: Arc::new(readiness),
        })
}

async fn metrics(State(m): State<Monitor>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::prometheus_text::encode(&mut text, &m.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// 200 when every check passes, else 503; the body lists each check with "ok" or "FAILED".
async fn ready(State(m): State<Monitor>) -> Response {
    // The directory probes touch the disk: off the async threads.
    let readiness = m.readiness.clone();
    let Ok(checks) = tokio::task::spawn_blocking(move || readiness.checks()).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut body = String::new();
    for (what, ok) in &checks {
        let _ = writeln!(body, "{} {what}", if *ok { "ok" } else { "FAILED" });
    }
    let status = if checks.iter().all(|(_, ok)| *ok) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

/// The public listener's answer to `/metrics`, `/healthz` and `/readyz`: they are on the operator's
/// listener only.
pub async fn not_here() -> (StatusCode, &'static str) {
    (
        StatusCode::NOT_FOUND,
        "not on this port: metrics and health checks are on the operator listener (config: metrics)\n",
    )
}
