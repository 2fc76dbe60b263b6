//! Creating a meeting: `POST /api/meetings` (see `treff_shared::meeting`). The answer's moderator
//! key goes into the URL fragment only, never into a request.

use treff_shared::meeting::{CreateMeeting, MEETINGS_PATH, NewMeeting};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCache, RequestInit, Response};

/// Why a meeting could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateError {
    /// The server wants the organiser password (missing or wrong).
    OrganiserPassword,
    /// Anything else (network, server error).
    Failed,
}

/// Asks the server for a new meeting.
pub async fn create_meeting(organiser_password: Option<String>) -> Result<NewMeeting, CreateError> {
    let response = post(&CreateMeeting { organiser_password })
        .await
        .map_err(|e| {
            web_sys::console::error_2(&"treff: creating a meeting failed".into(), &e);
            CreateError::Failed
        })?;
    match response.status() {
        201 | 200 => {}
        403 => return Err(CreateError::OrganiserPassword),
        _ => return Err(CreateError::Failed),
    }
    let text = response.text().map_err(|_| CreateError::Failed)?;
    let text = JsFuture::from(text)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or(CreateError::Failed)?;
    crate::json::decode(&text).ok_or(CreateError::Failed)
}

async fn post(body: &CreateMeeting) -> Result<Response, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let headers = Headers::new()?;
    headers.set("Content-Type", "application/json")?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_cache(RequestCache::NoStore);
    let json = crate::json::encode(body).map_err(|e| JsValue::from_str(&e))?;
    init.set_body(&JsValue::from_str(&json));
    let response = JsFuture::from(window.fetch_with_str_and_init(MEETINGS_PATH, &init)).await?;
    response.dyn_into::<Response>()
}
