//! The HTTP surface as browsers and caches see it: `Cache-Control` per kind of answer, and a JSON
//! 404 for an `/api` path that does not exist (not the app's page).

mod support;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use treff_shared::ErrorCode;
use treff_shared::attachment::ApiError;

/// A UI directory like Trunk's: the page and one hashed file.
fn ui_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><html><head><title>Treff</title></head><body></body></html>",
    )
    .expect("index.html");
    std::fs::write(dir.path().join("app-0123456789abcdef_bg.wasm"), b"\0asm").expect("wasm");
    dir
}

/// Starts a server that serves `ui` and returns it with an HTTP client and its base URL.
async fn server_with_ui(ui: &tempfile::TempDir) -> (support::TestServer, reqwest::Client, String) {
    let mut config = treff::Config::ephemeral();
    config.ui_dir = Some(ui.path().to_owned());
    let server = support::start(config).await;
    let base = format!("http://{}", server.http_addr);
    (server, reqwest::Client::new(), base)
}

fn cache_control(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(none)")
}

#[tokio::test]
async fn pages_and_api_answers_are_never_stored_and_hashed_files_are_kept_for_a_year() {
    let ui = ui_dir();
    let (server, client, base) = server_with_ui(&ui).await;
    for page in [
        "/",
        "/m/abcdefghijkl",
        "/privacy",
        "/app-fedcba9876543210.js",
    ] {
        let response = client
            .get(format!("{base}{page}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        let kind = response.headers().get(CONTENT_TYPE).expect("a type");
        assert!(
            kind.to_str().expect("ascii").starts_with("text/html"),
            "{page}: {kind:?}"
        );
        assert_eq!(cache_control(&response), "no-store", "{page}");
    }
    let wasm = client
        .get(format!("{base}/app-0123456789abcdef_bg.wasm"))
        .send()
        .await
        .expect("answers");
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(cache_control(&wasm), "public, max-age=31536000, immutable");
    // The reply that carries a moderator key.
    let created = support::create_meeting(&server, None).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(cache_control(&created), "no-store");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404_not_the_apps_page() {
    let ui = ui_dir();
    let (_server, client, base) = server_with_ui(&ui).await;
    for (method, path) in [
        (reqwest::Method::GET, "/api/nothing"),
        (reqwest::Method::GET, "/api"),
        (reqwest::Method::POST, "/api/meetings/x/nothing/at/all"),
        (reqwest::Method::DELETE, "/api/attachments-old"),
    ] {
        let response = client
            .request(method.clone(), format!("{base}{path}"))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(cache_control(&response), "no-store", "{path}");
        let error: ApiError = response.json().await.expect("a JSON error");
        assert_eq!(error.code, ErrorCode::NotFound, "{path}");
        assert_eq!(error.message, "no such API path");
    }
    // A known path with the wrong method is still that path's business.
    let wrong_method = client
        .get(format!("{base}/api/meetings"))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}
