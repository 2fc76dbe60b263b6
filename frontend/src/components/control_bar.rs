//! The room's control bar: microphone, camera, raise hand, reactions, chat, participants, the
//! shortcut help, and leaving. Every control is a labelled `<button>`, reachable with Tab.

use leptos::prelude::*;
use treff_shared::Reaction;

use crate::components::chat_toggle::ChatToggle;
use crate::components::hand_toggle::HandToggle;
use crate::components::icons::{KeyboardIcon, LeaveIcon, PeopleIcon, ShieldIcon};
use crate::components::media_toggle::MediaToggle;
use crate::components::moderator_menu::ModeratorMenu;
use crate::components::panel_toggle::PanelToggle;
use crate::components::participants_panel::{PANEL_ID, TOGGLE_ID};
use crate::components::reactions_menu::ReactionsMenu;
use crate::components::stage_controls::{ScreenToggle, ViewToggle};
use crate::i18n::{privacy_texts, texts};
use crate::media::Device;
use crate::session::RoomUi;

/// What the controls (and their keyboard shortcuts) do.
#[derive(Clone, Copy)]
pub struct ControlActions {
    /// Microphone on/off.
    pub toggle_mic: Callback<()>,
    /// Camera on/off.
    pub toggle_cam: Callback<()>,
    /// Share the screen or stop sharing it.
    pub toggle_screen: Callback<()>,
    /// Raise or lower the hand.
    pub toggle_hand: Callback<()>,
    /// Send a reaction.
    pub react: Callback<Reaction>,
    /// Open or close the chat.
    pub toggle_chat: Callback<()>,
    /// Open or close the participants panel.
    pub toggle_participants: Callback<()>,
    /// Show the shortcut help.
    pub help: Callback<()>,
    /// Show "My data".
    pub my_data: Callback<()>,
    /// Leave the meeting.
    pub leave: Callback<()>,
}

/// The control bar.
#[component]
pub fn ControlBar(
    /// The room's state the controls show.
    room: RoomUi,
    /// What they do.
    actions: ControlActions,
) -> impl IntoView {
    let t = texts();
    let pt = privacy_texts();
    let media_toggles = [
        (
            Device::Mic,
            room.mic,
            room.mic_busy,
            "toggle-mic",
            actions.toggle_mic,
        ),
        (
            Device::Cam,
            room.cam,
            room.cam_busy,
            "toggle-cam",
            actions.toggle_cam,
        ),
    ]
    .into_iter()
    .map(|(device, on, busy, test_id, on_toggle)| {
        view! { <MediaToggle device on busy test_id on_toggle /> }
    })
    .collect_view();
    let hand_raised = Signal::derive(move || room.own_member().is_some_and(|m| m.hand.is_some()));
    view! {
        <nav class="controls" aria-label=t.controls_label>
            {media_toggles}
            <ScreenToggle sharing=room.stage.sharing on_toggle=actions.toggle_screen />
            <ViewToggle view=room.stage.view />
            <HandToggle raised=hand_raised on_toggle=actions.toggle_hand />
            <ReactionsMenu on_react=actions.react />
            <ModeratorMenu />
            <ChatToggle open=room.chat.open unread=room.chat.unread on_toggle=actions.toggle_chat />
            <PanelToggle
                id=TOGGLE_ID
                controls=PANEL_ID
                test_id="participants-toggle"
                label=t.participants
                open=room.participants_open
                on_toggle=actions.toggle_participants
                icon=|| view! { <PeopleIcon /> }
            />
            <button
                type="button"
                class="control-button icon-only"
                data-testid="help-button"
                aria-label=t.keyboard_shortcuts
                aria-haspopup="dialog"
                title=t.keyboard_shortcuts
                on:click=move |_| actions.help.run(())
            >
                <KeyboardIcon />
            </button>
            <button
                type="button"
                class="control-button icon-only"
                data-testid="my-data-button"
                aria-label=pt.my_data
                aria-haspopup="dialog"
                title=pt.my_data
                on:click=move |_| actions.my_data.run(())
            >
                <ShieldIcon />
            </button>
            <button
                type="button"
                class="leave"
                data-testid="leave"
                on:click=move |_| actions.leave.run(())
            >
                <LeaveIcon />
                <span class="toggle-label">{t.leave}</span>
            </button>
        </nav>
    }
}
