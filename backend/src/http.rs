//! The HTTP surface: the built UI (see `ui`), `/ws`, and the security headers
//! every response carries.
//!
//! The CSP allows scripts only from our origin plus the hash of Trunk's inline loader, which is read
//! from `index.html` at start-up (its content names the hashed wasm file, so it changes per build).
//! No `unsafe-inline`, no `unsafe-eval`, nothing from any other origin (R9).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;
use treff_shared::Limits;

mod caching;

use crate::room::Client;
use crate::rooms::Rooms;
use crate::{api, signalling};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The open rooms.
    pub rooms: Rooms,
    /// All limits.
    pub limits: Limits,
    /// Origins allowed to open `/ws` besides our own.
    pub allowed_origins: Vec<String>,
    /// Organiser protection: the argon2 hash of the password that creates meetings.
    pub organiser_password_hash: Option<Arc<str>>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Finished recordings (`None`: recording is switched off).
    pub recordings: Option<Arc<crate::recording::store::Store>>,
    /// The privacy notice, rendered.
    pub notice: Arc<crate::notice::Pages>,
    /// WebSocket connections held, against their limits.
    pub connections: crate::connections::Connections,
}

/// The router with UI, `/ws` and headers; `index_html` is the UI's page (its inline scripts are
/// allowed by hash).
pub fn router(state: AppState, ui: &crate::ui::Ui, index_html: &str) -> Router {
    let csp = content_security_policy(index_html);
    let set = |name, value: HeaderValue| SetResponseHeaderLayer::overriding(name, value);
    Router::new()
        .route("/ws", get(websocket))
        .route("/privacy", get(crate::notice::page))
        .route("/metrics", get(crate::monitoring::not_here))
        .route("/healthz", get(crate::monitoring::not_here))
        .route("/readyz", get(crate::monitoring::not_here))
        .merge(api::routes())
        .merge(ui.routes())
        .with_state(state)
        .layer(axum::middleware::from_fn(caching::cache_control))
        // Downloads bring their own, stricter policy (`sandbox`).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(set(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(set(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"),
        ))
        .layer(set(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // The UI's wasm is the bulk of a first visit (575 KB raw, about 175 KB as brotli).
        // Attachments are not compressed: mostly compressed formats already, and up to 25 MiB of
        // brotli per download would cost the server far more CPU than it saves.
        .layer(CompressionLayer::new().compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream")),
        ))
}

/// The CSP for a given `index.html`: its inline scripts are allowed by hash, nothing else inline.
pub fn content_security_policy(index_html: &str) -> HeaderValue {
    let hashes: String = inline_scripts(index_html)
        .map(|body| {
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    // Only ASCII goes in: base64 and fixed text.
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// The bodies of `<script>` elements without `src`, exactly as the browser hashes them.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, after) = rest.split_once('>')?;
        let (body, _) = after.split_once("</script>")?;
        (!attrs.contains("src=")).then_some(body)
    })
}

/// `GET /ws`: checks the `Origin`, sets the transport limits, and hands the socket to a session.
async fn websocket(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers, &state.allowed_origins) {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let Some(slot) = state.connections.acquire(client.addr) else {
        state
            .rooms
            .metrics()
            .refused(treff_shared::ErrorCode::TooManyConnections);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(treff_shared::ApiError {
                code: treff_shared::ErrorCode::TooManyConnections,
                message: "the server holds as many connections as it may; try again later".into(),
            }),
        )
            .into_response();
    };
    let AppState { rooms, limits, .. } = state;
    upgrade
        .max_message_size(limits.ws_max_message_bytes)
        .max_frame_size(limits.ws_max_frame_bytes)
        .on_upgrade(move |socket| async move {
            signalling::session(socket, rooms, limits, client).await;
            drop(slot);
        })
}

/// What a request of a conference (`/ws`, an upload, a download) tells about its client, for the
/// conference's session log (R7). Only those handlers take it: nothing else records any of it.
impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Self {
            addr: peer.and_then(|p| client_ip(p, &parts.headers, &state.trusted_proxies)),
            user_agent: header(header::USER_AGENT),
            referrer: header(header::REFERER),
        })
    }
}

/// The client's address: the peer's, or behind a trusted proxy the last hop it names in
/// `X-Forwarded-For`. `None` behind a trusted proxy that names none: a ban must never hit the proxy
/// (and with it everyone).
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|last| last.trim().parse().ok())
}

/// A page of ours (same scheme-less host and port as `Host`) or an explicitly allowed origin. A
/// missing `Origin` is refused: every browser sends one, and other clients can set it.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inline_loader_is_hashed_and_external_scripts_are_not() {
        let html = r#"<html><script type="module">import init from '/a.js';init();</script>
            <script src="/b.js"></script></html>"#;
        let csp = content_security_policy(html);
        let csp = csp.to_str().expect("ascii");
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest("import init from '/a.js';init();"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("sha256-").count(), 1);
        assert!(!csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn origins_are_checked_against_host_and_the_allow_list() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("meet.example:8080"));
        assert!(!origin_allowed(&h, &[]), "missing origin");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://meet.example:8080"),
        );
        assert!(origin_allowed(&h, &[]));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!origin_allowed(&h, &[]));
        assert!(origin_allowed(&h, &["https://evil.example/".to_owned()]));
    }
}
