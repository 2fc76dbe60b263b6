//! Access to a room and what moderators may do in it: moderator keys, bans, the lock, the meeting
//! password with its brute-force delay, the lobby, and the moderator actions.
//!
//! Invariants (the permission table in the tests checks them):
//! - Every [`ModeratorAction`] is refused from a participant who is not a moderator.
//! - No action turns anyone's microphone or camera on: a moderator can switch them off or ask.
//!   The participant alone switches them on again (`SetMedia`), and until then the room forwards
//!   nothing of that device (see `room::media`).
//! - A moderator key (from the moderator link) passes the ban, the lock, the password and the lobby.
//! - The password is kept as an argon2id hash; after [`FREE_ATTEMPTS`] wrong ones in a row, every
//!   further attempt waits twice as long as the one before (capped at [`MAX_DELAY`]).

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use treff_shared::{
    ErrorCode, LogEvent, ModeratorAction, ParticipantId, ParticipantInfo, RoomSettings, ServerMsg,
};

use super::{JoinRequest, Room};
use crate::meetings::{self, MeetingKeys};
use crate::signalling::{Fault, Outgoing};

/// Wrong passwords allowed in a row before the delay starts.
pub const FREE_ATTEMPTS: u32 = 3;
/// The longest wait between password attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(300);

/// Someone in the lobby.
struct Waiter {
    info: ParticipantInfo,
    out: mpsc::Sender<Outgoing>,
    addr: Option<IpAddr>,
}

/// A room's access state.
pub struct Access {
    keys: MeetingKeys,
    settings: RoomSettings,
    password_hash: Option<String>,
    wrong_passwords: u32,
    next_attempt: Option<Instant>,
    banned: HashSet<IpAddr>,
    waiting: BTreeMap<ParticipantId, Waiter>,
}

impl Access {
    /// An open room: no lock, no lobby, no password, nobody banned.
    pub fn new(keys: MeetingKeys) -> Self {
        Self {
            keys,
            settings: RoomSettings::default(),
            password_hash: None,
            wrong_passwords: 0,
            next_attempt: None,
            banned: HashSet::new(),
            waiting: BTreeMap::new(),
        }
    }

    /// Lock, lobby and password, as everyone sees them.
    pub fn settings(&self) -> RoomSettings {
        self.settings
    }

    /// How many wait in the lobby.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The queues of those waiting (they hear of the end of the meeting too).
    pub fn waiting_outs(&self) -> impl Iterator<Item = &mpsc::Sender<Outgoing>> {
        self.waiting.values().map(|w| &w.out)
    }

    /// Checks a password attempt, counting wrong ones.
    fn check_password(&mut self, now: Instant, given: Option<&str>) -> Result<(), ErrorCode> {
        let Some(hash) = &self.password_hash else {
            return Ok(());
        };
        if self.next_attempt.is_some_and(|at| now < at) {
            return Err(ErrorCode::TooManyAttempts);
        }
        let Some(given) = given else {
            return Err(ErrorCode::PasswordRequired);
        };
        if meetings::verify_password(given, hash) {
            self.wrong_passwords = 0;
            self.next_attempt = None;
            return Ok(());
        }
        self.wrong_passwords += 1;
        if let Some(excess) = self.wrong_passwords.checked_sub(FREE_ATTEMPTS + 1) {
            let delay = Duration::from_secs(1u64 << excess.min(16)).min(MAX_DELAY);
            self.next_attempt = Some(now + delay);
        }
        Err(ErrorCode::WrongPassword)
    }
}

impl Room {
    /// Whether `request` may come in, and as moderator or not.
    pub(super) fn admission(
        &mut self,
        now: Instant,
        request: &JoinRequest,
    ) -> Result<bool, ErrorCode> {
        let moderator = request
            .moderator_key
            .as_deref()
            .is_some_and(|key| self.access.keys.is_moderator_key(&self.id, key));
        if moderator {
            return Ok(true);
        }
        if request
            .client
            .addr
            .is_some_and(|a| self.access.banned.contains(&a))
        {
            return Err(ErrorCode::Banned);
        }
        if self.access.settings.locked {
            return Err(ErrorCode::RoomLocked);
        }
        self.access
            .check_password(now, request.password.as_deref())?;
        Ok(false)
    }

    /// Puts a newcomer into the lobby and tells the moderators.
    pub(super) fn wait_in_lobby(
        &mut self,
        info: ParticipantInfo,
        out: mpsc::Sender<Outgoing>,
        addr: Option<IpAddr>,
    ) {
        let _ = out.try_send(Outgoing::Msg(ServerMsg::Waiting));
        self.tell_moderators(&ServerMsg::Knocking {
            participant: info.clone(),
        });
        self.access
            .waiting
            .insert(info.id, Waiter { info, out, addr });
    }

    /// A waiting newcomer left (or their socket closed): their queue, or `None` if `id` was not
    /// waiting.
    pub(super) fn withdraw(
        &mut self,
        now: Instant,
        id: ParticipantId,
    ) -> Option<mpsc::Sender<Outgoing>> {
        let waiter = self.take_waiter(id)?;
        self.log_lobby_leave(now, id);
        Some(waiter.out)
    }

    /// The session log's `Leave` of someone who never got past the lobby (those who did are
    /// logged as they depart, see `Room::settle`).
    fn log_lobby_leave(&mut self, now: Instant, id: ParticipantId) {
        let at = self.wall_ms(now);
        self.session_log.record(at, id, LogEvent::Leave, None);
    }

