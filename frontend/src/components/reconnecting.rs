//! The line over the room while the signalling socket is being resumed, with the button that gives
//! up (see `session::reconnect`).

use leptos::prelude::*;

use crate::i18n::{ModerationTexts, texts};
use crate::session::RoomUi;

/// "Reconnecting (try n) …" and "Give up", while the session resumes.
#[component]
pub fn Reconnecting(
    /// The room.
    room: RoomUi,
    /// Stops resuming and leaves.
    on_give_up: Callback<()>,
) -> impl IntoView {
    let t = texts();
    view! {
        {move || {
            room.reconnecting
                .get()
                .map(|tries| {
                    view! {
                        <div class="banner prompt" role="status" data-testid="reconnecting">
                            <span>{ModerationTexts::fill(t.reconnecting, &tries.to_string())}</span>
                            <button
                                type="button"
                                data-testid="reconnect-give-up"
                                on:click=move |_| on_give_up.run(())
                            >
                                {t.reconnect_give_up}
                            </button>
                        </div>
                    }
                })
        }}
    }
}
