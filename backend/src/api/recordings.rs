//! `/api/meetings/<room>/recordings`: a meeting's finished recordings, for its moderators only.
//!
//! Every request carries `Authorization: Moderator <key>`, the key of the moderator link (kept in
//! the link's fragment, so it is in no request line and no log); a missing or wrong key is 401.
//! The meeting need not be running: recordings outlive it until their retention ends. `GET` lists
//! them (sizes, durations, expiry), `GET …/<id>/<file>` downloads one output file, `DELETE …/<id>`
//! deletes a recording at once. Nothing of this is logged beyond counts.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use tokio_util::io::ReaderStream;
use treff_shared::recording::{
    MODERATOR_AUTH_SCHEME, RecordingStatus, recording_status_path, recordings_path,
};
use treff_shared::{ErrorCode, RoomId};

use super::{download_headers, error};
use crate::http::AppState;
use crate::recording::store::Store;
use crate::room::Command;

/// The recordings routes.
pub fn routes() -> Router<AppState> {
    let list_path = recordings_path("{room}");
    Router::new()
        .route(&list_path, get(list))
        .route(
            &format!("{list_path}/{{id}}"),
            axum::routing::delete(remove),
        )
        .route(&format!("{list_path}/{{id}}/{{file}}"), get(download))
        .route(&recording_status_path("{room}"), get(status))
}

/// `GET …/status`: whether a recording exists in the running meeting. No credential: whoever has
/// the link would learn it by joining; the pre-join page tells them before.
async fn status(State(state): State<AppState>, Path(room): Path<String>) -> Response {
    let recording = match RoomId::parse(&room).ok().and_then(|r| state.rooms.get(&r)) {
        Some(room) => super::ask(&room, |reply| Command::RecordingStatus { reply })
            .await
            .unwrap_or(false),
        None => false,
    };
    let mut response = axum::Json(RecordingStatus { recording }).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// The store and the meeting, if the caller holds the meeting's moderator key.
fn authorise(
    state: &AppState,
    room: &str,
    headers: &HeaderMap,
) -> Result<(Arc<Store>, RoomId), ErrorCode> {
    let store = state.recordings.clone().ok_or(ErrorCode::NotFound)?;
    let room = RoomId::parse(room).map_err(|_| ErrorCode::NotFound)?;
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(MODERATOR_AUTH_SCHEME))
        .and_then(|v| v.strip_prefix(' '))
        .ok_or(ErrorCode::Unauthorized)?;
    if !state.rooms.keys().is_moderator_key(&room, key) {
        return Err(ErrorCode::Unauthorized);
    }
    Ok((store, room))
}

/// `GET`: the finished recordings of the meeting.
async fn list(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (store, room) = match authorise(&state, &room, &headers) {
        Ok(ok) => ok,
        Err(code) => return error(code),
    };
    match tokio::task::spawn_blocking(move || store.list(&room)).await {
        Ok(list) => {
            let mut response = axum::Json(list).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET …/<id>/<file>`: one output file, as a download.
async fn download(
    State(state): State<AppState>,
    Path((room, id, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (store, room) = match authorise(&state, &room, &headers) {
        Ok(ok) => ok,
        Err(code) => return error(code),
    };
    let Some(path) = store.file(&room, &id, &file) else {
        return error(ErrorCode::NotFound);
    };
    let Ok(opened) = tokio::fs::File::open(&path).await else {
        return error(ErrorCode::NotFound);
    };
    let len = opened.metadata().await.map(|m| m.len()).unwrap_or(0);
    let mut response = Body::from_stream(ReaderStream::new(opened)).into_response();
    download_headers(response.headers_mut(), &file, len);
    response
}

/// `DELETE …/<id>`: deletes the recording now.
async fn remove(
    State(state): State<AppState>,
    Path((room, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (store, room) = match authorise(&state, &room, &headers) {
        Ok(ok) => ok,
        Err(code) => return error(code),
    };
    match tokio::task::spawn_blocking(move || store.delete(&room, &id)).await {
        Ok(Ok(true)) => {
            tracing::info!("a recording was deleted on request");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(Ok(false)) => error(ErrorCode::NotFound),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