    /// Takes `id` out of the lobby (admitted, denied or gone) and tells the moderators.
    fn take_waiter(&mut self, id: ParticipantId) -> Option<Waiter> {
        let waiter = self.access.waiting.remove(&id)?;
        self.tell_moderators(&ServerMsg::KnockEnded { id });
        Some(waiter)
    }

    fn admit(&mut self, now: Instant, id: ParticipantId) -> Result<(), ErrorCode> {
        let w = self.take_waiter(id).ok_or(ErrorCode::UnknownParticipant)?;
        self.enter(now, w.info, w.out, w.addr);
        Ok(())
    }

    pub(super) fn tell_moderators(&mut self, msg: &ServerMsg) {
        let moderators: Vec<_> = self
            .participants
            .values()
            .filter(|p| p.info.moderator)
            .map(|p| p.info.id)
            .collect();
        for id in moderators {
            self.send(id, msg.clone());
        }
    }

    pub(super) fn is_moderator(&self, id: ParticipantId) -> bool {
        self.participants.get(&id).is_some_and(|p| p.info.moderator)
    }

    /// Switches a participant's microphone and/or camera off and tells them and everyone.
    fn turn_off(
        &mut self,
        now: Instant,
        id: ParticipantId,
        mic: bool,
        cam: bool,
    ) -> Result<(), ErrorCode> {
        let p = self
            .participants
            .get_mut(&id)
            .ok_or(ErrorCode::UnknownParticipant)?;
        let before = p.devices();
        p.info.mic &= !mic;
        p.info.cam &= !cam;
        let state = ServerMsg::MediaState {
            id,
            mic: p.info.mic,
            cam: p.info.cam,
            screen: p.info.screen,
        };
        self.devices_changed(now, id, before);
        self.send(id, ServerMsg::TurnedOff { mic, cam });
        self.broadcast_except(id, state);
        Ok(())
    }

    /// Carries out a moderator's action, or tells the sender why not.
    pub(super) fn moderate(&mut self, now: Instant, from: ParticipantId, action: ModeratorAction) {
        if let Err(code) = self.try_moderate(now, from, action) {
            let message = match code {
                ErrorCode::NotModerator => "only a moderator may do that",
                _ => "nobody of that id is in the meeting",
            };
            self.send(from, ServerMsg::error(code, message));
        }
    }

    fn try_moderate(
        &mut self,
        now: Instant,
        from: ParticipantId,
        action: ModeratorAction,
    ) -> Result<(), ErrorCode> {
        if !self.is_moderator(from) {
            return Err(ErrorCode::NotModerator);
        }
        let present = |room: &Room, id| {
            room.participants
                .contains_key(&id)
                .then_some(id)
                .ok_or(ErrorCode::UnknownParticipant)
        };
        match action {
            ModeratorAction::MakeModerator { id } => {
                let p = self
                    .participants
                    .get_mut(&id)
                    .ok_or(ErrorCode::UnknownParticipant)?;
                p.info.moderator = true;
                self.broadcast(ServerMsg::RoleChanged {
                    id,
                    moderator: true,
                });
            }
            ModeratorAction::Mute { id } => self.turn_off(now, id, true, false)?,
            ModeratorAction::StopVideo { id } => self.turn_off(now, id, false, true)?,
            ModeratorAction::MuteAll => {
                let others: Vec<_> = self
                    .participants
                    .keys()
                    .copied()
                    .filter(|id| *id != from)
                    .collect();
                for id in others {
                    self.turn_off(now, id, true, false)?;
                }
            }
            ModeratorAction::AskToUnmute { id } => {
                let id = present(self, id)?;
                self.send(id, ServerMsg::UnmuteAsked);
            }
            ModeratorAction::Remove { id, ban } => {
                let id = present(self, id)?;
                if ban && let Some(addr) = self.participants.get(&id).and_then(|p| p.addr) {
                    self.access.banned.insert(addr);
                }
                self.send(id, ServerMsg::Removed { banned: ban });
                self.close(id, Fault::REMOVED);
            }
            ModeratorAction::EndForAll => self.end_now = true,
            ModeratorAction::SetLock { locked } => {
                self.access.settings.locked = locked;
                self.broadcast_settings();
            }
            ModeratorAction::SetLobby { enabled } => {
                self.access.settings.lobby = enabled;
                if !enabled {
                    let waiting: Vec<_> = self.access.waiting.keys().copied().collect();
                    for id in waiting {
                        self.admit(now, id)?;
                    }
                }
                self.broadcast_settings();
            }
            ModeratorAction::SetPassword { password } => {
                let password = password.filter(|p| !p.is_empty());
                self.access.password_hash = password
                    .map(|p| meetings::hash_password(&p, meetings::meeting_password_params()));
                self.access.settings.password = self.access.password_hash.is_some();
                self.access.wrong_passwords = 0;
                self.access.next_attempt = None;
                self.broadcast_settings();
            }
            ModeratorAction::Admit { id } => self.admit(now, id)?,
            ModeratorAction::Deny { id } => {
                let w = self.take_waiter(id).ok_or(ErrorCode::UnknownParticipant)?;
                self.log_lobby_leave(now, id);
                let _ = w.out.try_send(Outgoing::Msg(ServerMsg::error(
                    ErrorCode::EntryDenied,
                    "a moderator did not let you in",
                )));
                let _ = w.out.try_send(Outgoing::Close(Fault::DENIED));
            }
        }
        Ok(())
    }

    fn broadcast_settings(&mut self) {
        let settings = self.access.settings;
        self.broadcast(ServerMsg::Settings { settings });
    }
}
