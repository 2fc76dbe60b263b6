//! Copying the meeting's links (moderators only): the participant link (without the fragment) to
//! share, and the moderator link (with the `#mod=` key) to keep or hand to a co-moderator.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::mod_texts;
use crate::moderation::{copy_to_clipboard, moderator_link, participant_link};

/// What the last copy did.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Copied {
    /// Copied.
    Done,
    /// The clipboard refused: the link is shown to copy by hand.
    Failed(String),
}

/// The two copy buttons and their feedback.
#[component]
pub fn CopyLinks() -> impl IntoView {
    let mt = mod_texts();
    let copied = RwSignal::new(None::<Copied>);
    let copy = move |link: Option<String>| {
        let Some(link) = link else {
            return;
        };
        spawn_local(async move {
            let ok = copy_to_clipboard(&link).await;
            let _ = copied.try_set(Some(if ok {
                Copied::Done
            } else {
                Copied::Failed(link)
            }));
        });
    };
    let has_moderator_link = moderator_link().is_some();
    view! {
        <button
            type="button"
            data-testid="copy-link"
            data-link=participant_link()
            on:click=move |_| copy(participant_link())
        >
            {mt.copy_link}
        </button>
        {has_moderator_link
            .then(|| {
                view! {
                    <button
                        type="button"
                        data-testid="copy-moderator-link"
                        on:click=move |_| copy(moderator_link())
                    >
                        {mt.copy_moderator_link}
                    </button>
                }
            })}
        <p class="copy-status" role="status" data-testid="copy-status">
            {move || match copied.get() {
                Some(Copied::Done) => mt.copied.to_owned(),
                Some(Copied::Failed(link)) => format!("{} {link}", mt.copy_failed),
                None => String::new(),
            }}
        </p>
    }
}
