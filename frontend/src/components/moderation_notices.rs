//! What moderation shows over the running room: the room's access state (locked, lobby, password)
//! for everyone, a moderator's request to unmute (non-modal: the person decides), and the notice
//! that a moderator switched a device off.

use leptos::prelude::*;

use crate::i18n::{mod_texts, texts};
use crate::moderation::moderation_ctx;

/// The room state indicators and the notices.
#[component]
pub fn ModerationNotices() -> impl IntoView {
    let t = texts();
    let mt = mod_texts();
    let Some(ctx) = moderation_ctx() else {
        return ().into_any();
    };
    let m = ctx.ui;
    let settings = m.settings;
    let turned_off_text = move || {
        m.turned_off.get().and_then(|(mic, cam)| match (mic, cam) {
            (true, true) => Some(mt.turned_off_both),
            (true, false) => Some(mt.turned_off_mic),
            (false, true) => Some(mt.turned_off_cam),
            (false, false) => None,
        })
    };
    view! {
        <ul class="room-state" aria-label=mt.state_label data-testid="room-state">
            <Show when=move || settings.with(|s| s.locked)>
                <li class="state-chip" data-testid="state-locked">
                    {mt.state_locked}
                </li>
            </Show>
            <Show when=move || settings.with(|s| s.lobby)>
                <li class="state-chip" data-testid="state-lobby">
                    {mt.state_lobby}
                </li>
            </Show>
            <Show when=move || settings.with(|s| s.password)>
                <li class="state-chip" data-testid="state-password">
                    {mt.state_password}
                </li>
            </Show>
        </ul>
        <Show when=move || m.unmute_asked.get()>
            <div class="banner prompt" role="status" data-testid="unmute-asked">
                <span>{mt.unmute_asked}</span>
                <button
                    type="button"
                    class="primary"
                    data-testid="unmute-accept"
                    on:click=move |_| ctx.unmute.run(())
                >
                    {mt.unmute_now}
                </button>
                <button
                    type="button"
                    data-testid="unmute-dismiss"
                    on:click=move |_| m.unmute_asked.set(false)
                >
                    {mt.not_now}
                </button>
            </div>
        </Show>
        {move || {
            turned_off_text()
                .map(|text| {
                    view! {
                        <div class="banner" role="alert" data-testid="turned-off">
                            <span>{text}</span>
                            <button type="button" on:click=move |_| m.turned_off.set(None)>
                                {t.dismiss}
                            </button>
                        </div>
                    }
                })
        }}
    }
    .into_any()
}
