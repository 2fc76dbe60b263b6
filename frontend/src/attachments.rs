//! The HTTP side of chat attachments (`/api`, see `treff_shared::attachment`): uploading a file with
//! progress and downloading one into a `Blob`.
//!
//! Both requests carry the participant's token in `Authorization` and go to a path on the page's own
//! origin only (CSP `connect-src 'self'`); neither the token nor the file name ever appears in a URL.
//! Uploads use `XMLHttpRequest` because `fetch` reports no upload progress; downloads use `fetch`,
//! since a plain link could not send the credential header.

use std::cell::{Cell, RefCell};

use futures_channel::oneshot;
use treff_shared::attachment::{FILE_NAME_HEADER, UPLOAD_PATH, download_path};
use treff_shared::{ApiError, Attachment, AttachmentId, ErrorCode, HttpToken};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, File, Headers, ProgressEvent, RequestCache, RequestInit, Response, XmlHttpRequest,
};

/// Why a request to `/api` did not succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// The server answered with a refusal.
    Refused(ErrorCode),
    /// No usable answer: network trouble, an abort, or a response this client does not understand.
    NoAnswer,
}

fn bearer(token: &HttpToken) -> String {
    format!("Bearer {}", token.0)
}

/// Reads a refusal: the `ApiError` body when there is one, else what the status means by the API's
/// conventions (a proxy in front of the server may answer 413 or 404 with a body of its own).
fn refusal(status: u16, body: &str) -> ApiFailure {
    if let Some(error) = crate::json::decode::<ApiError>(body) {
        return ApiFailure::Refused(error.code);
    }
    match status {
        401 => ApiFailure::Refused(ErrorCode::Unauthorized),
        404 => ApiFailure::Refused(ErrorCode::NotFound),
        413 => ApiFailure::Refused(ErrorCode::FileTooLarge),
        400 | 411 => ApiFailure::Refused(ErrorCode::BadUpload),
        _ => ApiFailure::NoAnswer,
    }
}

/// A running upload. Dropping it detaches its handlers and aborts the request if it still runs.
pub struct Upload {
    xhr: XmlHttpRequest,
    finished: Cell<Option<oneshot::Receiver<()>>>,
    // Kept alive as long as the request may call them; detached in `Drop`.
    _on_progress: Closure<dyn FnMut(ProgressEvent)>,
    _on_end: Closure<dyn FnMut()>,
}

impl Upload {
    /// Starts uploading `file`; `on_progress(sent, total)` follows the bytes on the wire.
    pub fn start(
        token: &HttpToken,
        file: &File,
        on_progress: impl Fn(u64, u64) + 'static,
    ) -> Result<Self, JsValue> {
        let xhr = XmlHttpRequest::new()?;
        xhr.open_with_async("POST", UPLOAD_PATH, true)?;
        xhr.set_request_header("Authorization", &bearer(token))?;
        // Percent-encoded, so any name travels as ASCII; the server decodes and sanitises it.
        let name: String = js_sys::encode_uri_component(&file.name()).into();
        xhr.set_request_header(FILE_NAME_HEADER, &name)?;
        let content_type = file.type_();
        xhr.set_request_header(
            "Content-Type",
            if content_type.is_empty() {
                "application/octet-stream"
            } else {
                &content_type
            },
        )?;

        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() {
                // Byte counts, whole numbers in the event's doubles.
                on_progress(e.loaded() as u64, e.total() as u64);
            }
        });
        xhr.upload()?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));

        // `loadend` follows every ending: success, HTTP error, network error, abort, timeout.
        let (tx, rx) = oneshot::channel();
        let tx = RefCell::new(Some(tx));
        let on_end = Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.borrow_mut().take() {
                // The receiver is gone only if the upload was dropped; nothing waits then.
                let _ = tx.send(());
            }
        });
        xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));

        // The browser sets Content-Length from the file, as the server requires.
        xhr.send_with_opt_blob(Some(file))?;
        Ok(Self {
            xhr,
            finished: Cell::new(Some(rx)),
            _on_progress: on_progress,
            _on_end: on_end,
        })
    }

    /// Stops the upload; [`Upload::outcome`] then reports [`ApiFailure::NoAnswer`].
    pub fn abort(&self) {
        // Aborting a finished request does nothing; there is no error to act on.
        let _ = self.xhr.abort();
    }

    /// Waits for the end of the upload and reads the server's answer. Call it once.
    pub async fn outcome(&self) -> Result<Attachment, ApiFailure> {
        if let Some(finished) = self.finished.take() {
            // A dropped sender means the handler is gone with the upload: nothing more to wait for.
            let _ = finished.await;
        }
        let status = self.xhr.status().unwrap_or(0);
        let body = self.xhr.response_text().ok().flatten().unwrap_or_default();
        match status {
            201 => crate::json::decode::<Attachment>(&body).ok_or(ApiFailure::NoAnswer),
            // Status 0: no HTTP answer at all (network error or abort).
            0 => Err(ApiFailure::NoAnswer),
            _ => Err(refusal(status, &body)),
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.xhr.set_onloadend(None);
        if let Ok(upload) = self.xhr.upload() {
            upload.set_onprogress(None);
        }
        self.abort();
    }
}

/// Downloads an attachment this participant may see, as a `Blob` to hand to the person.
pub async fn download(token: &HttpToken, id: &AttachmentId) -> Result<Blob, ApiFailure> {
    let response = fetch(token, id).await.map_err(|e| {
        web_sys::console::warn_2(&"treff: attachment download failed".into(), &e);
        ApiFailure::NoAnswer
    })?;
    if response.ok() {
        let blob = response.blob().map_err(|_| ApiFailure::NoAnswer)?;
        let blob = JsFuture::from(blob)
            .await
            .map_err(|_| ApiFailure::NoAnswer)?;
        return blob.dyn_into::<Blob>().map_err(|_| ApiFailure::NoAnswer);
    }
    let body = match response.text() {
        Ok(text) => JsFuture::from(text)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Err(refusal(response.status(), &body))
}

async fn fetch(token: &HttpToken, id: &AttachmentId) -> Result<Response, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let headers = Headers::new()?;
    headers.set("Authorization", &bearer(token))?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    // A participant's file must not linger in the browser's HTTP cache after the meeting.
    init.set_cache(RequestCache::NoStore);
    let response =
        JsFuture::from(window.fetch_with_str_and_init(&download_path(id), &init)).await?;
    response.dyn_into::<Response>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_read_from_the_body_or_the_status() {
        let body = r#"{"code":"storage_full","message":"conference storage full"}"#;
        assert_eq!(
            refusal(413, body),
            ApiFailure::Refused(ErrorCode::StorageFull)
        );
        assert_eq!(
            refusal(413, "<html>proxy</html>"),
            ApiFailure::Refused(ErrorCode::FileTooLarge)
        );
        assert_eq!(refusal(411, ""), ApiFailure::Refused(ErrorCode::BadUpload));
        assert_eq!(refusal(502, ""), ApiFailure::NoAnswer);
    }
}
