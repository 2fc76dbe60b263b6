//! A moderator's actions on one participant (in their row of the participants panel), and the
//! "moderator" badge. There is deliberately no action that switches anyone's microphone or camera
//! on: a moderator can only ask ("ask to unmute"), and the participant decides.

use leptos::prelude::*;
use treff_shared::{ModeratorAction, ParticipantId};

use crate::components::confirm::Confirm;
use crate::i18n::{ModerationTexts, mod_texts};
use crate::moderation::moderation_ctx;

/// The "moderator" badge, shown while `id` is a moderator.
#[component]
pub fn ModeratorBadge(
    /// Whose.
    id: ParticipantId,
) -> impl IntoView {
    let mt = mod_texts();
    let is_moderator = move || moderation_ctx().is_some_and(|c| c.ui.is_moderator(id));
    view! {
        <Show when=is_moderator>
            <span class="role-badge" data-testid="moderator-badge">
                {mt.moderator}
            </span>
        </Show>
    }
}

/// Which removal waits for confirmation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    Remove,
    Ban,
}

/// The actions for one other participant; shows only to moderators.
#[component]
pub fn ParticipantActions(
    /// Whom they act on.
    id: ParticipantId,
    /// Their name (for the labels).
    name: String,
    /// Their microphone is on.
    mic: bool,
    /// Their camera is on.
    cam: bool,
    /// It is us (no actions on ourselves).
    is_self: bool,
) -> impl IntoView {
    let mt = mod_texts();
    let Some(ctx) = moderation_ctx() else {
        return ().into_any();
    };
    if is_self {
        return ().into_any();
    }
    let pending = RwSignal::new(None::<Pending>);
    let act = move |action: ModeratorAction| ctx.moderate.run(action);
    let name = StoredValue::new(name);
    let question = move |p: Pending| {
        let pattern = match p {
            Pending::Remove => mt.remove_confirm,
            Pending::Ban => mt.ban_confirm,
        };
        name.with_value(|n| ModerationTexts::fill(pattern, n))
    };
    let button = move |test_id: &'static str, label: &'static str, action: ModeratorAction| {
        view! {
            <button
                type="button"
                class="action-button"
                data-testid=test_id
                on:click=move |_| act(action.clone())
            >
                {label}
            </button>
        }
    };
    let is_moderator = move || ctx.ui.is_moderator(id);
    view! {
        <Show when=move || ctx.am_moderator()>
            <div
                class="participant-actions"
                role="group"
                aria-label=name.with_value(|n| ModerationTexts::fill(mt.actions_for, n))
                data-testid="participant-actions"
            >
                {mic.then(|| button("action-mute", mt.action_mute, ModeratorAction::Mute { id }))}
                {cam
                    .then(|| {
                        button("action-stop-video", mt.action_stop_video, ModeratorAction::StopVideo { id })
                    })}
                {(!mic)
                    .then(|| {
                        button("action-ask-unmute", mt.action_ask_unmute, ModeratorAction::AskToUnmute { id })
                    })}
                <Show when=move || !is_moderator()>
                    {button(
                        "action-make-moderator",
                        mt.action_make_moderator,
                        ModeratorAction::MakeModerator { id },
                    )}
                </Show>
                {[
                    ("action-remove", mt.action_remove, Pending::Remove),
                    ("action-ban", mt.action_ban, Pending::Ban),
                ]
                    .map(|(test_id, label, p)| {
                        view! {
                            <button
                                type="button"
                                class="action-button danger"
                                data-testid=test_id
                                on:click=move |_| pending.set(Some(p))
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
                {move || {
                    pending
                        .get()
                        .map(|p| {
                            view! {
                                <Confirm
                                    question=question(p)
                                    on_confirm=Callback::new(move |()| {
                                        pending.set(None);
                                        act(ModeratorAction::Remove {
                                            id,
                                            ban: p == Pending::Ban,
                                        });
                                    })
                                    on_cancel=Callback::new(move |()| pending.set(None))
                                />
                            }
                        })
                }}
            </div>
        </Show>
    }
    .into_any()
}
