//! The room's recording: a moderator's proposal, everyone's own consent, and what goes to the
//! capture while it runs (R5). The consent rules are in [`super::consent`]; the capture task and
//! the output job in [`crate::recording`].
//!
//! Invariants:
//! - Only a moderator proposes or stops a recording; only a participant's own `Consent` message
//!   sets their answer (the table test in `tests/recording.rs` tries every action of everyone).
//! - Packets and public chat reach the capture only while capture runs: every present participant
//!   said yes. A paused capture receives the pause mark and nothing else; a packet that arrived
//!   before the resume is not captured even if it is handled after it.
//! - When capture starts or resumes, every video publisher is asked for a keyframe, so each video
//!   segment starts with a picture.
//! - Every change is announced to everyone present (`ServerMsg::Recording`); a newcomer gets the
//!   state in `Joined` and is asked at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use str0m::media::KeyframeRequestKind;
use str0m::rtp::RtpPacket;
use treff_shared::{
    ChatMessage, Consent, ErrorCode, Layer, ParticipantId, RecordingAction, RecordingEvent,
    RecordingState, ServerMsg, TrackKind,
};

use super::consent::{Capture, Consents};
use super::{Command, Room};
use crate::recording::capture::{CaptureHandle, CaptureMsg, CapturedPacket, JobNotifier, Recorder};
use crate::sfu::Source;
use crate::sfu::forward::Incoming;

/// A recording while it exists (running or paused).
pub(super) struct Recording {
    consents: Consents,
    capture: CaptureHandle,
    /// Participants whose name the capture has.
    named: HashSet<ParticipantId>,
    /// Since when capture runs (the last resume), while it runs.
    runs_since: Option<Instant>,
}

impl Room {
    /// A moderator's recording action.
    pub(super) fn recording_action(
        &mut self,
        now: Instant,
        from: ParticipantId,
        action: RecordingAction,
    ) -> Result<(), ErrorCode> {
        if !self.is_moderator(from) {
            return Err(ErrorCode::NotModerator);
        }
        match action {
            RecordingAction::Propose => self.propose_recording(now, from),
            RecordingAction::Stop => {
                if self.recording.is_none() {
                    return Err(ErrorCode::NoRecording);
                }
                self.stop_recording(now, Some(from));
                Ok(())
            }
        }
    }

    fn propose_recording(&mut self, now: Instant, from: ParticipantId) -> Result<(), ErrorCode> {
        if self.recording.is_some() {
            return Err(ErrorCode::RecordingExists);
        }
        let recorder: Arc<dyn Recorder> = self
            .recorder
            .clone()
            .ok_or(ErrorCode::RecordingUnavailable)?;
        let (_id, capture) = recorder.start(&self.id, self.job_notifier()).map_err(|e| {
            tracing::error!(error = %e, "a recording could not be started");
            ErrorCode::RecordingUnavailable
        })?;
        let names: Vec<(ParticipantId, String)> = self
            .participants
            .values()
            .map(|p| (p.info.id, p.info.name.clone()))
            .collect();
        let present: Vec<(ParticipantId, &str)> =
            names.iter().map(|(id, n)| (*id, n.as_str())).collect();
        let proposer = self.name_of(from);
        let consents = Consents::propose(self.wall_ms(now), &proposer, &present);
        self.recording = Some(Recording {
            consents,
            capture,
            named: HashSet::new(),
            runs_since: None,
        });
        tracing::info!("a recording was proposed");
        self.announce_recording(RecordingEvent::Proposed { by: from }, None);
        Ok(())
    }

    /// A participant's own answer.
    pub(super) fn consent(
        &mut self,
        now: Instant,
        from: ParticipantId,
        consent: Consent,
    ) -> Result<(), ErrorCode> {
        let present = self.present_ids();
        let name = self.name_of(from);
        let at = self.wall_ms(now);
        let recording = self.recording.as_mut().ok_or(ErrorCode::NoRecording)?;
        let change = recording
            .consents
            .answer(at, (from, &name), consent, &present);
        self.capture_changed(now, change);
        self.announce_recording(RecordingEvent::Answered { id: from, consent }, None);
        Ok(())
    }

