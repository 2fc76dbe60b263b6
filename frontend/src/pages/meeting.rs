//! `/m/:room`: checks the meeting id in the URL, then hands over to [`MeetingStages`].

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use treff_shared::RoomId;

use crate::components::stages::MeetingStages;
use crate::i18n::texts;

/// The meeting page; checks the id in the URL first.
#[component]
pub fn Meeting() -> impl IntoView {
    let t = texts();
    let params = use_params_map();
    move || match params.with(|p| p.get("room")).map(|r| RoomId::parse(&r)) {
        Some(Ok(room)) => view! { <MeetingStages room /> }.into_any(),
        _ => view! {
            <main class="page-card" data-testid="invalid-room">
                <h1>{t.invalid_room_title}</h1>
                <p>{t.invalid_room_text}</p>
                <a href="/">{t.back_home}</a>
            </main>
        }
        .into_any(),
    }
}
