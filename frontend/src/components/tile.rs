//! One participant's tile: their video (while their camera is on), their name, mic and camera state,
//! and, for others, an `<audio>` element that plays their voice.
//!
//! The tile owns its media elements: on unmount (the participant left, or the room closed) it
//! detaches the stream from them, so the browser releases the decoders at once instead of at GC.

use leptos::html;
use leptos::prelude::*;
use treff_shared::ParticipantId;
use web_sys::MediaStream;

use crate::components::icons::{CamIcon, MicIcon};
use crate::i18n::texts;
use crate::media;
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
            data-testid="tile"
            data-participant-id=id.0.to_string()
            data-self=if is_self { "true" } else { "false" }
            data-mic=move || on_off(mic())
            data-cam=move || on_off(cam())
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
            <div class="avatar" aria-hidden="true" hidden=cam>
                {initial}
            </div>
            {(!is_self).then(|| view! { <audio node_ref=audio_ref autoplay=true></audio> })}
            <div class="tile-bar">
                <span class="tile-name" data-testid="tile-name">
                    {name}
                </span>
                {is_self.then(|| view! { <span class="you">{t.you_suffix}</span> })}
                <span
                    class="state"
                    class:off=move || !mic()
                    role="img"
                    data-testid="tile-mic"
                    aria-label=move || if mic() { t.mic_is_on } else { t.mic_is_off }
                >
                    {move || view! { <MicIcon off=!mic() /> }}
                </span>
                <span
                    class="state"
                    class:off=move || !cam()
                    role="img"
                    data-testid="tile-cam"
                    aria-label=move || if cam() { t.cam_is_on } else { t.cam_is_off }
                >
                    {move || view! { <CamIcon off=!cam() /> }}
                </span>
            </div>
        </div>
    }
}
