//! Hands data the page already holds to the person as a file download: an object URL, a temporary
//! `<a download>` clicked once, the URL revoked afterwards.
//!
//! This is how both the chat transcript (made in the browser, never sent to the server) and a
//! downloaded attachment (fetched with the credential header, which a plain link cannot send) reach
//! the disk. Nothing is ever opened or rendered inline.

use std::time::Duration;

use leptos::prelude::set_timeout;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// How long an object URL outlives its click. The click only starts the download; revoking at once
/// can cancel it in some browsers, and keeping it longer only keeps the blob in memory.
const REVOKE_AFTER: Duration = Duration::from_secs(30);

/// Offers `blob` as a download named `file_name`.
pub fn save(blob: &Blob, file_name: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let url = Url::create_object_url_with_blob(blob)?;
    let link: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(file_name);
    // A detached link is enough for the click; it never enters the page.
    link.click();
    set_timeout(
        move || {
            // A failed revoke only keeps the blob until the page goes; nothing to do about it.
            let _ = Url::revoke_object_url(&url);
        },
        REVOKE_AFTER,
    );
    Ok(())
}

/// Offers `text` as a UTF-8 text file named `file_name`.
pub fn save_text(text: &str, file_name: &str) -> Result<(), JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    save(&blob, file_name)
}
