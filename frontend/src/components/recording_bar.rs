//! The recording bar: while a recording exists, everyone sees it above the meeting, in every view
//! (no setting hides it): whether capture runs or waits for answers, their own answer with the
//! button to change it, and for moderators the button to stop it.
//!
//! Below it, what happened last (a live region that is always there, so screen readers hear the
//! first announcement too, and everyone still reads "… stopped the recording" after the bar went).

use leptos::prelude::*;
use treff_shared::{Consent, RecordingAction, RecordingEvent};

use crate::i18n::{ModerationTexts, RecordingTexts, rec_texts};
use crate::moderation::moderation_ctx;
use crate::recording::recording_ctx;
use crate::session::RoomUi;

/// The bar, shown while a recording exists.
#[component]
pub fn RecordingBar(
    /// The room's state (its members, for the count of missing answers).
    room: RoomUi,
) -> impl IntoView {
    let rt = rec_texts();
    let Some(ctx) = recording_ctx() else {
        return ().into_any();
    };
    let ui = ctx.ui;
    let exists = move || ui.state.with(Option::is_some);
    let capturing = move || ui.state.with(|s| s.as_ref().is_some_and(|s| s.capturing));
    let missing = move || {
        let yes = ui.state.with(|s| {
            s.as_ref().map_or(0, |s| {
                s.answers
                    .iter()
                    .filter(|a| a.consent == Consent::Yes)
                    .count()
            })
        });
        room.members.with(Vec::len).saturating_sub(yes)
    };
    let status = move || {
        if capturing() {
            rt.running.to_owned()
        } else {
            format!(
                "{} · {}",
                rt.paused,
                ModerationTexts::fill(rt.waiting_for, &missing().to_string())
            )
        }
    };
    let mine = move || match ctx.my_answer() {
        Some(Consent::Yes) => (rt.you_yes, "yes"),
        Some(Consent::No) => (rt.you_no, "no"),
        None => (rt.you_none, "none"),
    };
    let change = move || match ctx.my_answer() {
        Some(Consent::Yes) => (rt.withdraw, Consent::No, "recording-withdraw"),
        _ => (rt.agree, Consent::Yes, "recording-agree"),
    };
    let am_moderator = move || moderation_ctx().is_some_and(|m| m.am_moderator());
    let event = move || {
        ui.last_event
            .with(|e| e.as_ref().map(|(e, name)| event_text(rt, *e, name)))
    };
    let kind = move || {
        ui.last_event
            .with(|e| e.as_ref().map(|(e, _)| event_kind(*e)))
    };
    view! {
        <Show when=exists>
            <section
                class="recording-bar"
                class:capturing=capturing
                aria-label=rt.bar_label
                data-testid="recording-indicator"
                data-capturing=move || capturing().to_string()
            >
                <span class="recording-dot" aria-hidden="true"></span>
                <strong data-testid="recording-status">{status}</strong>
                <span data-testid="recording-my-answer" data-consent=move || mine().1>
                    {move || mine().0}
                </span>
                {move || {
                    let (label, consent, test_id) = change();
                    view! {
                        <button type="button" data-testid=test_id on:click=move |_| ctx.consent.run(consent)>
                            {label}
                        </button>
                    }
                }}
                <Show when=am_moderator>
                    <button
                        type="button"
                        class="danger"
                        data-testid="recording-stop"
                        on:click=move |_| ctx.act.run(RecordingAction::Stop)
                    >
                        {rt.stop}
                    </button>
                </Show>
            </section>
        </Show>
        <p class="recording-event" role="status" data-testid="recording-event" data-event=kind>
            {event}
        </p>
    }
    .into_any()
}

/// The kind of a recording event, for tests and styling (`data-event`).
fn event_kind(event: RecordingEvent) -> &'static str {
    match event {
        RecordingEvent::Proposed { .. } => "proposed",
        RecordingEvent::Answered {
            consent: Consent::Yes,
            ..
        } => "yes",
        RecordingEvent::Answered {
            consent: Consent::No,
            ..
        } => "no",
        RecordingEvent::Arrived { .. } => "arrived",
        RecordingEvent::Departed { .. } => "departed",
        RecordingEvent::Stopped { .. } => "stopped",
    }
}

/// The sentence for a recording event about `name`.
pub fn event_text(rt: &RecordingTexts, event: RecordingEvent, name: &str) -> String {
    let pattern = match event {
        RecordingEvent::Proposed { .. } => rt.proposed_by,
        RecordingEvent::Answered {
            consent: Consent::Yes,
            ..
        } => rt.agreed,
        RecordingEvent::Answered {
            consent: Consent::No,
            ..
        } => rt.declined,
        RecordingEvent::Arrived { .. } => rt.arrived,
        RecordingEvent::Departed { .. } => rt.departed,
        RecordingEvent::Stopped { by: Some(_) } => rt.stopped_by,
        RecordingEvent::Stopped { by: None } => rt.stopped,
    };
    ModerationTexts::fill(pattern, name)
}
