//! Treff's browser UI: a Leptos app rendered on the client, built to wasm by Trunk.
//!
//! Layout:
//! - [`app`]: the language context and the page for the path.
//! - [`i18n`]: every user-visible string, German and English.
//! - [`pages`]: one module per route (home, meeting, privacy, not found).
//! - [`components`]: the pieces of the meeting page (stages, pre-join, room, tile, toggles, chat,
//!   participants panel, reactions, help dialog, left view).
//! - [`session`]: the in-room controller that turns server messages into UI state.
//! - [`chat`]: the chat's state and plain-text forms. [`attachments`]: uploads and downloads (`/api`).
//! - [`gestures`]: raised hands (their queue) and reactions. [`shortcuts`]: the room's keyboard
//!   shortcuts.
//! - [`moderation`]: roles, lobby and room settings as the UI holds them, and the moderator link
//!   (its key only in the URL fragment). [`meetings_api`]: creating a meeting (`POST /api/meetings`).
//! - [`recording`]: the recording and everyone's consent as the UI holds them, and the recordings API.
//! - [`signalling`]: the WebSocket to `/ws`. [`peer`]: the RTCPeerConnection.
//! - [`json`]: wire JSON through the browser's `JSON`.
//! - [`media`]: getUserMedia and device lists. [`room_link`], [`name_store`], [`local_time`],
//!   [`save_file`]: small browser helpers.

mod app;
mod attachments;
mod backoff;
mod chat;
mod components;
mod gestures;
mod i18n;
mod json;
mod local_time;
mod media;
mod meetings_api;
mod moderation;
mod name_store;
mod pages;
mod peer;
mod recording;
mod room_link;
mod save_file;
mod session;
mod shortcuts;
mod signalling;
mod speaker;
mod stage;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
