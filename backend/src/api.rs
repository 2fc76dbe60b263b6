//! `/api`: creating meetings, and uploading and downloading chat attachments over HTTP.
//!
//! `POST /api/meetings` makes a meeting id and its moderator key (see `meetings`); with organiser
//! protection on it needs the organiser password, checked against its argon2 hash off the async
//! runtime (argon2 is slow on purpose).
//!
//! Every request carries `Authorization: Bearer <room id>.<secret>`, the token a participant got in
//! `Joined`; the room task decides whether the secret belongs to someone present and whether they may
//! see the file. Knowing an attachment's URL is never enough. Neither the token, the room id nor the
//! file name is in the URL or in any log line.
//!
//! Uploads are checked before the body is read: no `Content-Length` → 411, more than
//! `Limits::attachment_max_bytes` → 413, more than the conference has left → 413; then the body is
//! streamed through the cipher to disk and may not exceed what it declared. Downloads are served as
//! `application/octet-stream` with `Content-Disposition: attachment`, `nosniff` and
//! `Content-Security-Policy: sandbox`, so our origin never renders an uploaded file.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::sync::{mpsc, oneshot};
use treff_shared::attachment::{FILE_NAME_HEADER, UPLOAD_PATH};
use treff_shared::meeting::{CreateMeeting, MEETINGS_PATH, NewMeeting};
use treff_shared::{ApiError, AttachmentId, ErrorCode, RoomId, sanitize_file_name};

mod recordings;

use crate::attachments::{self, UploadError};
use crate::http::AppState;
use crate::room::{ApiRequest, Client, Command};

/// The `/api` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(UPLOAD_PATH, post(upload))
        .route(&format!("{UPLOAD_PATH}/{{id}}"), get(download))
        .route(MEETINGS_PATH, post(create_meeting))
        .merge(recordings::routes())
        // Anything else under /api is an error in JSON, not the app's page.
        .route("/api", any(unknown_path))
        .route("/api/{*rest}", any(unknown_path))
}

/// An `/api` path that does not exist: 404 with a JSON error (without this, the UI's fallback would
/// answer 200 with the app's HTML).
async fn unknown_path() -> Response {
    (
        StatusCode::NOT_FOUND,
        api_error(ErrorCode::NotFound, "no such API path"),
    )
        .into_response()
}

/// `POST /api/meetings`: a new meeting id and its moderator key.
async fn create_meeting(
    State(state): State<AppState>,
    body: Option<Json<CreateMeeting>>,
) -> Response {
    if let Some(hash) = state.organiser_password_hash.clone() {
        let given = body.and_then(|Json(b)| b.organiser_password);
        let allowed = match given {
            Some(password) => tokio::task::spawn_blocking(move || {
                crate::meetings::verify_password(&password, &hash)
            })
            .await
            .unwrap_or(false),
            None => false,
        };
        if !allowed {
            return error(ErrorCode::OrganiserPasswordRequired);
        }
    }
    let (room, moderator_key) = state.rooms.keys().create();
    (
        StatusCode::CREATED,
        Json(NewMeeting {
            room,
            moderator_key,
        }),
    )
        .into_response()
}

/// `POST /api/attachments`: stores the body as a new attachment of the caller's conference.
async fn upload(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // A refusal by a limit (size, quotas) is counted for the operator.
    let refuse = |code| {
        state.rooms.metrics().refused(code);
        error(code)
    };
    let (room, secret) = match credential(&state, &headers) {
        Ok(c) => c,
        Err(code) => return error(code),
    };
    let Some(declared) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return (
            StatusCode::LENGTH_REQUIRED,
            api_error(ErrorCode::BadUpload, "an upload needs a Content-Length"),
        )
            .into_response();
    };
    // Refused before a byte of the body is read.
    if declared > state.limits.attachment_max_bytes {
        return refuse(ErrorCode::FileTooLarge);
    }
    let Some(name) = file_name(&headers) else {
        return error(ErrorCode::BadUpload);
    };
    let request = |reply| Command::Api {
        secret,
        client,
        request: ApiRequest::BeginUpload {
            size: declared,
            reply,
        },
    };
    let ticket = match ask(&room, request).await {
        Some(Ok(ticket)) => ticket,
        Some(Err(code)) => return refuse(code),
        None => return error(ErrorCode::NotFound),
    };
    let written = attachments::write_encrypted(body.into_data_stream(), &ticket).await;
    let outcome = match &written {
        Ok(n) if *n == declared => Some((name, *n)),
        _ => None,
    };
    let id = ticket.id.clone();
    let path = ticket.path.clone();
    drop(ticket);
    let done = ask(&room, |reply| Command::UploadDone { id, outcome, reply }).await;
    match (done.flatten(), written) {
        (Some(attachment), _) => {
            state.rooms.metrics().uploaded(declared);
            (StatusCode::CREATED, Json(attachment)).into_response()
        }
        (None, result) => {
            // The room no longer wants it (uploader left, conference ended) or the body failed.
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(error = %e, "could not remove a failed upload");
            }
            match result {
                Ok(_) => error(ErrorCode::NotFound),
                // A body longer than its Content-Length: a broken client, not a limit reached.
                Err(UploadError::TooLong) => error(ErrorCode::FileTooLarge),
                Err(UploadError::Interrupted) => error(ErrorCode::BadUpload),
                Err(e) => {
                    tracing::error!(error = %e, "storing an attachment failed");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }
    }
}

