//! One participant's tile: their video (while their camera is on and the server sends it), their name, mic and camera state,
//! a hand while it is raised, their reactions floating up for a moment, and, for others, an `<audio>`
//! element that plays their voice.
//!
//! The tile owns its media elements: on unmount (the participant left, or the room closed) it
//! detaches the stream from them, so the browser releases the decoders at once instead of at GC.

use leptos::html;
use leptos::prelude::*;
use treff_shared::ParticipantId;
use web_sys::MediaStream;

use crate::components::icons::HandIcon;
use crate::components::media_state::MediaState;
use crate::components::participant_actions::ModeratorBadge;
use crate::gestures::{FloatingReaction, reaction_name};
use crate::i18n::texts;
use crate::media::{self, Device};
use crate::session::Member;

/// A participant's tile.
#[component]
pub fn Tile(
    /// Whose tile.
    id: ParticipantId,
    /// Our own tile: shows our camera mirrored, plays no audio (no echo), marks the name with "(you)".
    is_self: bool,
    /// Name and mic/camera state; `None` after the participant left (the tile is about to go).
    #[prop(into)]
    member: Signal<Option<Member>>,
    /// The participant's media: their remote stream, or our own camera.
    stream: Signal<Option<MediaStream>, LocalStorage>,
    /// The participant's reactions in flight.
    #[prop(into)]
    reactions: Signal<Vec<FloatingReaction>>,
    /// Highlighted as the active speaker.
    #[prop(optional, into)]
    speaking: Signal<bool>,
    /// Shown large in speaker view.
    #[prop(optional, into)]
    featured: Signal<bool>,
) -> impl IntoView {
    let t = texts();
    let video_ref = NodeRef::<html::Video>::new();
    let audio_ref = NodeRef::<html::Audio>::new();

    Effect::new(move |_| {
        stream.with(|s| {
            if let Some(video) = video_ref.get() {
                media::show(&video, s.as_ref());
            }
            if let Some(audio) = audio_ref.get() {
                media::show(&audio, s.as_ref());
            }
        });
    });
    on_cleanup(move || {
        if let Some(video) = video_ref.get_untracked() {
            video.set_src_object(None);
        }
        if let Some(audio) = audio_ref.get_untracked() {
            audio.set_src_object(None);
        }
    });

    let name = move || member.with(|m| m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    let mic = move || member.with(|m| m.as_ref().is_some_and(|m| m.mic));
    let cam = move || member.with(|m| m.as_ref().is_some_and(|m| m.cam));
    let hand = move || member.with(|m| m.as_ref().is_some_and(|m| m.hand.is_some()));
    let away = move || member.with(|m| m.as_ref().is_some_and(|m| m.away));
    // Last-N: the camera is on but not sent to us. The video keeps its place in the layout, as its
    // size is what the server is told (`session::tiles`), and the initial stands in for it.
    let withheld = move || cam() && member.with(|m| m.as_ref().is_some_and(|m| m.withheld));
    let on_off = |b: bool| if b { "on" } else { "off" };
    // The first letter stands in for the picture while the camera is off.
    let initial = move || {
        name()
            .chars()
            .next()
            .map(|c| c.to_uppercase().collect::<String>())
            .unwrap_or_default()
    };

    view! {
        <div
            class="tile"
            class:cam-off=move || !cam()
            class:speaking=move || speaking.get()
            class:featured=move || featured.get()
            class:away=away
            class:withheld=withheld
            data-testid="tile"
            data-participant-id=id.0.to_string()
            data-self=if is_self { "true" } else { "false" }
            data-mic=move || on_off(mic())
            data-cam=move || on_off(cam())
            data-speaking=move || if speaking.get() { "true" } else { "false" }
            data-away=move || if away() { "true" } else { "false" }
            data-video=move || if withheld() { "withheld" } else { "shown" }
        >
            <video
                node_ref=video_ref
                class="tile-video"
                class:mirror=is_self
                hidden=move || !cam()
                muted=true
                prop:muted=true
                autoplay=true
                playsinline=true
            ></video>
            <div class="avatar" aria-hidden="true" hidden=move || cam() && !withheld()>
                {initial}
            </div>
            <Show when=withheld>
                <span class="tile-paused" data-testid="tile-paused">
                    {t.tile_video_paused}
                </span>
            </Show>
            {(!is_self).then(|| view! { <audio node_ref=audio_ref autoplay=true></audio> })}
            <Show when=away>
                <span class="tile-reconnecting" role="status" data-testid="tile-reconnecting">
                    {t.tile_reconnecting}
                </span>
            </Show>
            <Show when=hand>
                <span class="tile-hand" role="img" data-testid="tile-hand" aria-label=t.hand_raised>
                    <HandIcon />
                </span>
            </Show>
            <div class="tile-reactions">
                <For
                    each=move || reactions.get()
                    key=|r: &FloatingReaction| r.key
                    children=move |r: FloatingReaction| {
                        // Three lanes, so reactions in quick succession do not cover each other.
                        let class = format!("tile-reaction lane-{}", r.key % 3);
                        view! {
                            <span
                                class=class
                                role="img"
                                data-testid="tile-reaction"
                                data-reaction=reaction_name(r.reaction)
                                aria-label=t.reaction(r.reaction)
                            >
                                {r.reaction.emoji()}
                            </span>
                        }
                    }
                />
            </div>
            <div class="tile-bar">
                <span class="tile-name" data-testid="tile-name">
                    {name}
                </span>
                {is_self.then(|| view! { <span class="you">{t.you_suffix}</span> })}
                <ModeratorBadge id />
                <MediaState device=Device::Mic on=Signal::derive(mic) test_id="tile-mic" />
                <MediaState device=Device::Cam on=Signal::derive(cam) test_id="tile-cam" />
            </div>
        </div>
    }
}
