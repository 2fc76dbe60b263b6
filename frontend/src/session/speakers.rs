//! The session's active-speaker sampling: every [`SAMPLE_MS`] the audio counters of every received
//! voice (and of our own microphone) are read from the peer connection and fed to the
//! [`SpeakerTracker`], whose verdict the stage shows.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::ParticipantId;

use super::Session;
use crate::speaker::{Energy, SAMPLE_MS, SpeakerTracker, level};

/// The sampling state of a session.
#[derive(Default)]
pub(super) struct Speakers {
    tracker: SpeakerTracker,
    /// The previous reading per participant.
    last: HashMap<ParticipantId, Energy>,
    timer: Option<IntervalHandle>,
    /// A sample is being read (reading is asynchronous; samples never overlap).
    busy: bool,
}

impl Speakers {
    /// Stops sampling for good.
    pub(super) fn stop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
    }
}

impl Session {
    /// Starts sampling audio levels; stopped by `shutdown`.
    pub(super) fn start_speaker_sampling(self: &Rc<Self>) {
        let tick = |session: Rc<Self>| {
            if session.closed.get()
                || std::mem::replace(&mut session.speakers.borrow_mut().busy, true)
            {
                return;
            }
            spawn_local(async move {
                session.sample_speakers().await;
                session.speakers.borrow_mut().busy = false;
            });
        };
        let period = Duration::from_millis(SAMPLE_MS);
        self.speakers.borrow_mut().timer = self.every(period, "active-speaker sampling", tick);
    }

    async fn sample_speakers(&self) {
        let peer = self.peer.borrow().clone();
        let (Some(peer), Some(me)) = (peer, self.ui.me.get_untracked()) else {
            return;
        };
        let own_mid = self.publish.borrow().as_ref().map(|p| p.audio.clone());
        let readings = peer.audio_energies(own_mid.as_deref()).await;
        if self.closed.get() {
            return;
        }
        let now = js_sys::Date::now();
        let stage = self.ui.stage;
        let (speaking, active) = {
            let mut speakers = self.speakers.borrow_mut();
            let readings: HashMap<ParticipantId, Energy> = readings
                .into_iter()
                .map(|(owner, energy)| (owner.unwrap_or(me), energy))
                .collect();
            let levels: Vec<(ParticipantId, f64)> = readings
                .iter()
                .filter_map(|(id, now)| {
                    let before = speakers.last.get(id)?;
                    Some((*id, level(*before, *now)?))
                })
                .collect();
            speakers.last = readings;
            speakers.tracker.sample(&levels, now);
            (speakers.tracker.speaking(), speakers.tracker.active())
        };
        if stage.speaking.get_untracked() != speaking {
            stage.speaking.set(speaking);
        }
        if stage.active.get_untracked() != active {
            stage.active.set(active);
        }
    }
}