/// `GET /api/attachments/{id}`: the decrypted file, for a participant who may see it.
async fn download(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (room, secret) = match credential(&state, &headers) {
        Ok(c) => c,
        Err(code) => return error(code),
    };
    let Some(id) = AttachmentId::parse(&id) else {
        return error(ErrorCode::NotFound);
    };
    let request = |reply| Command::Api {
        secret,
        client,
        request: ApiRequest::Download { id, reply },
    };
    let ticket = match ask(&room, request).await {
        Some(Ok(ticket)) => ticket,
        // A stale token is as good as none, and says nothing about whether the file exists.
        Some(Err(_)) | None => return error(ErrorCode::NotFound),
    };
    let attachment = ticket.attachment.clone();
    let Ok(stream) = attachments::read_decrypted(ticket).await else {
        return error(ErrorCode::NotFound);
    };
    let mut response = Body::from_stream(stream).into_response();
    download_headers(response.headers_mut(), &attachment.name, attachment.size);
    response
}

/// The headers of every file download: saved, never rendered by our origin, never cached.
fn download_headers(h: &mut HeaderMap, name: &str, len: u64) {
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The room and the secret named by the `Authorization` header. A missing or malformed header is
/// `Unauthorized`; a room that is not open (it ended) is `NotFound`.
fn credential(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(mpsc::Sender<Command>, String), ErrorCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ErrorCode::Unauthorized)?;
    let (room, secret) = token.split_once('.').ok_or(ErrorCode::Unauthorized)?;
    let room = RoomId::parse(room).map_err(|_| ErrorCode::Unauthorized)?;
    let commands = state.rooms.get(&room).ok_or(ErrorCode::NotFound)?;
    Ok((commands, secret.to_owned()))
}

/// The sanitised name from [`FILE_NAME_HEADER`] (percent-encoded UTF-8); a missing header gives the
/// generic name, a malformed one `None`.
fn file_name(headers: &HeaderMap) -> Option<String> {
    let Some(raw) = headers.get(FILE_NAME_HEADER) else {
        return Some(sanitize_file_name(""));
    };
    let decoded = percent_decode_str(raw.to_str().ok()?).decode_utf8().ok()?;
    Some(sanitize_file_name(&decoded))
}

/// RFC 5987 `attr-char`: what may stay unescaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with an ASCII fallback name and the exact UTF-8 one (RFC 6266). The name is already
/// sanitised: no quotes, no control characters, no path.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() && c != '\\' { c } else { '_' })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

/// Sends the room a command carrying a reply channel and waits for the reply; `None` if the room
/// has ended meanwhile.
async fn ask<T>(
    room: &mpsc::Sender<Command>,
    command: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Option<T> {
    let (reply, answer) = oneshot::channel();
    room.send(command(reply)).await.ok()?;
    answer.await.ok()
}

fn api_error(code: ErrorCode, message: &str) -> Json<ApiError> {
    Json(ApiError {
        code,
        message: message.to_owned(),
    })
}

/// The one mapping from an error code to an HTTP response.
fn error(code: ErrorCode) -> Response {
    let (status, message) = match code {
        ErrorCode::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            "a participant's token (or, for recordings, the moderator key) is required",
        ),
        ErrorCode::NotFound => (StatusCode::NOT_FOUND, "no such file"),
        ErrorCode::OrganiserPasswordRequired => (
            StatusCode::FORBIDDEN,
            "creating a meeting needs the organiser password",
        ),
        ErrorCode::FileTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "the file is too large"),
        ErrorCode::StorageFull => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "this meeting's attachments have reached their limit",
        ),
        ErrorCode::UploadQuota => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "your attachments in this meeting have reached their limit",
        ),
        _ => (StatusCode::BAD_REQUEST, "malformed upload"),
    };
    let mut response = (status, api_error(code, message)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_has_an_ascii_fallback_and_the_exact_name() {
        assert_eq!(
            content_disposition("Bericht ä.pdf"),
            "attachment; filename=\"Bericht _.pdf\"; filename*=UTF-8''Bericht%20%C3%A4.pdf"
        );
    }

    #[test]
    fn file_names_are_decoded_and_sanitised() {
        let mut h = HeaderMap::new();
        assert_eq!(file_name(&h).as_deref(), Some("attachment"));
        h.insert(
            FILE_NAME_HEADER,
            HeaderValue::from_static("..%2F..%2Fetc%2Fpasswd"),
        );
        assert_eq!(file_name(&h).as_deref(), Some("passwd"));
        h.insert(FILE_NAME_HEADER, HeaderValue::from_static("%FF%FE"));
        assert_eq!(file_name(&h), None, "not UTF-8");
    }
}
