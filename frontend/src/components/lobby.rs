//! The lobby as moderators see it: everyone knocking, with "admit" and "deny", at the top of the
//! participants panel; and the badge on the moderator menu that says someone is waiting.

use leptos::prelude::*;
use treff_shared::{ModeratorAction, ParticipantInfo};

use crate::i18n::{ModerationTexts, mod_texts};
use crate::moderation::moderation_ctx;

/// The knocking newcomers; shows only to moderators, and only while someone knocks.
#[component]
pub fn LobbySection() -> impl IntoView {
    let mt = mod_texts();
    let Some(ctx) = moderation_ctx() else {
        return ().into_any();
    };
    let visible = move || ctx.am_moderator() && ctx.ui.knocking.with(|k| !k.is_empty());
    view! {
        <Show when=visible>
            <section class="lobby" aria-labelledby="lobby-title" data-testid="lobby">
                <h3 id="lobby-title">{mt.lobby_title}</h3>
                <ul class="knock-list">
                    <For
                        each=move || ctx.ui.knocking.get()
                        key=|p: &ParticipantInfo| p.id
                        children=move |p: ParticipantInfo| {
                            let id = p.id;
                            let label = ModerationTexts::fill(mt.knock_of, &p.name);
                            view! {
                                <li
                                    class="knock"
                                    data-testid="knock"
                                    data-participant-id=id.0.to_string()
                                >
                                    <span class="participant-name">{p.name.clone()}</span>
                                    <div class="knock-buttons" role="group" aria-label=label>
                                        <button
                                            type="button"
                                            class="primary"
                                            data-testid="admit"
                                            on:click=move |_| {
                                                ctx.moderate.run(ModeratorAction::Admit { id })
                                            }
                                        >
                                            {mt.admit}
                                        </button>
                                        <button
                                            type="button"
                                            data-testid="deny"
                                            on:click=move |_| ctx.moderate.run(ModeratorAction::Deny { id })
                                        >
                                            {mt.deny}
                                        </button>
                                    </div>
                                </li>
                            }
                        }
                    />
                </ul>
            </section>
        </Show>
    }
    .into_any()
}

/// The "n waiting" badge (moderators only, while someone knocks). A live region, so a screen
/// reader hears that someone knocks.
#[component]
pub fn KnockBadge() -> impl IntoView {
    let mt = mod_texts();
    let Some(ctx) = moderation_ctx() else {
        return ().into_any();
    };
    let count = move || {
        if ctx.am_moderator() {
            ctx.ui.knocking.with(Vec::len)
        } else {
            0
        }
    };
    view! {
        <span class="knock-badge-live" role="status">
            <Show when=move || { count() > 0 }>
                <span class="badge" data-testid="knock-badge">
                    {move || ModerationTexts::fill(mt.lobby_waiting, &count().to_string())}
                </span>
            </Show>
        </span>
    }
    .into_any()
}
