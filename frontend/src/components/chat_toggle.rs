//! The chat button of the room's control bar: opens and closes the chat panel, and carries the count
//! of unread messages while the panel is closed.

use leptos::prelude::*;

use crate::components::chat_panel::PANEL_ID;
use crate::components::icons::ChatIcon;
use crate::components::panel_toggle::PanelToggle;
use crate::i18n::texts;

/// The toggle's element id, which the chat panel gives the focus back to when it closes.
pub const TOGGLE_ID: &str = "chat-toggle";

/// The chat toggle with its unread badge.
#[component]
pub fn ChatToggle(
    /// The panel is open.
    #[prop(into)]
    open: Signal<bool>,
    /// Messages of others that arrived while the panel was closed.
    #[prop(into)]
    unread: Signal<usize>,
    /// Called on every press.
    on_toggle: Callback<()>,
) -> impl IntoView {
    let t = texts();
    // The badge is only a picture of the number: the accessible name says it in words.
    let label = Signal::derive(move || match unread.get() {
        0 => t.chat.to_owned(),
        n => format!("{} ({})", t.chat, t.unread(n)),
    });
    view! {
        <PanelToggle
            id=TOGGLE_ID
            controls=PANEL_ID
            test_id="chat-toggle"
            label=t.chat
            aria_label=label
            open
            on_toggle
            icon=|| view! { <ChatIcon /> }
        >
            {move || {
                let n = unread.get();
                (n > 0)
                    .then(|| {
                        view! {
                            <span class="badge" data-testid="chat-unread" aria-hidden="true">
                                {n}
                            </span>
                        }
                    })
            }}
        </PanelToggle>
    }
}
