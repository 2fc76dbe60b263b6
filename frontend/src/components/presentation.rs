//! The shared screens, shown large above the camera tiles, side by side when several people share.
//!
//! A screen shows while its owner's state says they share (the server's `MediaState`, or our own)
//! and its track has arrived; the receiving m-line exists all the time, but carries nothing
//! before that.

use leptos::html;
use leptos::prelude::*;
use treff_shared::ParticipantId;
use web_sys::MediaStream;

use crate::i18n::texts;
use crate::media;
use crate::session::RoomUi;

/// Who shares a screen right now, in joining order, with a stream to show.
pub fn sharing(room: &RoomUi) -> Vec<ParticipantId> {
    let screens = room.stage.screens;
    room.members.with(|ms| {
        ms.iter()
            .filter(|m| m.screen && screens.with(|s| s.contains_key(&m.id)))
            .map(|m| m.id)
            .collect()
    })
}

/// The area of the shared screens; empty (and hidden) while nobody shares.
#[component]
pub fn Presentations(
    /// The room.
    room: RoomUi,
) -> impl IntoView {
    let t = texts();
    let ids = Memo::new(move |_| sharing(&room));
    view! {
        <section
            class="presentations"
            aria-label=t.presentations_label
            data-testid="presentations"
            hidden=move || ids.with(Vec::is_empty)
        >
            <For
                each=move || ids.get()
                key=|id: &ParticipantId| *id
                children=move |id: ParticipantId| {
                    let is_self = room.me.get_untracked() == Some(id);
                    let caption = Signal::derive(move || {
                        if is_self {
                            return t.own_screen.to_string();
                        }
                        let name = room
                            .members
                            .with(|ms| ms.iter().find(|m| m.id == id).map(|m| m.name.clone()))
                            .unwrap_or_default();
                        t.screen_of.replace("{}", &name)
                    });
                    let stream = Signal::derive_local(move || {
                        room.stage.screens.with(|s| s.get(&id).cloned())
                    });
                    view! { <Presentation id caption stream /> }
                }
            />
        </section>
    }
}

/// One shared screen.
#[component]
fn Presentation(
    id: ParticipantId,
    caption: Signal<String>,
    stream: Signal<Option<MediaStream>, LocalStorage>,
) -> impl IntoView {
    let video_ref = NodeRef::<html::Video>::new();
    Effect::new(move |_| {
        stream.with(|s| {
            if let Some(video) = video_ref.get() {
                media::show(&video, s.as_ref());
            }
        });
    });
    // Detached at once on unmount, so the browser releases the decoder now, not at GC.
    on_cleanup(move || {
        if let Some(video) = video_ref.get_untracked() {
            video.set_src_object(None);
        }
    });
    view! {
        <figure
            class="presentation"
            data-testid="presentation"
            data-participant-id=id.0.to_string()
        >
            <video
                node_ref=video_ref
                class="presentation-video"
                muted=true
                prop:muted=true
                autoplay=true
                playsinline=true
            ></video>
            <figcaption class="presentation-caption">{caption}</figcaption>
        </figure>
    }
}
