//! JSON for the wire (WebSocket messages, `/api` bodies) through the browser's own `JSON.parse` and
//! `JSON.stringify`: serde-wasm-bindgen turns our serde types into JS values, and [`from_js`] (a
//! deserializer without error messages, see why there) turns parsed values back.
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

#[cfg(target_arch = "wasm32")]
mod from_js;

/// Decodes a JSON text, or `None` when it is not JSON or not a `T`.
#[cfg(target_arch = "wasm32")]
pub fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    from_js::from_value(value).ok()
}

/// Decodes a message of the internally tagged wire form `{"<tag>": "Name", ...fields}` into an enum
/// that this build derives externally tagged (`ServerMsg`, see its docs): the tag is moved out in
/// JS, `{"Name": {...fields}}`, or just `"Name"` for a unit variant, so serde reads the variant
/// first and decodes its fields straight from the JS object, without buffering them.
#[cfg(target_arch = "wasm32")]
pub fn decode_tagged<T: DeserializeOwned>(text: &str, tag: &str) -> Option<T> {
    use wasm_bindgen::{JsCast, JsValue};
    let object: js_sys::Object = js_sys::JSON::parse(text).ok()?.dyn_into().ok()?;
    let key = JsValue::from_str(tag);
    let name = js_sys::Reflect::get(&object, &key).ok()?;
    name.as_string()?;
    js_sys::Reflect::delete_property(&object, &key).ok()?;
    // Nothing but the tag: a unit variant, or a struct variant whose fields all have defaults.
    if js_sys::Object::keys(&object).length() == 0
        && let Ok(unit) = from_js::from_value(name.clone())
    {
        return Some(unit);
    }
    let outer = js_sys::Object::new();
    js_sys::Reflect::set(&outer, &name, &object).ok()?;
    from_js::from_value(outer.into()).ok()
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

/// Decodes an internally tagged message (host: the enum is derived internally tagged there, so this is
/// [`decode`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn decode_tagged<T: DeserializeOwned>(text: &str, _tag: &str) -> Option<T> {
    decode(text)
}

/// Encodes a value as JSON text (host: serde_json, for tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn encode<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| e.to_string())
}
