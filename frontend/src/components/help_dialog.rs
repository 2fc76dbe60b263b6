//! The keyboard-shortcut help: a modal `<dialog>` listing every shortcut of the room.
//!
//! `showModal` makes the rest of the page inert and puts the focus on the close button; Escape and
//! the close button close it natively, and the browser gives the focus back to where it was. The
//! `open` signal follows the dialog's `close` event, so it stays right however the dialog closed.

use leptos::html;
use leptos::prelude::*;

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
    Effect::new(move |_| {
        let wanted = open.get();
        let Some(dialog) = dialog_ref.get() else {
            return;
        };
        if wanted && !dialog.open() {
            if let Err(e) = dialog.show_modal() {
                web_sys::console::error_2(&"treff: cannot open the help dialog".into(), &e);
                open.set(false);
            }
        } else if !wanted && dialog.open() {
            dialog.close();
        }
    });

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
