//! JSON for the wire (WebSocket messages, `/api` bodies) through the browser's own `JSON.parse` and
//! `JSON.stringify`, with serde-wasm-bindgen between those JS values and our serde types.
//!
//! Why not serde_json: the browser already has a JSON parser and printer, and every participant
//! downloads the wasm; compiling a second one in made the bundle larger for no gain. The serde
//! derives of `treff_shared` stay the one definition of the wire format; only the text step moved.
//!
//! The JS values are the JSON data model (`Serializer::json_compatible`: maps as objects, `None` as
//! `null`, integers as numbers), so the text is the one serde_json would write. One difference at the
//! edge: integers travel as JS numbers, so a `u64` above 2^53 does not decode; every integer in the
//! protocol (ids, counts, byte sizes, millisecond times) is far below that.
//!
//! The unit tests run on the host, where there is no browser: there the same two functions use
//! serde_json, which is a host-only dependency and never part of the wasm.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes a JSON text, or `None` when it is not JSON or not a `T`.
#[cfg(target_arch = "wasm32")]
pub fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Encodes a value as JSON text; the error says why (it cannot happen for the protocol's types).
#[cfg(target_arch = "wasm32")]
pub fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())?;
    js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| "JSON.stringify failed".to_owned())
}

/// Decodes a JSON text, or `None` when it is not JSON or not a `T` (host: serde_json, for tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// Encodes a value as JSON text (host: serde_json, for tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}
