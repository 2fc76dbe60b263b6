//! The session's side of recording: a moderator's proposal and stop go out as `Recording`, the
//! person's own answer as `Consent`; the recording's state, its events and (for moderators) its
//! output job come in. A moderator's download of a finished file goes out over `/api` with the
//! moderator key from the page's URL fragment.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::{ClientMsg, Consent, JobState, RecordingAction, RecordingEvent, RecordingState};

use super::{Phase, Session};
use crate::moderation::key_from_location;

impl Session {
    /// A moderator proposes or stops a recording (the server refuses anyone else).
    pub fn recording_action(&self, action: RecordingAction) {
        if self.ui.phase.get_untracked() == Phase::Joined {
            self.send(&ClientMsg::Recording { action });
        }
    }

    /// The person's own answer to the recording.
    pub fn consent(&self, consent: Consent) {
        if self.ui.phase.get_untracked() == Phase::Joined {
            self.ui.recording.asking.set(false);
            self.send(&ClientMsg::Consent { consent });
        }
    }

    /// The recording's state as `Joined` brings it (a newcomer is asked at once).
    pub(super) fn on_joined_recording(&self, recording: Option<RecordingState>) {
        let me = self.ui.me.get_untracked();
        self.ui.recording.update(me, recording, None);
    }

    /// A change of the recording.
    pub(super) fn on_recording(&self, recording: Option<RecordingState>, event: RecordingEvent) {
        let me = self.ui.me.get_untracked();
        let who = match event {
            RecordingEvent::Proposed { by } | RecordingEvent::Stopped { by: Some(by) } => Some(by),
            RecordingEvent::Answered { id, .. }
            | RecordingEvent::Arrived { id }
            | RecordingEvent::Departed { id } => Some(id),
            RecordingEvent::Stopped { by: None } => None,
        };
        // Whoever just left is no longer among the members: their name was kept when they left.
        let name = who
            .and_then(|id| {
                self.ui
                    .members
                    .with_untracked(|ms| ms.iter().find(|m| m.id == id).map(|m| m.name.clone()))
                    .or_else(|| {
                        self.last_left
                            .borrow()
                            .as_ref()
                            .filter(|(left, _)| *left == id)
                            .map(|(_, name)| name.clone())
                    })
            })
            .unwrap_or_default();
        self.ui.recording.update(me, recording, Some((event, name)));
    }

    /// Progress of a stopped recording's output job (moderators only).
    pub(super) fn on_recording_job(&self, id: String, job: JobState) {
        self.ui.recording.job(id, job);
    }

    /// Downloads a file of a finished recording with the moderator key of this page's link.
    pub fn download_recording(self: &Rc<Self>, id: String, file: String) {
        let Some(key) = key_from_location() else {
            return;
        };
        let room = self.room.clone();
        spawn_local(async move {
            if let Err(e) = crate::recording::download(&room, &key, &id, &file).await {
                web_sys::console::warn_1(&format!("treff: download failed: {e:?}").into());
            }
        });
    }
}
