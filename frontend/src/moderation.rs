//! Moderation on the client: the reactive state behind the moderator's controls, the lobby and the
//! access settings, and the moderator link.
//!
//! The moderator key lives only in the URL fragment (`/m/<id>#mod=<key>`): browsers never send the
//! fragment to a server, so it is in no request line and no log. It is read from `location.hash`
//! and travels only inside the `Join` message over the WebSocket.

use std::collections::HashSet;

use leptos::prelude::*;
use treff_shared::{ModeratorAction, ParticipantId, ParticipantInfo, RoomSettings};

/// The fragment key of the moderator link.
const KEY_PREFIX: &str = "mod=";

/// The reactive moderation state of a room, all `Copy` signal handles.
#[derive(Clone, Copy)]
pub struct ModerationUi {
    /// Who is a moderator (ourselves included).
    pub moderators: RwSignal<HashSet<ParticipantId>>,
    /// Lock, lobby and password of the room, as everyone sees them.
    pub settings: RwSignal<RoomSettings>,
    /// Newcomers waiting in the lobby (moderators only), in order of knocking.
    pub knocking: RwSignal<Vec<ParticipantInfo>>,
    /// A moderator asked us to switch the microphone on (until we answer or dismiss it).
    pub unmute_asked: RwSignal<bool>,
    /// A moderator switched our microphone (`.0`) or camera (`.1`) off; shown until dismissed.
    pub turned_off: RwSignal<Option<(bool, bool)>>,
}

impl Default for ModerationUi {
    fn default() -> Self {
        Self {
            moderators: RwSignal::new(HashSet::new()),
            settings: RwSignal::new(RoomSettings::default()),
            knocking: RwSignal::new(Vec::new()),
            unmute_asked: RwSignal::new(false),
            turned_off: RwSignal::new(None),
        }
    }
}

impl ModerationUi {
    /// Whether `id` is a moderator (tracks the signal).
    pub fn is_moderator(&self, id: ParticipantId) -> bool {
        self.moderators.with(|m| m.contains(&id))
    }
}

/// What the moderation controls need, provided as context by the room.
#[derive(Clone, Copy)]
pub struct ModerationCtx {
    /// Our own id once joined.
    pub me: RwSignal<Option<ParticipantId>>,
    /// The moderation state.
    pub ui: ModerationUi,
    /// Sends a moderator action.
    pub moderate: Callback<ModeratorAction>,
    /// The person accepts a moderator's request to unmute (switches their own microphone on).
    pub unmute: Callback<()>,
}

impl ModerationCtx {
    /// Whether we are a moderator (tracks the signals).
    pub fn am_moderator(&self) -> bool {
        self.me.get().is_some_and(|me| self.ui.is_moderator(me))
    }
}

/// The moderation context of the room this component is in.
pub fn moderation_ctx() -> Option<ModerationCtx> {
    use_context::<ModerationCtx>()
}

/// The moderator key from a URL fragment (`#mod=<key>`, possibly among other `&`-separated parts).
pub fn key_from_fragment(hash: &str) -> Option<String> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix(KEY_PREFIX))
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
}

/// The moderator key of the page's own URL, if it is a moderator link.
pub fn key_from_location() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    key_from_fragment(&hash)
}

/// The fragment that makes a meeting link a moderator link.
pub fn moderator_fragment(key: &str) -> String {
    format!("#{KEY_PREFIX}{key}")
}

/// The moderator fragment of a pasted link (`…#mod=<key>`), or nothing for a plain link.
pub fn moderator_fragment_of(link: &str) -> String {
    link.split_once('#')
        .and_then(|(_, fragment)| key_from_fragment(fragment.trim()))
        .map(|key| moderator_fragment(&key))
        .unwrap_or_default()
}

/// The page's link without its fragment: the participant link of the meeting.
pub fn participant_link() -> Option<String> {
    let location = web_sys::window()?.location();
    Some(format!(
        "{}{}",
        location.origin().ok()?,
        location.pathname().ok()?
    ))
}

/// The page's full link (the moderator link when opened as one).
pub fn moderator_link() -> Option<String> {
    let key = key_from_location()?;
    Some(format!(
        "{}{}",
        participant_link()?,
        moderator_fragment(&key)
    ))
}

/// Copies text to the clipboard; resolves whether it worked.
pub async fn copy_to_clipboard(text: &str) -> bool {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = wasm_bindgen::JsValue::from(window.navigator());
    let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into()) else {
        return false;
    };
    let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into()) else {
        return false;
    };
    let Some(write) = write.dyn_ref::<js_sys::Function>() else {
        return false;
    };
    let Ok(promise) = write.call1(&clipboard, &text.into()) else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_read_from_the_fragment() {
        assert_eq!(key_from_fragment("#mod=abc_-1"), Some("abc_-1".to_owned()));
        assert_eq!(key_from_fragment("#x=1&mod=k"), Some("k".to_owned()));
        assert_eq!(key_from_fragment("#mod="), None);
        assert_eq!(key_from_fragment(""), None);
        assert_eq!(key_from_fragment("#other"), None);
    }

    #[test]
    fn a_pasted_moderator_link_keeps_its_key() {
        assert_eq!(moderator_fragment_of("https://x/m/abc#mod=k1"), "#mod=k1");
        assert_eq!(moderator_fragment_of("https://x/m/abc"), "");
        assert_eq!(moderator_fragment_of("abc#mod="), "");
    }

    #[test]
    fn the_fragment_round_trips() {
        assert_eq!(
            key_from_fragment(&moderator_fragment("key")),
            Some("key".to_owned())
        );
    }
}
