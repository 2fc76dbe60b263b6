//! HTTPS and WSS from the binary itself: rustls through axum-server, the certificate files re-read
//! when they change, HSTS on every answer, and the plain-HTTP listener that then only redirects.
//!
//! Browsers grant camera and microphone only to `https://` pages (or localhost), so a server that is
//! not behind a TLS-terminating proxy must speak TLS itself.
//!
//! Renewals (certbot, acme.sh) replace the two files a moment apart: a pair that does not load
//! (the new certificate with the old key) keeps the working one, and the next check tries again.
//! Only new connections see a renewed certificate; open ones keep theirs until they close.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_server::tls_rustls::RustlsConfig;
use tokio::sync::watch;
use tower_http::set_header::SetResponseHeaderLayer;

/// How often the certificate files are checked for a renewal.
pub const CHECK_EVERY: Duration = Duration::from_secs(10);

/// `Strict-Transport-Security`: one year, this host only (the organisation's other hosts under the
/// same domain are not Treff's to decide about).
const HSTS: &str = "max-age=31536000";

/// The certificate chain and key files (PEM) that switch HTTPS on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key of the leaf.
    pub key: PathBuf,
    /// How often the files are checked for a change ([`CHECK_EVERY`]; tests shorten it).
    pub check_every: Duration,
}

impl TlsFiles {
    /// Both files, checked every [`CHECK_EVERY`].
    pub fn new(cert: PathBuf, key: PathBuf) -> Self {
        Self {
            cert,
            key,
            check_every: CHECK_EVERY,
        }
    }

    /// Reads and checks the pair (certificates parse, the key matches a supported algorithm).
    pub async fn load(&self) -> io::Result<RustlsConfig> {
        RustlsConfig::from_pem_file(&self.cert, &self.key)
            .await
            .map_err(|e| self.explained(e))
    }

    /// The files' modification times: a renewal changes at least one.
    async fn stamps(&self) -> (Option<SystemTime>, Option<SystemTime>) {
        let modified = |path: PathBuf| async move {
            tokio::fs::metadata(path)
                .await
                .and_then(|m| m.modified())
                .ok()
        };
        (
            modified(self.cert.clone()).await,
            modified(self.key.clone()).await,
        )
    }

    fn explained(&self, e: io::Error) -> io::Error {
        io::Error::new(
            e.kind(),
            format!(
                "TLS certificate {} with key {}: {e}",
                self.cert.display(),
                self.key.display()
            ),
        )
    }
}

/// Re-reads the files whenever they change, for as long as the server runs.
pub async fn reload_on_change(config: RustlsConfig, files: TlsFiles) {
    let mut loaded = files.stamps().await;
    let mut refused = None;
    let mut tick = tokio::time::interval(files.check_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = files.stamps().await;
        if now == loaded || Some(now) == refused {
            continue;
        }
        match config.reload_from_pem_file(&files.cert, &files.key).await {
            Ok(()) => {
                tracing::info!("TLS certificate reloaded");
                loaded = now;
                refused = None;
            }
            Err(e) => {
                // Said once per change of the files, not every check.
                tracing::warn!(error = %files.explained(e), "the changed TLS certificate does not load; keeping the one in use");
                refused = Some(now);
            }
        }
    }
}

/// Serves `app` over HTTPS on `listener` until `stopped`, with HSTS on every response.
pub async fn serve(
    listener: std::net::TcpListener,
    app: Router,
    config: RustlsConfig,
    stopped: watch::Receiver<bool>,
) {
    let handle = axum_server::Handle::new();
    let on_stop = handle.clone();
    let watcher = tokio::spawn(async move {
        crate::until_stopped(stopped).await;
        on_stop.graceful_shutdown(None);
    });
    let app = app
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
        .into_make_service_with_connect_info::<SocketAddr>();
    let served = match axum_server::from_tcp_rustls(listener, config) {
        Ok(server) => server.handle(handle).serve(app).await,
        Err(e) => Err(e),
    };
    if let Err(e) = served {
        tracing::error!(error = %e, "https server failed");
    }
    watcher.abort();
}

/// The plain-HTTP side when TLS is on: every request is sent to the same path over HTTPS.
pub fn redirect(https_port: u16) -> Router {
    Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        to_https(https_port, &headers, &uri)
    })
}

/// `308 Permanent Redirect` (keeps the method) to `https://<host>[:port]<path>`, or 400 without a
/// usable `Host`.
fn to_https(https_port: u16, headers: &HeaderMap, uri: &Uri) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| Authority::from_str(h).ok());
    let Some(host) = host else {
        return (StatusCode::BAD_REQUEST, "no valid Host header").into_response();
    };
    let port = match https_port {
        443 => String::new(),
        p => format!(":{p}"),
    };
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let location = format!("https://{}{port}{path}", host.host());
    match HeaderValue::from_str(&location) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "no valid Host header").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(port: u16, host: Option<&str>, uri: &str) -> (StatusCode, Option<String>) {
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(header::HOST, HeaderValue::from_str(h).expect("ascii"));
        }
        let r = to_https(port, &headers, &uri.parse().expect("uri"));
        let location = r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().expect("ascii").to_owned());
        (r.status(), location)
    }

    #[test]
    fn plain_http_is_sent_to_the_same_path_over_https() {
        let moved = StatusCode::PERMANENT_REDIRECT;
        assert_eq!(
            location(443, Some("treff.example.org"), "/m/abc?x=1"),
            (moved, Some("https://treff.example.org/m/abc?x=1".into()))
        );
        // The HTTP port in Host gives way to the HTTPS one.
        assert_eq!(
            location(8443, Some("localhost:8080"), "/"),
            (moved, Some("https://localhost:8443/".into()))
        );
        assert_eq!(
            location(443, Some("[2001:db8::1]:80"), "/privacy"),
            (moved, Some("https://[2001:db8::1]/privacy".into()))
        );
        assert_eq!(location(443, None, "/").0, StatusCode::BAD_REQUEST);
        assert_eq!(
            location(443, Some("bad host/x"), "/").0,
            StatusCode::BAD_REQUEST
        );
    }
}
