//! The chat button of the room's control bar: opens and closes the chat panel, and carries the count
//! of unread messages while the panel is closed.

use leptos::prelude::*;

use crate::components::icons::ChatIcon;
use crate::i18n::texts;

/// The toggle's element id: the panel names it in `aria-controls`' counterpart and gives it the focus
/// back when it closes.
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
    let label = move || match unread.get() {
        0 => t.chat.to_owned(),
        n => format!("{} ({})", t.chat, t.unread(n)),
    };
    view! {
        <button
            type="button"
            id=TOGGLE_ID
            class="chat-toggle"
            class:on=move || open.get()
            data-testid="chat-toggle"
            aria-label=label
            aria-controls="chat-panel"
            aria-expanded=move || if open.get() { "true" } else { "false" }
            on:click=move |_| on_toggle.run(())
        >
            <ChatIcon />
            <span class="toggle-label">{t.chat}</span>
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
        </button>
    }
}
