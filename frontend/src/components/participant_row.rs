//! One line of the participants panel: name, the hand with its place in the queue while it is up,
//! the answer to a recording while one exists, and microphone and camera state.

use leptos::prelude::*;

use crate::components::icons::HandIcon;
use crate::components::media_state::MediaState;
use crate::components::participant_actions::{ModeratorBadge, ParticipantActions};
use crate::gestures::RosterRow;
use crate::i18n::{rec_texts, texts};
use crate::media::Device;
use crate::recording::recording_ctx;

/// A participant in the panel's list. The row is made anew whenever anything in it changes (the
/// list is keyed by the whole row), so it holds plain values.
#[component]
pub fn ParticipantRow(
    /// The participant and their place in the hand queue.
    row: RosterRow,
    /// It is us.
    is_self: bool,
) -> impl IntoView {
    let t = texts();
    let RosterRow {
        member,
        hand_position,
    } = row;
    // A moderator's actions on this participant (nothing shows to others).
    let actions = view! {
        <ParticipantActions
            id=member.id
            name=member.name.clone()
            mic=member.mic
            cam=member.cam
            is_self
        />
    };
    view! {
        <li
            class="participant-row"
            data-testid="participant-row"
            data-participant-id=member.id.0.to_string()
            data-hand-position=hand_position.map(|n| n.to_string())
        >
            <span class="participant-who">
                <span class="participant-name" data-testid="participant-name">
                    {member.name}
                </span>
                {is_self.then(|| view! { <span class="you">{t.you_suffix}</span> })}
                <ModeratorBadge id=member.id />
            </span>
            {hand_position
                .map(|n| {
                    view! {
                        <span
                            class="hand-position"
                            role="img"
                            data-testid="participant-hand"
                            aria-label=t.hand_position(n)
                        >
                            <HandIcon />
                            {n}
                        </span>
                    }
                })}
            <ConsentBadge id=member.id />
            <MediaState device=Device::Mic on=member.mic test_id="participant-mic" />
            <MediaState device=Device::Cam on=member.cam test_id="participant-cam" />
            {actions}
        </li>
    }
}

/// A participant's answer to the recording, while one exists: everyone sees who consented.
#[component]
fn ConsentBadge(
    /// Whose answer.
    id: treff_shared::ParticipantId,
) -> impl IntoView {
    let rt = rec_texts();
    let ctx = recording_ctx();
    let answer = move || {
        let ctx = ctx?;
        ctx.ui
            .state
            .with(Option::is_some)
            .then(|| ctx.ui.answer_of(id))
    };
    move || {
        answer().map(|answer| {
            let (label, value) = match answer {
                Some(treff_shared::Consent::Yes) => (rt.answer_yes, "yes"),
                Some(treff_shared::Consent::No) => (rt.answer_no, "no"),
                None => (rt.answer_none, "none"),
            };
            view! {
                <span class="consent-badge" data-testid="participant-consent" data-consent=value>
                    {label}
                </span>
            }
        })
    }
}
