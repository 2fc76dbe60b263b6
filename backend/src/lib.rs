//! Treff's server: the web UI, signalling over WebSocket and the SFU, in one binary.
//!
//! Layout:
//! - [`config`]: flags, environment and TOML over embedded defaults.
//! - [`notice`]: the privacy notice at `/privacy`, with the operator's `[privacy]` details.
//! - [`holds`]: incident holds on a conference's session log, encrypted, and the audit log.
//! - [`admin`]: the operator's local channel (`treff admin`), a Unix socket in the state directory.
//! - [`connections`]: WebSocket connections held, against their limits (total, per address).
//! - [`http`]: the router, security headers (CSP), `Origin` check, static UI.
//! - [`tls`]: HTTPS in the binary (certificate reload, HSTS) and the HTTP listener that redirects.
//! - [`api`]: `/api`: attachment upload and download, authorised by a participant's token.
//! - [`signalling`]: one session per WebSocket: handshake, join, relay to the room; the error boundary.
//! - [`rooms`]: the registry of open rooms.
//! - [`room`]: one conference's state, owned by one task (participants, peers, forwarding, chat,
//!   attachments, the end of the conference and its deletion receipt).
//! - [`chat`]: a conference's chat history, visibility and rate limit.
//! - [`meetings`]: moderator keys, created meetings and password hashing.
//! - [`rate`]: the token bucket behind every per-participant rate limit.
//! - [`recording`]: consented capture, the output job (ffmpeg) and finished recordings.
//! - [`attachments`]: encrypted attachment files of a conference and their key.
//! - [`metrics`]: the counts `/metrics` gives (no names, ids or addresses).
//! - [`monitoring`]: the operator's listener: `/metrics`, `/healthz`, `/readyz`.
//! - [`sfu`]: the SFU's packet path: the one UDP socket for all rooms and its demux, each
//!   participant's str0m peer, forwarding, poll scheduling and SDP (see its layout).
//!
//! Data lifecycle (DESIGN.md): names, media state and chat live in the room task's memory only and
//! go when the participant leaves or the conference ends; attachments are encrypted on disk with a
//! key in that memory and removed at the end (and at start-up and shutdown); operational logs carry
//! no personal data.

pub mod admin;
pub mod api;
pub mod attachments;
pub mod chat;
pub mod config;
pub mod connections;
pub mod holds;
pub mod http;
pub mod meetings;
pub mod metrics;
pub mod monitoring;
pub mod notice;
pub mod rate;
pub mod recording;
pub mod room;
pub mod rooms;
pub mod sfu;
pub mod signalling;
pub mod tls;
pub mod turn;
pub mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use config::Config;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often dropped media datagrams are reported in the log (when any were dropped).
const DROP_REPORT_INTERVAL: Duration = Duration::from_secs(10);

/// How long a shutdown may take, from the signal to the exit (systemd's stop timeout is larger).
pub const SHUTDOWN_WITHIN: Duration = Duration::from_secs(5);

/// How often expired recordings are looked for (besides at start-up).
const RETENTION_SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// A running server.
pub struct Server {
    /// Where HTTP and `/ws` listen (with TLS: where HTTP redirects to HTTPS).
    pub http_addr: SocketAddr,
    /// Where HTTPS and `/ws` listen, when TLS is on.
    pub https_addr: Option<SocketAddr>,
    /// Where the media UDP socket is bound.
    pub media_addr: SocketAddr,
    /// Where the media TCP port listens, if TCP candidates are announced.
    pub media_tcp_addr: Option<SocketAddr>,
    /// Where the operator's listener (`/metrics`, `/healthz`, `/readyz`) listens, unless it is off.
    pub metrics_addr: Option<SocketAddr>,
    /// What the media path dropped, per reason.
    pub drops: Arc<sfu::Drops>,
    /// The demux table (tests watch that unknown sources do not grow it).
    pub routes: sfu::Routes,
    stop: watch::Sender<bool>,
    /// Set as a shutdown begins (`/readyz` then says not ready), before the conferences end.
    stopping: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    rooms: rooms::Rooms,
    connections: connections::Connections,
    attachment_dir: PathBuf,
    state_dir: PathBuf,
}

