//! The browser UI the server hands out: the `dist/` that Trunk built, embedded in the release
//! binary when it was compiled (so the binary alone serves everything, e.g. from the Debian
//! package), or a directory the operator names with `--ui-dir` (a UI built separately).
//!
//! Either way the app is a single page: a path that is no file (`/m/<id>`, `/my-data`) gets
//! `index.html`, whose router shows the right view. Caching and compression are the HTTP layer's.

use std::path::PathBuf;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_http::services::{ServeDir, ServeFile};

/// `dist/` as it was when the binary was compiled. Debug builds read the files from there at run
/// time instead (rust-embed's development mode); a build made before any UI simply has none.
#[derive(rust_embed::Embed)]
#[folder = "../dist"]
#[allow_missing = true]
struct Embedded;

/// Where the UI comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ui {
    /// The files embedded in the binary.
    Embedded,
    /// A directory on disk (`--ui-dir`).
    Dir(PathBuf),
}

impl Ui {
    /// The app's page, if there is a UI at all.
    pub fn index_html(&self) -> Option<String> {
        match self {
            Ui::Embedded => Embedded::get("index.html")
                .and_then(|file| String::from_utf8(file.data.into_owned()).ok()),
            Ui::Dir(dir) => std::fs::read_to_string(dir.join("index.html")).ok(),
        }
    }

    /// Where the log says the UI comes from.
    pub fn describe(&self) -> String {
        match self {
            Ui::Embedded => "embedded in the binary".to_owned(),
            Ui::Dir(dir) => dir.display().to_string(),
        }
    }

    /// The router that serves it: every path the other routes do not take.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        match self {
            Ui::Embedded => Router::new().fallback(embedded),
            Ui::Dir(dir) => Router::new().fallback_service(
                ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))),
            ),
        }
    }
}

/// One embedded file, or the app's page for a path that is none.
async fn embedded(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let file = Embedded::get(path)
        .filter(|_| !path.is_empty())
        .or_else(|| Embedded::get("index.html"));
    let Some(file) = file else {
        return (StatusCode::NOT_FOUND, "no UI was built into this server").into_response();
    };
    let kind = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, kind)], file.data).into_response()
}