    /// Someone entered while a recording exists: they are asked, and capture pauses until they say
    /// yes. Call after they were added to the participants.
    pub(super) fn recording_arrival(&mut self, now: Instant, id: ParticipantId) {
        let present = self.present_ids();
        let name = self.name_of(id);
        let at = self.wall_ms(now);
        let Some(recording) = self.recording.as_mut() else {
            return;
        };
        let change = recording.consents.arrive(at, (id, &name), &present);
        self.capture_changed(now, change);
        self.announce_recording(RecordingEvent::Arrived { id }, Some(id));
    }

    /// Someone left: their answer no longer counts (capture may resume), and their tracks' segments
    /// end. Call after they were removed from the participants.
    pub(super) fn recording_departure(&mut self, now: Instant, id: ParticipantId, name: &str) {
        let present = self.present_ids();
        let at = self.wall_ms(now);
        let Some(recording) = self.recording.as_mut() else {
            return;
        };
        for kind in TrackKind::ALL {
            recording.capture.send(CaptureMsg::TrackEnded {
                key: key_of(id),
                kind,
                at: now,
            });
        }
        let change = recording.consents.depart(at, (id, name), &present);
        self.capture_changed(now, change);
        self.announce_recording(RecordingEvent::Departed { id }, None);
    }

    /// Stops the recording (a moderator, or the end of the meeting with `by: None`): the capture
    /// closes its files and the output job takes them.
    pub(super) fn stop_recording(&mut self, now: Instant, by: Option<ParticipantId>) {
        let Some(recording) = self.recording.take() else {
            return;
        };
        let consent = recording.consents.stop(self.wall_ms(now));
        recording
            .capture
            .finish(CaptureMsg::Stop { at: now, consent });
        tracing::info!("a recording stopped");
        self.announce_recording(RecordingEvent::Stopped { by }, None);
    }

    /// Acts on a change of capture: resume marks (with everyone's name and a keyframe from every
    /// camera and screen) or pause marks.
    fn capture_changed(&mut self, now: Instant, change: Option<Capture>) {
        let Some(recording) = self.recording.as_mut() else {
            return;
        };
        match change {
            Some(Capture::Runs) => {
                for p in self.participants.values() {
                    if recording.named.insert(p.info.id) {
                        recording.capture.send(CaptureMsg::Person {
                            key: key_of(p.info.id),
                            name: p.info.name.clone(),
                        });
                    }
                }
                recording.capture.send(CaptureMsg::Resume { at: now });
                recording.runs_since = Some(now);
                let video: Vec<Source> = self
                    .participants
                    .values()
                    .flat_map(|p| {
                        let owner = p.info.id;
                        [
                            (p.info.cam, TrackKind::Video),
                            (p.info.screen, TrackKind::Screen),
                        ]
                        .into_iter()
                        .filter(|(on, _)| *on)
                        .map(move |(_, kind)| Source { owner, kind })
                    })
                    .collect();
                // The recording's camera layers are chosen with everyone's.
                self.choose_layers(now);
                for source in video {
                    let layer = match source.kind {
                        TrackKind::Video => self.participants.get(&source.owner).and_then(|p| {
                            let record = p.layers.record;
                            record.awaited().or(record.current())
                        }),
                        _ => Some(Layer::High),
                    };
                    if let Some(layer) = layer {
                        self.request_keyframe(now, source, layer, KeyframeRequestKind::Pli);
                    }
                }
            }
            Some(Capture::Paused) => {
                recording.runs_since = None;
                recording.capture.send(CaptureMsg::Pause { at: now });
            }
            None => {}
        }
    }

