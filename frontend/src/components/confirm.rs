//! An inline confirmation: a question with "confirm" and "cancel", for moderator actions that
//! cannot be undone (remove, end for all). It takes the focus when it appears, so the keyboard
//! lands on the choice; Escape cancels.

use leptos::html;
use leptos::prelude::*;

use crate::i18n::mod_texts;

/// The confirmation box.
#[component]
pub fn Confirm(
    /// The question.
    #[prop(into)]
    question: String,
    /// Called when confirmed.
    on_confirm: Callback<()>,
    /// Called when cancelled.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let mt = mod_texts();
    let cancel_ref = NodeRef::<html::Button>::new();
    // The safe choice gets the focus.
    Effect::new(move |_| {
        if let Some(button) = cancel_ref.get() {
            let _ = button.focus();
        }
    });
    view! {
        <div
            class="confirm"
            role="alertdialog"
            aria-label=question.clone()
            data-testid="confirm-box"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    on_cancel.run(());
                }
            }
        >
            <p>{question.clone()}</p>
            <div class="confirm-buttons">
                <button
                    type="button"
                    class="danger"
                    data-testid="confirm"
                    on:click=move |_| on_confirm.run(())
                >
                    {mt.confirm}
                </button>
                <button
                    type="button"
                    node_ref=cancel_ref
                    data-testid="cancel"
                    on:click=move |_| on_cancel.run(())
                >
                    {mt.cancel}
                </button>
            </div>
        </div>
    }
}
