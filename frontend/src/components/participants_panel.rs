//! The participants panel beside the tiles: everyone in the meeting with microphone, camera and hand
//! state; raised hands first, in the order they went up, each with its place in the queue.

use leptos::prelude::*;

use crate::components::lobby::LobbySection;
use crate::components::participant_row::ParticipantRow;
use crate::components::side_panel::SidePanel;
use crate::gestures::{RosterRow, roster};
use crate::i18n::texts;
use crate::session::RoomUi;

/// The panel's element id.
pub const PANEL_ID: &str = "participants-panel";

/// Its toggle's element id.
pub const TOGGLE_ID: &str = "participants-toggle";

/// The participants panel.
#[component]
pub fn ParticipantsPanel(
    /// The room: who is there, and whether the panel is open.
    room: RoomUi,
) -> impl IntoView {
    let t = texts();
    let title =
        Signal::derive(move || format!("{} ({})", t.participants, room.members.with(Vec::len)));
    view! {
        <SidePanel
            id=PANEL_ID
            toggle_id=TOGGLE_ID
            test_id="participants-panel"
            title
            close_label=t.participants_close
            open=room.participants_open
            on_close=Callback::new(move |()| room.participants_open.set(false))
            focus_title_on_open=true
        >
            <LobbySection />
            <ol class="participant-list">
                <For
                    each=move || room.members.with(|ms| roster(ms))
                    key=|row: &RosterRow| row.clone()
                    children=move |row: RosterRow| {
                        let is_self = room.me.get_untracked() == Some(row.member.id);
                        view! { <ParticipantRow row is_self /> }
                    }
                />
            </ol>
        </SidePanel>
    }
}
