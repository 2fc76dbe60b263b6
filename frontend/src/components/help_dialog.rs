//! The keyboard-shortcut help: a modal `<dialog>` listing every shortcut of the room.
//!
//! A modal dialog (see [`follow_open`]): the focus starts on the close button, and the browser gives
//! it back to where it was when the dialog closes.

use leptos::html;
use leptos::prelude::*;

use crate::components::modal::follow_open;
use crate::i18n::texts;
use crate::shortcuts::Shortcut;

/// The help dialog.
#[component]
pub fn HelpDialog(
    /// The dialog is open: set it to open it; it is reset when the dialog closes.
    open: RwSignal<bool>,
) -> impl IntoView {
    let t = texts();
    let dialog_ref = NodeRef::<html::Dialog>::new();
    follow_open(dialog_ref, open, "help");

    let shortcuts = Shortcut::ALL.map(|s| {
        view! {
            <div class="shortcut">
                <dt>
                    <kbd>{s.key()}</kbd>
                </dt>
                <dd>{t.shortcut(s)}</dd>
            </div>
        }
    });
    view! {
        <dialog
            node_ref=dialog_ref
            class="help-dialog"
            data-testid="help-dialog"
            aria-labelledby="help-dialog-title"
            on:close=move |_| open.set(false)
        >
            <h2 id="help-dialog-title">{t.keyboard_shortcuts}</h2>
            <dl class="shortcut-list">{shortcuts.collect_view()}</dl>
            <p class="hint">{t.shortcuts_hint}</p>
            <form method="dialog">
                <button type="submit" class="primary" data-testid="help-close" autofocus=true>
                    {t.help_close}
                </button>
            </form>
        </dialog>
    }
}
