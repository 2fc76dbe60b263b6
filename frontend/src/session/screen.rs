//! The session's screen sharing: `getDisplayMedia`, publishing the track on the screen m-line, and
//! stopping it from our button or from the browser's own "stop sharing".
//!
//! Invariants:
//! - The screen counts as on for the room (`SetMedia { screen: true }`) only while its track is
//!   attached; the picker being open is the person's intent only, as with the camera.
//! - Every display track is stopped when it is no longer wanted: on our toggle, when the browser ends
//!   it, when a stale picker result arrives late, and in `release_media` (leave, shutdown).

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamTrack};

use super::{Notice, Phase, Session};
use crate::media::{self, MediaError};

/// The track being shared and its `ended` handler.
struct SharedScreen {
    track: MediaStreamTrack,
    _on_ended: Closure<dyn FnMut()>,
}

impl Drop for SharedScreen {
    fn drop(&mut self) {
        self.track.set_onended(None);
        self.track.stop();
    }
}

/// The screen-sharing state of a session. Like [`crate::media::LocalTracks`], every start gets a
/// generation, so a picker answered after the person changed their mind (or left) is dropped.
#[derive(Default)]
pub(super) struct ScreenShare {
    current: Option<SharedScreen>,
    generation: u32,
    closed: bool,
}

impl ScreenShare {
    /// The shared track, while there is one.
    pub(super) fn track(&self) -> Option<MediaStreamTrack> {
        self.current.as_ref().map(|s| s.track.clone())
    }

    fn begin(&mut self) -> u32 {
        self.generation = self.generation.wrapping_add(1);
        self.generation
    }

    fn is_current(&self, generation: u32) -> bool {
        !self.closed && self.generation == generation
    }

    /// Stops sharing now; a pending picker becomes stale.
    fn stop(&mut self) {
        self.begin();
        self.current = None;
    }

    /// Stops for good (the media is released).
    pub(super) fn close(&mut self) {
        self.closed = true;
        self.stop();
    }
}

/// Asks the browser for a screen, window or tab.
async fn open_display() -> Result<MediaStreamTrack, MediaError> {
    let devices = web_sys::window()
        .ok_or(MediaError::Failed)?
        .navigator()
        .media_devices()
        .map_err(|_| MediaError::Failed)?;
    let promise = devices
        .get_display_media()
        .map_err(|e| MediaError::from_js(&e))?;
    let stream: MediaStream = JsFuture::from(promise)
        .await
        .map_err(|e| MediaError::from_js(&e))?
        .unchecked_into();
    let tracks = stream.get_video_tracks();
    // Only the picture is shared: a tab's audio, if the browser offered it, is stopped at once.
    for extra in stream.get_audio_tracks().iter() {
        if let Ok(t) = extra.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
    tracks
        .get(0)
        .dyn_into::<MediaStreamTrack>()
        .map_err(|_| MediaError::Failed)
}

impl Session {
    /// The person pressed "share screen".
    pub fn toggle_screen(self: &Rc<Self>) {
        if self.media_released() || self.ui.phase.get_untracked() != Phase::Joined {
            return;
        }
        let sharing = self.ui.stage.sharing;
        if sharing.get_untracked() {
            self.stop_screen();
            return;
        }
        sharing.set(true);
        let generation = self.screen.borrow_mut().begin();
        let session = self.clone();
        spawn_local(async move {
            let result = open_display().await;
            if !session.screen.borrow().is_current(generation) {
                if let Ok(track) = result {
                    track.stop();
                }
                return;
            }
            match result {
                Ok(track) => session.start_screen(generation, track),
                Err(e) => {
                    sharing.set(false);
                    // "Denied" is mostly the person cancelling the picker: nothing to explain.
                    if e != MediaError::Denied {
                        session.ui.notice.set(Some(Notice::Media(e)));
                    }
                }
            }
        });
    }

    fn start_screen(self: &Rc<Self>, generation: u32, track: MediaStreamTrack) {
        let weak = Rc::downgrade(self);
        // The browser's own "stop sharing" ends the track. The handler must not drop itself while it
        // runs, so the stop happens in a task after it.
        let on_ended = Closure::<dyn FnMut()>::new(move || {
            let weak = weak.clone();
            spawn_local(async move {
                if let Some(s) = weak.upgrade()
                    && s.screen.borrow().is_current(generation)
                {
                    s.stop_screen();
                }
            });
        });
        track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
        self.screen.borrow_mut().current = Some(SharedScreen {
            track,
            _on_ended: on_ended,
        });
        self.screen_changed();
    }

    fn stop_screen(self: &Rc<Self>) {
        self.ui.stage.sharing.set(false);
        self.screen.borrow_mut().stop();
        self.screen_changed();
    }

    /// After the shared track appeared or went: show it, publish it, tell the room.
    fn screen_changed(self: &Rc<Self>) {
        let track = self.screen.borrow().track();
        if let Some(me) = self.ui.me.get_untracked() {
            let stream = track.as_ref().and_then(|t| media::stream_of(&[t]));
            self.ui.stage.screens.update(|s| match stream {
                Some(stream) => {
                    s.insert(me, stream);
                }
                None => {
                    s.remove(&me);
                }
            });
        }
        let mid = self.publish.borrow().as_ref().map(|p| p.screen.clone());
        let peer = self.peer.borrow().clone();
        let session = self.clone();
        spawn_local(async move {
            if let (Some(mid), Some(peer)) = (mid, peer) {
                peer.publish(&mid, track.as_ref()).await;
            }
            // Announced once the track is attached: the server forwards (and asks for a keyframe)
            // from then on.
            session.send_media_state();
        });
    }
}
