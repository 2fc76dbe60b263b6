//! The moderator menu in the control bar (moderators only): mute everyone, lock, lobby, meeting
//! password, copying the links, and ending the meeting for all (after a confirmation).
//!
//! Like the reactions menu it is a native popover: the browser opens and closes it, closes it on
//! Escape, and puts its controls next in the tab order after its button.

use leptos::prelude::*;
use treff_shared::{ModeratorAction, RecordingAction, RoomSettings};

use crate::components::confirm::Confirm;
use crate::components::copy_links::CopyLinks;
use crate::components::lobby::KnockBadge;
use crate::i18n::{mod_texts, rec_texts};
use crate::moderation::moderation_ctx;
use crate::recording::recording_ctx;

/// The menu's element id.
const MENU_ID: &str = "moderator-menu";

/// The moderator button with its menu.
#[component]
pub fn ModeratorMenu() -> impl IntoView {
    let mt = mod_texts();
    let rt = rec_texts();
    let Some(ctx) = moderation_ctx() else {
        return ().into_any();
    };
    let recording = recording_ctx();
    let no_recording = move || recording.is_some_and(|r| r.ui.state.with(Option::is_none));
    let propose = move |_| {
        if let Some(r) = recording {
            r.act.run(RecordingAction::Propose);
        }
    };
    let settings = ctx.ui.settings;
    let act = move |action: ModeratorAction| ctx.moderate.run(action);
    let password = RwSignal::new(String::new());
    let confirming_end = RwSignal::new(false);
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = password.get_untracked();
        if !value.is_empty() {
            act(ModeratorAction::SetPassword {
                password: Some(value),
            });
            password.set(String::new());
        }
    };
    // A setting's switch: pressed while it is on; its label says what a click does.
    let toggle = move |test_id: &'static str,
                       get: fn(&RoomSettings) -> bool,
                       set: fn(bool) -> ModeratorAction,
                       (label_on, label_off): (&'static str, &'static str)| {
        let on = move || settings.with(get);
        view! {
            <button
                type="button"
                data-testid=test_id
                aria-pressed=move || on().to_string()
                on:click=move |_| act(set(!settings.with_untracked(get)))
            >
                {move || if on() { label_on } else { label_off }}
            </button>
        }
    };
    view! {
        <Show when=move || ctx.am_moderator()>
            <button
                type="button"
                class="control-button moderator-button"
                data-testid="moderator-menu"
                popovertarget=MENU_ID
            >
                <span class="toggle-label">{mt.moderator_menu}</span>
                <KnockBadge />
            </button>
            <div
                id=MENU_ID
                class="moderator-menu"
                popover="auto"
                role="group"
                aria-label=mt.moderator_menu
                data-testid="moderator-menu-panel"
            >
                <button type="button" data-testid="mute-all" on:click=move |_| act(ModeratorAction::MuteAll)>
                    {mt.mute_all}
                </button>
                <Show when=no_recording>
                    <button type="button" data-testid="recording-propose" on:click=propose>
                        {rt.propose}
                    </button>
                </Show>
                {toggle("lock-toggle", |s| s.locked, |locked| ModeratorAction::SetLock { locked }, (mt.unlock, mt.lock))}
                {toggle("lobby-toggle", |s| s.lobby, |enabled| ModeratorAction::SetLobby { enabled }, (mt.lobby_off, mt.lobby_on))}
                <form class="password-form" on:submit=set_password>
                    <label for="meeting-password">{mt.meeting_password}</label>
                    <input
                        id="meeting-password"
                        data-testid="meeting-password"
                        type="password"
                        autocomplete="new-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <button type="submit" data-testid="set-password">
                        {mt.set_password}
                    </button>
                    <Show when=move || settings.with(|s| s.password)>
                        <button
                            type="button"
                            data-testid="clear-password"
                            on:click=move |_| act(ModeratorAction::SetPassword { password: None })
                        >
                            {mt.clear_password}
                        </button>
                    </Show>
                </form>
                <CopyLinks />
                <button
                    type="button"
                    class="danger"
                    data-testid="end-for-all"
                    on:click=move |_| confirming_end.set(true)
                >
                    {mt.end_for_all}
                </button>
                <Show when=move || confirming_end.get()>
                    <Confirm
                        question=mt.end_for_all_confirm
                        on_confirm=Callback::new(move |()| {
                            confirming_end.set(false);
                            act(ModeratorAction::EndForAll);
                        })
                        on_cancel=Callback::new(move |()| confirming_end.set(false))
                    />
                </Show>
            </div>
        </Show>
    }
    .into_any()
}
