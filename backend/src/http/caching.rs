//! `Cache-Control` on every response: what a browser or a proxy may keep, and for how long.
//!
//! - HTML (the app's pages, the privacy notice) and everything under `/api`: `no-store`. A page names
//!   the hashed files of this very build and carries their CSP hash, so a stale copy breaks after an
//!   upgrade; an API answer may hold a key or a token (the reply to `POST /api/meetings` carries the
//!   moderator key), which must not sit in any cache.
//! - The UI's hashed files (Trunk puts a content hash into their names, `app-<16 hex>.js`): a year,
//!   `immutable`, since a new build has new names.
//! - Anything else (the few unhashed files): `no-cache`, kept but checked again before each use.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Never kept.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// Kept for a year without asking again.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// Kept, but revalidated before each use.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// The middleware: sets the policy for the request's path and the response's type.
pub async fn cache_control(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let policy = policy(&path, response.status().is_success(), response.headers());
    response.headers_mut().insert(header::CACHE_CONTROL, policy);
    response
}

/// The policy for a response to `path`.
fn policy(path: &str, success: bool, headers: &HeaderMap) -> HeaderValue {
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    // An unknown path gets the app's page (200, HTML), even one that looks hashed: the HTML check
    // comes first, so that page is never cached under a file's name.
    if html || path == "/api" || path.starts_with("/api/") {
        NO_STORE
    } else if success && is_hashed(path) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// Whether the file name carries Trunk's content hash: `-` and 16 hex digits before the extension
/// (`style-b021875f4c93c2c1.css`, `treff-frontend-532b1b9de1505a4a_bg.wasm`).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.match_indices('-').any(|(at, _)| {
        let rest = &name[at + 1..];
        rest.len() > 16
            && rest[..16].bytes().all(|b| b.is_ascii_hexdigit())
            && matches!(rest.as_bytes()[16], b'.' | b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(content_type: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h
    }

    #[test]
    fn hashed_names_are_trunks_and_nothing_else() {
        assert!(is_hashed("/style-b021875f4c93c2c1.css"));
        assert!(is_hashed("/treff-frontend-532b1b9de1505a4a_bg.wasm"));
        assert!(is_hashed("/treff-frontend-532b1b9de1505a4a.js"));
        assert!(!is_hashed("/favicon.ico"));
        assert!(!is_hashed("/m/b021875f4c93c2c1a"));
        assert!(!is_hashed("/style-b021875f4c93c2c.css"), "15 digits");
        assert!(!is_hashed("/style-g021875f4c93c2c1.css"), "not hex");
    }

    #[test]
    fn pages_and_the_api_are_never_stored_and_hashed_files_are_immutable() {
        let js = typed("text/javascript");
        let html = typed("text/html; charset=utf-8");
        let json = typed("application/json");
        assert_eq!(policy("/m/abc", true, &html), NO_STORE);
        assert_eq!(policy("/privacy", true, &html), NO_STORE);
        assert_eq!(policy("/api/meetings", true, &json), NO_STORE);
        assert_eq!(policy("/api/nothing", false, &json), NO_STORE);
        assert_eq!(policy("/app-0123456789abcdef.js", true, &js), IMMUTABLE);
        // A hashed name the build does not have falls back to the app's page: never cached as it.
        assert_eq!(policy("/app-0123456789abcdef.js", true, &html), NO_STORE);
        assert_eq!(policy("/app-0123456789abcdef.js", false, &js), REVALIDATE);
        assert_eq!(
            policy("/robots.txt", true, &typed("text/plain")),
            REVALIDATE
        );
    }
}
