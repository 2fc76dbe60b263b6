//! `/m/:room`: checks the meeting id in the URL, then hands over to [`MeetingStages`].

use leptos::prelude::*;
use treff_shared::RoomId;

use crate::components::stages::MeetingStages;
use crate::i18n::texts;

/// The meeting page; checks the id in the URL (`room`) first.
#[component]
pub fn Meeting(room: String) -> impl IntoView {
    let t = texts();
    match RoomId::parse(&room) {
        Ok(room) => view! { <MeetingStages room /> }.into_any(),
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
