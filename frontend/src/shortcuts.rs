//! The room's keyboard shortcuts: which key does what, and the one window listener that reads them.
//!
//! A shortcut never fires while the person types (in a text field, a select or anything editable),
//! with Ctrl, Alt or Meta held (those combinations belong to the browser and the system), for a key
//! held down (auto-repeat would flip a toggle back and forth), or while an input method composes.
//! Letters count in either case, so Caps Lock does not switch them off; `?` is whatever key the
//! layout needs for it (Shift+ß on German keyboards, Shift+/ on US ones).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Microphone on/off.
    Mic,
    /// Camera on/off.
    Cam,
    /// Raise or lower the hand.
    Hand,
    /// Open or close the chat.
    Chat,
    /// Open or close the participants panel.
    Participants,
    /// Show the list of shortcuts.
    Help,
}

impl Shortcut {
    /// All of them, in the order the help dialog lists them.
    pub const ALL: [Shortcut; 6] = [
        Shortcut::Mic,
        Shortcut::Cam,
        Shortcut::Hand,
        Shortcut::Chat,
        Shortcut::Participants,
        Shortcut::Help,
    ];

    /// The key as the help dialog shows it.
    pub fn key(self) -> &'static str {
        match self {
            Shortcut::Mic => "M",
            Shortcut::Cam => "V",
            Shortcut::Hand => "R",
            Shortcut::Chat => "C",
            Shortcut::Participants => "P",
            Shortcut::Help => "?",
        }
    }

    /// The shortcut for a `KeyboardEvent.key`, if it is one.
    pub fn from_key(key: &str) -> Option<Shortcut> {
        Self::ALL
            .into_iter()
            .find(|s| s.key().eq_ignore_ascii_case(key))
    }
}

/// Whether a key press is meant for the element that has the focus rather than for the room.
fn is_typing_into(target: Option<Element>) -> bool {
    let Some(element) = target else {
        return false;
    };
    if matches!(
        element.tag_name().to_ascii_lowercase().as_str(),
        "input" | "textarea" | "select"
    ) {
        return true;
    }
    element
        .dyn_into::<HtmlElement>()
        .is_ok_and(|e| e.is_content_editable())
}

/// The shortcut a key press stands for, or `None` when it must be left alone (see the module docs).
fn shortcut_of(ev: &KeyboardEvent) -> Option<Shortcut> {
    if ev.ctrl_key() || ev.alt_key() || ev.meta_key() || ev.repeat() || ev.is_composing() {
        return None;
    }
    if ev.default_prevented() {
        return None;
    }
    let target = ev.target().and_then(|t| t.dyn_into::<Element>().ok());
    if is_typing_into(target) {
        return None;
    }
    Shortcut::from_key(&ev.key())
}

/// Listens for the shortcuts on the window while the calling component lives; `enabled` is asked on
/// every key press (no shortcut while a modal dialog is open, for instance).
pub fn listen(enabled: impl Fn() -> bool + 'static, on: impl Fn(Shortcut) + 'static) {
    let handle = window_event_listener(ev::keydown, move |ev: KeyboardEvent| {
        if !enabled() {
            return;
        }
        if let Some(shortcut) = shortcut_of(&ev) {
            // The key did its work here; it must not also scroll the page or type somewhere.
            ev.prevent_default();
            on(shortcut);
        }
    });
    on_cleanup(move || handle.remove());
}

#[cfg(test)]
mod tests {
    use super::Shortcut;

    #[test]
    fn letters_count_in_either_case() {
        assert_eq!(Shortcut::from_key("m"), Some(Shortcut::Mic));
        assert_eq!(Shortcut::from_key("M"), Some(Shortcut::Mic));
        assert_eq!(Shortcut::from_key("v"), Some(Shortcut::Cam));
        assert_eq!(Shortcut::from_key("r"), Some(Shortcut::Hand));
        assert_eq!(Shortcut::from_key("c"), Some(Shortcut::Chat));
        assert_eq!(Shortcut::from_key("P"), Some(Shortcut::Participants));
        assert_eq!(Shortcut::from_key("?"), Some(Shortcut::Help));
    }

    #[test]
    fn other_keys_are_no_shortcuts() {
        for key in ["x", "Enter", " ", "Escape", "ß", "/", "Meta", "mm"] {
            assert_eq!(Shortcut::from_key(key), None, "{key:?}");
        }
    }

    #[test]
    fn every_shortcut_has_its_own_key() {
        for s in Shortcut::ALL {
            assert_eq!(Shortcut::from_key(s.key()), Some(s));
        }
    }
}
