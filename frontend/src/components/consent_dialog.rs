//! The question "do you want to be recorded?": a modal `<dialog>` that opens for everyone when a
//! recording is proposed, and for a newcomer who joins while one exists.
//!
//! Only the person's own click answers. Closing it (Escape, "decide later") leaves them unanswered,
//! which counts as no; the recording bar keeps the buttons to answer later.

use leptos::html;
use leptos::prelude::*;
use treff_shared::Consent;

use crate::components::modal::follow_open;
use crate::i18n::rec_texts;
use crate::recording::recording_ctx;

/// The consent question.
#[component]
pub fn ConsentDialog() -> impl IntoView {
    let rt = rec_texts();
    let Some(ctx) = recording_ctx() else {
        return ().into_any();
    };
    let asking = ctx.ui.asking;
    let dialog_ref = NodeRef::<html::Dialog>::new();
    follow_open(dialog_ref, asking, "consent question");
    let answer = move |consent: Consent| ctx.consent.run(consent);
    view! {
        <dialog
            node_ref=dialog_ref
            class="consent-dialog"
            data-testid="consent-dialog"
            aria-labelledby="consent-title"
            aria-describedby="consent-text"
            on:close=move |_| asking.set(false)
        >
            <h2 id="consent-title">{rt.question}</h2>
            <p id="consent-text">{rt.question_text}</p>
            <div class="consent-answers">
                <button type="button" class="primary" data-testid="consent-yes" on:click=move |_| answer(Consent::Yes)>
                    {rt.yes}
                </button>
                <button type="button" data-testid="consent-no" on:click=move |_| answer(Consent::No)>
                    {rt.no}
                </button>
                <form method="dialog">
                    <button type="submit" data-testid="consent-later">
                        {rt.later}
                    </button>
                </form>
            </div>
        </dialog>
    }
    .into_any()
}