    /// Hands a forwarded packet to the capture, if capture runs.
    pub(super) fn capture_packet(&self, source: Source, incoming: &Incoming, packet: &RtpPacket) {
        let Some(recording) = self.recording.as_ref() else {
            return;
        };
        // A packet that arrived before the last yes but is handled after it (it waited in the
        // socket's batch) is of the paused span: it is not captured.
        if !recording.consents.capturing() || recording.runs_since.is_none_or(|t| incoming.at < t) {
            return;
        }
        recording.capture.send(CaptureMsg::Rtp(CapturedPacket {
            key: key_of(source.owner),
            kind: source.kind,
            ssrc: incoming.ssrc,
            seq: incoming.seq,
            timestamp: incoming.timestamp,
            marker: packet.header.marker,
            payload: packet.payload.clone(),
            at: incoming.at,
        }));
    }

    /// A track stopped (its device went off): its segment ends.
    pub(super) fn capture_track_ended(&self, now: Instant, source: Source) {
        if let Some(recording) = self.recording.as_ref()
            && recording.consents.capturing()
        {
            recording.capture.send(CaptureMsg::TrackEnded {
                key: key_of(source.owner),
                kind: source.kind,
                at: now,
            });
        }
    }

    /// Hands a chat message to the capture, if it is public and capture runs. Private messages
    /// are never recorded.
    pub(super) fn capture_chat(&self, message: &ChatMessage) {
        let Some(recording) = self.recording.as_ref() else {
            return;
        };
        if message.to.is_some() || !recording.consents.capturing() {
            return;
        }
        let mut text = message.text.clone();
        if let Some(file) = &message.attachment {
            // The file itself is not part of the recording; its name tells what was shared.
            text = format!("{text} [{}]", file.name).trim().to_owned();
        }
        recording.capture.send(CaptureMsg::Chat {
            sent_at_ms: message.sent_at_ms,
            name: message.name.clone(),
            text,
        });
    }

    /// The recording as everyone sees it, if one exists.
    pub(super) fn recording_state(&self) -> Option<RecordingState> {
        let present = self.present_ids();
        self.recording.as_ref().map(|r| r.consents.state(&present))
    }

    /// `who` renamed themselves: a recording that has their name takes the new one (rectification;
    /// the output labels their tile with the name they chose last).
    pub(super) fn recording_renamed(&mut self, who: ParticipantId, name: &str) {
        if let Some(recording) = self.recording.as_mut()
            && recording.named.contains(&who)
        {
            recording.capture.send(CaptureMsg::Person {
                key: key_of(who),
                name: name.to_owned(),
            });
        }
    }

    /// `who`'s answer to the recording, while one exists and they gave one.
    pub(super) fn recording_answer_of(&self, who: ParticipantId) -> Option<Consent> {
        self.recording.as_ref()?.consents.answer_of(who)
    }

    /// Tells everyone present what changed, but `except` (a newcomer, whose `Joined` carries it).
    fn announce_recording(&mut self, event: RecordingEvent, except: Option<ParticipantId>) {
        let msg = ServerMsg::Recording {
            recording: self.recording_state(),
            event,
        };
        match except {
            Some(id) => self.broadcast_except(id, msg),
            None => self.broadcast(msg),
        }
    }

    /// Passes the output job's progress to the room's moderators while the room lasts.
    fn job_notifier(&self) -> JobNotifier {
        let commands = self.commands.clone();
        Box::new(move |id, job| {
            if let Some(commands) = commands.as_ref().and_then(|c| c.upgrade()) {
                // A busy or ended room misses a progress step; the next one or the list shows it.
                let _ = commands.try_send(Command::RecordingJob { id, job });
            }
        })
    }

    fn present_ids(&self) -> Vec<ParticipantId> {
        self.participants.keys().copied().collect()
    }

    fn name_of(&self, id: ParticipantId) -> String {
        self.participants
            .get(&id)
            .map(|p| p.info.name.clone())
            .unwrap_or_default()
    }
}

/// The key of a participant in the capture: participant ids are small counters per room.
fn key_of(id: ParticipantId) -> u32 {
    u32::try_from(id.0).unwrap_or(u32::MAX)
}
