//! Consent to a recording: who answered what, and whether capture may run (R5).
//!
//! Invariants (the table in `tests/recording.rs` checks them):
//! - Capture runs only while every participant present has answered yes. No answer counts as no;
//!   an empty room captures nothing.
//! - Only a participant's own answer ([`Consents::answer`]) sets their answer. Nothing anyone else
//!   does (a proposal, a moderator's action, someone joining or leaving) makes anyone a yes.
//! - A newcomer arrives without an answer, so capture pauses until they say yes. Whoever leaves no
//!   longer counts and their answer is forgotten: if they come back, they are asked again.
//! - Everything is also written into the record ([`ConsentRecord`]) that goes with the recording as
//!   `consent.json`: every answer, arrival and departure with the name at that moment, and the spans
//!   during which capture ran. That record is the one place where names outlive the meeting, inside a
//!   recording everyone present agreed to.

use std::collections::BTreeMap;

use serde::Serialize;
use treff_shared::{Consent, ConsentAnswer, ParticipantId, RecordingState};

/// The consent state of a recording, from its proposal until it stops.
#[derive(Debug)]
pub struct Consents {
    since_ms: u64,
    answers: BTreeMap<ParticipantId, Consent>,
    capturing: bool,
    record: ConsentRecord,
}

/// A change of the capture that the room must act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// Capture starts (or resumes): every present participant said yes.
    Runs,
    /// Capture pauses.
    Paused,
}

/// Who did what when, for `consent.json`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ConsentRecord {
    /// When the recording was proposed (ms since the Unix epoch).
    pub proposed_at_ms: u64,
    /// Every answer, arrival and departure, in order.
    pub events: Vec<RecordEntry>,
    /// When capture ran: start and end (ms since the Unix epoch).
    pub capture: Vec<Span>,
    /// When the recording stopped.
    pub stopped_at_ms: Option<u64>,
}

/// One line of the consent record.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RecordEntry {
    /// When (ms since the Unix epoch).
    pub at_ms: u64,
    /// The participant's display name at that moment.
    pub name: String,
    /// What happened.
    pub event: RecordEvent,
}

/// What happened, in the consent record.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecordEvent {
    /// Proposed the recording (a moderator; this is not a yes).
    Proposed,
    /// Was present when it was proposed, or joined while it existed.
    Present,
    /// Said yes.
    Yes,
    /// Said no.
    No,
    /// Withdrew an earlier yes.
    Withdrew,
    /// Left the meeting.
    Left,
}

/// A span of capture.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct Span {
    /// Start (ms since the Unix epoch).
    pub start_ms: u64,
    /// End, once it ended.
    pub end_ms: Option<u64>,
}

impl Consents {
    /// A recording proposed at `now_ms` by `proposer` (a name, for the record), with `present`
    /// (id and name) in the room. Nobody has answered: capture does not run.
    pub fn propose(now_ms: u64, proposer: &str, present: &[(ParticipantId, &str)]) -> Self {
        let mut record = ConsentRecord {
            proposed_at_ms: now_ms,
            ..ConsentRecord::default()
        };
        record.note(now_ms, proposer, RecordEvent::Proposed);
        for (_, name) in present {
            record.note(now_ms, name, RecordEvent::Present);
        }
        Self {
            since_ms: now_ms,
            answers: BTreeMap::new(),
            capturing: false,
            record,
        }
    }

    /// Whether capture runs now.
    pub fn capturing(&self) -> bool {
        self.capturing
    }

    /// The participant's own answer. Returns the change of capture it causes, if any, given who is
    /// present now.
    pub fn answer(
        &mut self,
        now_ms: u64,
        who: (ParticipantId, &str),
        consent: Consent,
        present: &[ParticipantId],
    ) -> Option<Capture> {
        let before = self.answers.insert(who.0, consent);
        let event = match (before, consent) {
            (_, Consent::Yes) => RecordEvent::Yes,
            (Some(Consent::Yes), Consent::No) => RecordEvent::Withdrew,
            (_, Consent::No) => RecordEvent::No,
        };
        self.record.note(now_ms, who.1, event);
        self.update(now_ms, present)
    }

    /// Someone joined (or was admitted from the lobby) while the recording exists: they have not
    /// answered, so capture pauses.
    pub fn arrive(
        &mut self,
        now_ms: u64,
        who: (ParticipantId, &str),
        present: &[ParticipantId],
    ) -> Option<Capture> {
        // A fresh participant id never has an answer; the removal is for clarity, not needed.
        self.answers.remove(&who.0);
        self.record.note(now_ms, who.1, RecordEvent::Present);
        self.update(now_ms, present)
    }

    /// Someone left: their answer is forgotten and no longer counts.
    pub fn depart(
        &mut self,
        now_ms: u64,
        who: (ParticipantId, &str),
        present: &[ParticipantId],
    ) -> Option<Capture> {
        self.answers.remove(&who.0);
        self.record.note(now_ms, who.1, RecordEvent::Left);
        self.update(now_ms, present)
    }

    /// Recomputes whether capture may run with `present` in the room.
    fn update(&mut self, now_ms: u64, present: &[ParticipantId]) -> Option<Capture> {
        let all_yes = !present.is_empty()
            && present
                .iter()
                .all(|id| self.answers.get(id) == Some(&Consent::Yes));
        if all_yes == self.capturing {
            return None;
        }
        self.capturing = all_yes;
        if all_yes {
            self.record.capture.push(Span {
                start_ms: now_ms,
                end_ms: None,
            });
            Some(Capture::Runs)
        } else {
            self.record.end_span(now_ms);
            Some(Capture::Paused)
        }
    }

    /// `who`'s current answer, if they gave one.
    pub fn answer_of(&self, who: ParticipantId) -> Option<Consent> {
        self.answers.get(&who).copied()
    }

    /// The recording as everyone sees it: the answers of those present.
    pub fn state(&self, present: &[ParticipantId]) -> RecordingState {
        RecordingState {
            capturing: self.capturing,
            answers: present
                .iter()
                .filter_map(|id| {
                    let consent = *self.answers.get(id)?;
                    Some(ConsentAnswer { id: *id, consent })
                })
                .collect(),
            since_ms: self.since_ms,
        }
    }

    /// Stops the recording at `now_ms` and returns its record.
    pub fn stop(mut self, now_ms: u64) -> ConsentRecord {
        if self.capturing {
            self.record.end_span(now_ms);
        }
        self.record.stopped_at_ms = Some(now_ms);
        self.record
    }
}

impl ConsentRecord {
    fn note(&mut self, at_ms: u64, name: &str, event: RecordEvent) {
        self.events.push(RecordEntry {
            at_ms,
            name: name.to_owned(),
            event,
        });
    }

    fn end_span(&mut self, now_ms: u64) {
        if let Some(span) = self.capture.last_mut()
            && span.end_ms.is_none()
        {
            span.end_ms = Some(now_ms);
        }
    }
}
