//! Coming back after a dropped socket: a participant whose WebSocket closes stays in the meeting as
//! "reconnecting" for `Limits::resume_window_ms` and resumes on a new socket as themselves (same
//! id, name, role, hand, chat, attachment rights, media state and recording answer).
//!
//! Invariants:
//! - The resume secret is handed out in `Joined`, replaced by every `Joined`, compared in constant
//!   time and held in memory only; it is valid only while the participant is in this conference.
//! - While away, a participant is sent nothing and offered nothing; when they resume, `Joined`
//!   brings them up to date and one offer (with an ICE restart, as their network may have changed)
//!   renegotiates media. The others see `Connection { away }`, never a leave and a join.
//! - A second socket resuming the same participant replaces the first, which is closed.
//! - Only a dropped socket is resumable. A socket the client closed (a close frame with 1000 or
//!   1001: a reload, a closed tab) is a leave, at once; so is a socket that died of silence (no
//!   pong for `Limits::peer_timeout_ms`) whose media is silent just as long: it had its time. When
//!   the window runs out, the participant leaves for real.

use std::time::{Duration, Instant};

use subtle::ConstantTimeEq as _;
use tokio::sync::mpsc;
use treff_shared::{ErrorCode, LogEvent, ParticipantId, ServerMsg};

use super::{Client, Room};
use crate::signalling::{Fault, Outgoing};

/// How a participant's socket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// The client closed it (close frame with 1000, 1001 or no code): they left or reloaded.
    Closed,
    /// It broke (no close frame, an error, or a close code of trouble): they may resume.
    Dropped,
    /// Nothing came for `Limits::peer_timeout_ms` (the liveness timeout).
    Silent,
}

/// A participant's new socket asks to be them again.
#[derive(Debug)]
pub struct ResumeRequest {
    /// Who they say they are.
    pub id: ParticipantId,
    /// The resume secret from their last `Joined`.
    pub secret: String,
    /// What the new request said about the client, for the session log.
    pub client: Client,
    /// The new socket's queue.
    pub out: mpsc::Sender<Outgoing>,
}

impl Room {
    fn resume_window(&self) -> Duration {
        Duration::from_millis(self.limits.resume_window_ms)
    }

    /// Participant `id`'s socket (with queue `out`) ended `how`.
    pub(super) fn disconnected(
        &mut self,
        now: Instant,
        id: ParticipantId,
        out: &mpsc::Sender<Outgoing>,
        how: Gone,
    ) {
        let timeout = Duration::from_millis(self.limits.peer_timeout_ms);
        let window = self.resume_window();
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        if !p.out.same_channel(out) {
            // A socket this participant resumed away from: they are on the new one.
            return;
        }
        let media_silent = p
            .last_datagram
            .is_none_or(|at| now.saturating_duration_since(at) >= timeout);
        let gone = match how {
            Gone::Closed => true,
            Gone::Dropped => window.is_zero(),
            Gone::Silent => window.is_zero() || media_silent,
        };
        if gone {
            self.leave(id);
            return;
        }
        p.away_since = Some(now);
        // Let go of the dead socket's queue: its writer ends (and the client's close handshake
        // completes) only when no sender is left.
        p.out = mpsc::channel(1).0;
        // Its answer will never come: the offer is made again, whole, when they are back.
        p.peer.abandon_offer();
        self.unroute_retired(id);
        self.broadcast_except(id, ServerMsg::Connection { id, away: true });
        tracing::info!("a participant's connection dropped; waiting for them to resume");
    }

    /// A new socket resumes participant `request.id`: it replaces the old socket (if that still
    /// lives), gets `Joined` and an offer with an ICE restart.
    pub(super) fn resume(
        &mut self,
        now: Instant,
        request: ResumeRequest,
    ) -> Result<ParticipantId, ErrorCode> {
        let ResumeRequest {
            id,
            secret,
            client,
            out,
        } = request;
        let window = self.resume_window();
        let p = self
            .participants
            .get_mut(&id)
            .filter(|p| bool::from(p.resume.as_bytes().ct_eq(secret.as_bytes())))
            .filter(|p| p.away_since.is_none_or(|since| now < since + window))
            .ok_or(ErrorCode::ResumeRefused)?;
        if p.away_since.is_none() {
            // The old socket still lives (or its close is not here yet): the new one replaces it.
            let _ = p.out.try_send(Outgoing::Close(Fault::REPLACED));
            p.peer.abandon_offer();
        }
        p.out = out;
        p.away_since = None;
        if client.addr.is_some() {
            p.addr = client.addr;
        }
        self.unroute_retired(id);
        let at = self.wall_ms(now);
        self.session_log
            .record(at, id, LogEvent::Resume, Some(&client));
        self.broadcast_except(id, ServerMsg::Connection { id, away: false });
        self.send_joined(id);
        self.restart_ice(now, id);
        tracing::info!("a participant resumed");
        Ok(id)
    }

    /// Lets those whose window ran out by `now` leave for real.
    pub(super) fn expire_away(&mut self, now: Instant) {
        let window = self.resume_window();
        let expired: Vec<ParticipantId> = self
            .participants
            .iter()
            .filter(|(_, p)| p.away_since.is_some_and(|since| now >= since + window))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.leave(id);
        }
    }

    /// When the next window runs out, if anyone is away.
    pub fn away_deadline(&self) -> Option<Instant> {
        let window = self.resume_window();
        self.participants
            .values()
            .filter_map(|p| p.away_since)
            .min()
            .map(|since| since + window)
    }
}