impl Server {
    /// Binds both sockets, starts serving, and returns at once.
    pub async fn start(config: Config) -> std::io::Result<Server> {
        // aws-lc-rs, the provider str0m uses too, as the process's TLS default. Where another crate
        // brings rustls's second provider (ring, through webrtc-rs in the tests), rustls cannot pick
        // a default by itself and code that relies on one would panic. An already installed
        // default is kept.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        // No conference runs yet: whatever is in the attachment directory was left by a crash.
        let swept = attachments::sweep(&config.attachment_dir)?;
        if swept > 0 {
            tracing::warn!(
                conferences = swept,
                "removed attachments left by an earlier run"
            );
        }
        let udp = Arc::new(sfu::udp::bind(
            config.media_bind,
            config.media_socket_buffer,
        )?);
        let media_addr = udp.local_addr()?;
        let announces = |kind| config.ice_candidates.contains(&kind);
        let tcp = if announces(config::CandidateKind::Tcp) {
            Some(sfu::tcp::bind(config.media_tcp_bind)?)
        } else {
            None
        };
        let media_tcp_addr = tcp.as_ref().map(|l| l.local_addr()).transpose()?;
        let routes = sfu::Routes::default();
        let drops = Arc::new(sfu::Drops::default());
        let metrics = metrics::Metrics::default();
        let media = room::MediaContext {
            candidates: sfu::Candidates {
                udp: if announces(config::CandidateKind::Udp) {
                    config.candidate_addresses(media_addr)
                } else {
                    Default::default()
                },
                tcp: media_tcp_addr
                    .map(|a| config.candidate_addresses(a))
                    .unwrap_or_default(),
            },
            socket: udp.clone(),
            routes: routes.clone(),
            crypto: Arc::new(str0m::crypto::from_feature_flags()),
            drops: drops.clone(),
        };
        let keys = config
            .meeting_secret
            .map_or_else(meetings::MeetingKeys::random, meetings::MeetingKeys::new);
        let store = match &config.recordings_dir {
            Some(dir) => {
                let retention =
                    Duration::from_secs(u64::from(config.recording_retention_days) * 86_400);
                let store = Arc::new(recording::store::Store::new(dir.clone(), retention)?);
                store.sweep(SystemTime::now(), true);
                Some(store)
            }
            None => None,
        };
        // Without a recordings directory, a proposed recording is refused as unavailable.
        let recorder = store.clone().map(|store| {
            Arc::new(recording::jobs::Recordings::new(store, metrics.clone()))
                as Arc<dyn recording::capture::Recorder>
        });
        if config.privacy_is_example {
            tracing::warn!(
                "no config file: the privacy notice names the example organisation of \
                 examples/treff.toml; give your own with --config"
            );
        }
        // Held logs outlive the process: what expired while it was down goes first.
        let holds = Arc::new(holds::Holds::open(
            &config.state_dir,
            config.privacy.incident_hold_days,
        )?);
        let expired = holds.sweep(SystemTime::now());
        if expired > 0 {
            tracing::info!(
                holds = expired,
                "incident holds expired; their logs deleted"
            );
        }
        // Read once: the notice takes its stylesheet, the CSP the hashes of its inline scripts.
        let ui = config.ui();
        let index_html = ui.index_html().unwrap_or_else(|| {
            tracing::warn!(ui = %ui.describe(), "no built UI found; run `cargo xtask run` or `trunk build`");
            String::new()
        });
        let notice = notice::Pages::render(
            &config.privacy,
            config
                .recordings_dir
                .as_ref()
                .map(|_| config.recording_retention_days),
            &index_html,
        )
        .map_err(std::io::Error::other)?;
        let env = room::Environment {
            limits: config.limits.clone(),
            attachment_dir: config.attachment_dir.clone(),
            keys,
            recorder,
            holds: Some(holds.clone()),
            notice_version: Arc::from(config.privacy.version.as_str()),
            turn: config.turn.clone().map(Arc::new),
            metrics: metrics.clone(),
        };
        let rooms = rooms::Rooms::new(env, media, config.organiser_password_hash.is_some());
        // The listeners are bound before the admin socket and the tasks: a taken port stops the start
        // with nothing left behind.
        let listener = tokio::net::TcpListener::bind(config.http).await?;
        let monitor = match config.metrics {
            Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "the metrics listener cannot bind {addr}: {e}; give another address \
                         (metrics = \"127.0.0.1:…\") or switch it off (metrics = \"off\")"
                    ),
                )
            })?),
            None => None,
        };
        let (admin_socket, admin_token) = admin::bind(&config.state_dir)?;
        let connections = connections::Connections::new(&config.limits);
        let state = http::AppState {
            rooms: rooms.clone(),
            limits: config.limits.clone(),
            allowed_origins: config.allowed_origins.clone(),
            organiser_password_hash: config.organiser_password_hash.clone().map(Arc::from),
            trusted_proxies: config.trusted_proxies.clone(),
            recordings: store.clone(),
            notice: Arc::new(notice),
            connections: connections.clone(),
        };
        let admin = tokio::spawn(admin::serve(
            admin_socket,
            admin_token,
            rooms.clone(),
            holds.clone(),
        ));
        let expiry = tokio::spawn(holds.expire());
        let app = http::router(state, &ui, &index_html);
        let http_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let metrics_addr = monitor.as_ref().map(|l| l.local_addr()).transpose()?;
        let monitor_stopped = stopped.clone();
        let (stopping, stopping_seen) = watch::channel(false);
        let (http, https_addr, reload) = match &config.tls {
            None => (
                tokio::spawn(serve_plain(listener, app, stopped)),
                None,
                None,
            ),
            Some(files) => {
                let rustls = files.load().await?;
                let https = std::net::TcpListener::bind(config.https)?;
                let https_addr = https.local_addr()?;
                let redirect = tls::redirect(https_addr.port());
                let reload = tokio::spawn(tls::reload_on_change(rustls.clone(), files.clone()));
                // One task for both listeners: shutdown waits for it as for the plain server.
                let both = async move {
                    tokio::join!(
                        tls::serve(https, app, rustls, stopped.clone()),
                        serve_plain(listener, redirect, stopped),
                    );
                };
                (tokio::spawn(both), Some(https_addr), Some(reload))
            }
        };
        let demux = tokio::spawn(sfu::demux::run(udp, routes.clone(), drops.clone()));
        let drop_report = tokio::spawn(drops.clone().report(DROP_REPORT_INTERVAL));
        let monitor = monitor.map(|listener| {
            let mut writable = vec![
                ("state", config.state_dir.clone()),
                ("attachment", config.attachment_dir.clone()),
            ];
            writable.extend(config.recordings_dir.clone().map(|d| ("recordings", d)));
            let readiness = monitoring::Readiness {
                reader: demux.abort_handle(),
                stopping: stopping_seen,
                writable,
                // Recordings are made by `nice -n 19 ffmpeg` (see `recording::output`).
                programs: if config.recordings_dir.is_some() {
                    vec!["ffmpeg", "nice"]
                } else {
                    Vec::new()
                },
            };
            let app = monitoring::router(metrics.registry(drops.clone()), readiness);
            tokio::spawn(serve_plain(listener, app, monitor_stopped))
        });
        let mut tasks = vec![http, demux, drop_report, admin, expiry];
        tasks.extend(monitor);
        tasks.extend(reload);
        tasks.extend(tcp.map(|l| tokio::spawn(sfu::tcp::run(l, routes.clone(), drops.clone()))));
        if let Some(store) = store {
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(RETENTION_SWEEP_INTERVAL);
                loop {
                    tick.tick().await;
                    let store = store.clone();
                    let _ =
                        tokio::task::spawn_blocking(move || store.sweep(SystemTime::now(), false))
                            .await;
                }
            }));
        }
        Ok(Server {
            http_addr,
            https_addr,
            media_addr,
            media_tcp_addr,
            metrics_addr,
            drops,
            routes,
            stop,
            stopping,
            tasks,
            rooms,
            connections,
            attachment_dir: config.attachment_dir,
            state_dir: config.state_dir,
        })
    }

    /// Shuts down within [`SHUTDOWN_WITHIN`]: ends every conference the normal way (purge, receipts
    /// logged, participants told the server is restarting), stops accepting, ends the tasks, and
    /// removes whatever attachments are left and the admin socket.
    pub async fn shutdown(self) {
        let started = tokio::time::Instant::now();
        let _ = self.stopping.send(true);
        // Most of the budget goes to the conferences; the rest to closing the sockets.
        let ended = self.rooms.shutdown(started + SHUTDOWN_WITHIN / 2).await;
        tracing::info!(conferences = ended, "shutting down: every conference ended");
        // Each session writes its receipt and "restarting" close frame, then ends and gives its
        // place back; the process must not exit before (sockets outside a meeting hold out to the
        // deadline, then go with the process).
        while self.connections.held().0 > 0
            && tokio::time::Instant::now() < started + SHUTDOWN_WITHIN * 3 / 5
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.stop.send(true);
        let mut tasks = self.tasks.into_iter();
        if let Some(http) = tasks.next() {
            // Open WebSockets keep graceful shutdown waiting; a short grace, then abort.
            let abort = http.abort_handle();
            if tokio::time::timeout_at(started + SHUTDOWN_WITHIN * 4 / 5, http)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        for t in tasks {
            t.abort();
        }
        let _ = std::fs::remove_file(self.state_dir.join(admin::SOCKET));
        if let Err(e) = attachments::sweep(&self.attachment_dir) {
            tracing::error!(error = %e, "could not remove attachments at shutdown");
        }
    }
}

/// Serves `app` over plain HTTP on `listener` until `stopped`.
async fn serve_plain(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stopped: watch::Receiver<bool>,
) {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let serve = axum::serve(listener, app).with_graceful_shutdown(until_stopped(stopped));
    if let Err(e) = serve.await {
        tracing::error!(error = %e, "http server failed");
    }
}

/// Returns when the server is told to stop (or the server is gone).
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
