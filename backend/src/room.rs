//! One conference: its participants, their media peers, its chat and attachments, owned by a single
//! task from the first join until the conference ends and everything of it is deleted.
//!
//! Socket handlers and the UDP demux only send this task commands and datagrams over channels; no
//! lock guards room state. The logic is the synchronous [`Room`] (inputs in, messages and datagrams
//! out); [`run`] is the thin async shell around it.
//!
//! Invariants:
//! - The server stamps identity: a command carries the participant id the signalling session got at
//!   join, never one the client sent.
//! - A participant's outgoing queue is bounded; when it is full the participant is dropped, so one
//!   slow browser never stalls the others.
//! - The room holds names, media state, chat and the attachment key in memory only; they go with the
//!   participant or the conference (R8). The conference ends when its last participant leaves by
//!   choice, or when the room has been empty for `Limits::empty_room_grace_ms` (a reload or a short
//!   network loss does not end it). Then [`Room::end`] deletes everything and logs a content-free
//!   deletion receipt; whoever is present (or just left as the last) sees the receipt too.
//! - `/api` requests are authorised by the participant's token, never by knowing a URL; a token
//!   lives exactly as long as its participant is present.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};
use treff_shared::{
    Attachment, AttachmentId, ChatMessage, ClientMsg, DeletionReceipt, ErrorCode, HttpToken,
    Limits, LogEvent, ParticipantId, ParticipantInfo, RoomId, ServerMsg,
};

use crate::attachments::{DownloadTicket, Store, UploadTicket};
use crate::chat::{self, Chat, Post};
use crate::holds::{HoldMeta, Holds};
use crate::meetings::MeetingKeys;
use crate::rate::TokenBucket;
use crate::recording::capture::Recorder;
use crate::sfu::{Datagram, Inbox, Peer};
use crate::signalling::{Fault, INVALID_NAME, Outgoing};

mod consent;
mod hold;
mod last_n;
mod layers;
mod media;
mod moderation;
mod recording;
mod resume;
mod rights;
mod session_log;

pub use consent::ConsentRecord;
use media::Devices;
pub use media::MediaContext;
pub use resume::{Gone, ResumeRequest};
pub use session_log::Client;
use session_log::SessionLog;

/// Someone who wants in, as their signalling session passes them on.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// Display name, already checked with `Limits::check_name`.
    pub name: String,
    /// Microphone on at entry.
    pub mic: bool,
    /// Camera on at entry.
    pub cam: bool,
    /// The moderator key from a moderator link, if any.
    pub moderator_key: Option<String>,
    /// The meeting password, if any.
    pub password: Option<String>,
    /// What the request said about the client: its address (which a moderator's ban holds on
    /// to), browser and referrer, for the session log. Memory only, never logged.
    pub client: Client,
    /// The session's outgoing queue.
    pub out: mpsc::Sender<Outgoing>,
}

/// What a signalling session asks of the room.
#[derive(Debug)]
pub enum Command {
    /// A checked name wants in. The reply carries the new id (in the room, or waiting in the lobby
    /// under that id), or why not.
    Join {
        /// Who, and with what.
        request: JoinRequest,
        /// Answered at once: `Joined` or `Waiting` is queued by then, or the join was refused.
        reply: oneshot::Sender<Result<ParticipantId, ErrorCode>>,
    },
    /// A message from a joined participant (`Answer`, `SetMedia`, `Leave`).
    Client {
        /// Who sent it, as stamped by the session.
        from: ParticipantId,
        /// The message.
        msg: ClientMsg,
    },
    /// The participant's socket closed: they are "reconnecting" for `Limits::resume_window_ms`,
    /// then gone (see `resume`).
    Disconnected {
        /// Who.
        id: ParticipantId,
        /// The socket's queue: a socket already replaced by a resumed one changes nothing.
        out: mpsc::Sender<Outgoing>,
        /// How it ended.
        how: Gone,
    },
    /// A participant whose socket dropped comes back on a new one (`ClientMsg::Resume`).
    Resume {
        /// Who, with their secret and new socket.
        request: ResumeRequest,
        /// Answered at once: `Joined` is queued by then, or `ResumeRefused`.
        reply: oneshot::Sender<Result<ParticipantId, ErrorCode>>,
    },
    /// An `/api` request, with the secret part of the participant's token.
    Api {
        /// The token's secret; the room knows whose it is, if anyone's.
        secret: String,
        /// What the request said about the client, for the session log.
        client: Client,
        /// What is asked.
        request: ApiRequest,
    },
    /// Whether a recording exists (for the pre-join page).
    RecordingStatus {
        /// The answer.
        reply: oneshot::Sender<bool>,
    },
    /// A recording's output job made progress (from the job, while the room lasts).
    RecordingJob {
        /// The recording's id.
        id: String,
        /// Where the job stands.
        job: treff_shared::JobState,
    },
    /// An operator puts the session log on hold for a security incident (`treff admin hold`).
    Hold {
        /// Why, as the operator says.
        reason: String,
        /// How long; the maximum when `None`.
        duration: Option<Duration>,
        /// The hold, or why not.
        reply: oneshot::Sender<Result<HoldMeta, String>>,
    },
    /// Offer everyone an ICE restart (`treff admin ice-restart`, development builds only: tests
    /// prove that media comes back after one).
    RestartIce,
    /// The server is shutting down: end the conference now, the normal way, and tell everyone the
    /// server is restarting.
    Shutdown,
    /// An upload handler finished writing (or gave up on) the file of an [`UploadTicket`].
    UploadDone {
        /// Which upload.
        id: AttachmentId,
        /// The sanitised file name and the bytes written, or `None` if the upload failed.
        outcome: Option<(String, u64)>,
        /// The attachment as chat will show it, or `None` if the upload is not wanted any more
        /// (failed, its uploader left, or the conference ended).
        reply: oneshot::Sender<Option<Attachment>>,
    },
}

/// What an `/api` request asks of the room. Each is refused with `ErrorCode::Unauthorized` when the
/// token belongs to nobody present.
#[derive(Debug)]
pub enum ApiRequest {
    /// Reserve room for an upload of this many bytes.
    BeginUpload {
        /// The declared `Content-Length`.
        size: u64,
        /// Where to write, or why not.
        reply: oneshot::Sender<Result<UploadTicket, ErrorCode>>,
    },
    /// Read an attachment.
    Download {
        /// Which.
        id: AttachmentId,
        /// How to read it, or `NotFound` for anything not visible to this participant.
        reply: oneshot::Sender<Result<DownloadTicket, ErrorCode>>,
    },
}

impl ApiRequest {
    fn refuse(self, code: ErrorCode) {
        // The handler may have gone (client hung up); nothing to tell then.
        match self {
            Self::BeginUpload { reply, .. } => drop(reply.send(Err(code))),
            Self::Download { reply, .. } => drop(reply.send(Err(code))),
        }
    }
}

/// What every conference of a server shares: its limits, where files go, and the services it uses.
#[derive(Clone)]
pub struct Environment {
    /// All limits.
    pub limits: Limits,
    /// The server's attachment directory; the conference makes its own directory inside.
    pub attachment_dir: PathBuf,
    /// What checks moderator keys.
    pub keys: MeetingKeys,
    /// What starts recordings; `None` when the server has recording switched off.
    pub recorder: Option<Arc<dyn Recorder>>,
    /// Where a session log on hold is kept past the end; `None`: no holds (room tests).
    pub holds: Option<Arc<Holds>>,
    /// The version of the privacy notice the server runs under, for "My data".
    pub notice_version: Arc<str>,
    /// The operator's TURN server, if one is configured: every `Joined` carries fresh credentials.
    pub turn: Option<Arc<crate::turn::Turn>>,
    /// The server's counters (counts only).
    pub metrics: crate::metrics::Metrics,
}

/// What a conference is made of besides its participants: its id and its server's environment.
#[derive(Clone)]
pub struct Conference {
    /// The room id (the prefix of every token, so `/api` requests find their room).
    pub id: RoomId,
    /// What it shares with every conference of the server.
    pub env: Environment,
}

struct Participant {
    info: ParticipantInfo,
    out: mpsc::Sender<Outgoing>,
    peer: Peer,
    /// The secret part of this participant's `/api` token.
    secret: String,
    /// Their reactions' rate.
    reactions: TokenBucket,
    /// Their address, for a ban (memory only, never logged).
    addr: Option<IpAddr>,
    /// When their microphone went off, while its m-lines linger (see `media::AUDIO_LINGER`).
    mic_off_since: Option<Instant>,
    /// The secret of `ClientMsg::Resume`, replaced by every `Joined` (memory only).
    resume: String,
    /// Since when their socket is gone, while they may resume (see `resume`); the one source of
    /// `ParticipantInfo::away`, which `info` leaves `false`.
    away_since: Option<Instant>,
    /// When their last media datagram came: a silent socket with live media is "reconnecting", a
    /// silent socket with silent media is gone.
    last_datagram: Option<Instant>,
    /// Counts them in `/metrics` while they are in the room.
    _counted: crate::metrics::Held,
    /// Counts their peer under its ICE state.
    ice: crate::metrics::InState,
    /// Their simulcast layers, as publisher and receiver.
    layers: layers::Layers,
}

impl Participant {
    fn devices(&self) -> Devices {
        Devices {
            mic: self.info.mic,
            cam: self.info.cam,
            screen: self.info.screen,
        }
    }
}

/// A conference's state, driven by [`run`].
pub struct Room {
    id: RoomId,
    /// The server's counters.
    metrics: crate::metrics::Metrics,
    /// Counts this conference as open while it exists.
    _open: crate::metrics::Held,
    limits: Limits,
    media: MediaContext,
    /// This room's datagram queue, for the routes of its peers.
    datagrams: Inbox,
    /// The packet loop's state.
    plane: media::Plane,
    /// Someone left: offer everyone what changed at the end of this input.
    renegotiate: bool,
    /// Who left since the last input was settled (id, name), for the recording's consent.
    departed: Vec<(ParticipantId, String)>,
    /// What starts recordings.
    recorder: Option<Arc<dyn Recorder>>,
    /// The recording, while one exists.
    recording: Option<recording::Recording>,
    /// The room's own command queue, for the output job's progress notices.
    commands: Option<mpsc::WeakSender<Command>>,
    participants: BTreeMap<ParticipantId, Participant>,
    next_id: u64,
    chat: Chat,
    attachments: Store,
    /// Token secret → participant, for `/api` requests.
    tokens: HashMap<String, ParticipantId>,
    /// When the conference began, in both clocks: the monotonic one drives everything, the wall
    /// clock only stamps messages and the receipt.
    started: (Instant, SystemTime),
    /// Joins so far, for the receipt.
    joins: u64,
    /// Since when nobody is here.
    empty_since: Option<Instant>,
    /// The last participant left by choice, a moderator ended it for all or the server shuts
    /// down: end without waiting for the grace period.
    end_now: bool,
    /// How the sockets are closed at the end: "the conference ended", or "the server is restarting".
    closing: Fault,
    /// Queues of participants who left as the last: they still get the deletion receipt.
    witnesses: Vec<mpsc::Sender<Outgoing>>,
    /// Lock, lobby, password, bans and who waits.
    access: moderation::Access,
    /// Who joined, uploaded, downloaded and left (R7); goes with the room unless on hold.
    session_log: SessionLog,
    /// Where the session log goes if an operator puts it on hold.
    holds: Option<Arc<Holds>>,
    /// The privacy notice's version, for "My data".
    notice_version: Arc<str>,
    /// The operator's TURN server, for the credentials in `Joined`.
    turn: Option<Arc<crate::turn::Turn>>,
}

impl Room {
    /// An empty room whose peers get datagrams through `datagrams`.
    pub fn new(
        conference: Conference,
        media: MediaContext,
        datagrams: Inbox,
        now: Instant,
    ) -> Self {
        let Conference {
            id,
            env:
                Environment {
                    limits,
                    attachment_dir,
                    keys,
                    recorder,
                    holds,
                    notice_version,
                    turn,
                    metrics,
                },
        } = conference;
        Self {
            id,
            _open: metrics.conference(),
            metrics,
            session_log: SessionLog::new(limits.session_log_max_entries),
            holds,
            notice_version,
            turn,
            chat: Chat::new(limits.clone()),
            attachments: Store::new(limits.clone(), attachment_dir),
            limits,
            media,
            datagrams,
            plane: media::Plane::default(),
            renegotiate: false,
            departed: Vec::new(),
            recorder,
            recording: None,
            commands: None,
            participants: BTreeMap::new(),
            next_id: 1,
            tokens: HashMap::new(),
            started: (now, SystemTime::now()),
            joins: 0,
            empty_since: None,
            end_now: false,
            closing: Fault::ENDED,
            witnesses: Vec::new(),
            access: moderation::Access::new(keys),
        }
    }

    /// Gives the room its own command queue (weakly: it must not keep itself alive), through which
    /// the output job of a recording reports progress.
    pub fn set_commands(&mut self, commands: mpsc::WeakSender<Command>) {
        self.commands = Some(commands);
    }

    /// Wall-clock milliseconds since the Unix epoch at monotonic time `now`. The start is truncated
    /// to whole milliseconds before the elapsed milliseconds are added, so that differences of two
    /// such times are exactly the elapsed milliseconds (no rounding carry from the start).
    fn wall_ms(&self, now: Instant) -> u64 {
        let (mono, wall) = self.started;
        let start = crate::recording::store::millis(wall);
        let elapsed =
            u64::try_from(now.saturating_duration_since(mono).as_millis()).unwrap_or(u64::MAX);
        start.saturating_add(elapsed)
    }

    /// True when nobody is in the room.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// Handles one command from a signalling session.
    pub fn command(&mut self, now: Instant, cmd: Command) {
        match cmd {
            Command::Join { request, reply } => {
                let result = self.join(now, request);
                // The session may have gone meanwhile; then its disconnect follows and cleans up.
                let _ = reply.send(result);
            }
            Command::Client { from, msg } => self.client_message(now, from, msg),
            Command::Disconnected { id, out, how } => {
                if self.withdraw(now, id).is_none() {
                    self.disconnected(now, id, &out, how);
                }
            }
            Command::Resume { request, reply } => {
                let _ = reply.send(self.resume(now, request));
            }
            Command::Api {
                secret,
                client,
                request,
            } => self.api(now, &secret, &client, request),
            Command::RecordingStatus { reply } => {
                let _ = reply.send(self.recording.is_some());
            }
            Command::RecordingJob { id, job } => {
                self.tell_moderators(&ServerMsg::RecordingJob { id, job });
            }
            Command::RestartIce => {
                let ids: Vec<_> = self.participants.keys().copied().collect();
                for id in ids {
                    self.restart_ice(now, id);
                }
            }
            Command::Shutdown => {
                self.end_now = true;
                self.closing = Fault::GOING_AWAY;
            }
            Command::Hold {
                reason,
                duration,
                reply,
            } => {
                let _ = reply.send(self.hold(reason, duration));
            }
            Command::UploadDone { id, outcome, reply } => {
                let attachment = match outcome {
                    Some((name, size)) => self.attachments.finish_upload(&id, name, size),
                    None => None,
                };
                if attachment.is_none() {
                    self.attachments.abort_upload(&id);
                }
                let _ = reply.send(attachment);
            }
        }
        self.settle(now);
    }

    /// What follows from departures, once per input: their answers to a recording no longer
    /// count, and everyone still here is offered what changed (the leavers' m-lines go inactive).
    /// Departures happen deep inside other actions (a full queue drops a participant), where the
    /// time is not at hand, so they are settled here.
    fn settle(&mut self, now: Instant) {
        for (id, name) in std::mem::take(&mut self.departed) {
            self.session_log
                .record(self.wall_ms(now), id, LogEvent::Leave, None);
            self.recording_departure(now, id, &name);
        }
        if std::mem::take(&mut self.renegotiate) {
            self.negotiate_all(now);
        }
    }

    fn api(&mut self, now: Instant, secret: &str, client: &Client, request: ApiRequest) {
        let Some(&who) = self.tokens.get(secret) else {
            request.refuse(ErrorCode::Unauthorized);
            return;
        };
        let event = match request {
            ApiRequest::BeginUpload { .. } => LogEvent::Upload,
            ApiRequest::Download { .. } => LogEvent::Download,
        };
        self.session_log
            .record(self.wall_ms(now), who, event, Some(client));
        match request {
            ApiRequest::BeginUpload { size, reply } => {
                let _ = reply.send(self.attachments.begin_upload(who, size));
            }
            ApiRequest::Download { id, reply } => {
                let ticket = self.attachments.download(&id, who);
                let _ = reply.send(ticket.ok_or(ErrorCode::NotFound));
            }
        }
    }

    /// Checks access (key, ban, lock, password, room size); lets the newcomer in, or into the lobby.
    fn join(&mut self, now: Instant, request: JoinRequest) -> Result<ParticipantId, ErrorCode> {
        let moderator = self.admission(now, &request)?;
        if self.participants.len() + self.access.waiting() >= self.limits.room_max_participants {
            return Err(ErrorCode::RoomFull);
        }
        let id = ParticipantId(self.next_id);
        self.next_id += 1;
        let JoinRequest {
            name,
            mic,
            cam,
            client,
            out,
            ..
        } = request;
        self.session_log
            .record(self.wall_ms(now), id, LogEvent::Join, Some(&client));
        let addr = client.addr;
        let info = ParticipantInfo {
            id,
            name,
            mic,
            cam,
            hand: None,
            moderator,
            screen: false,
            away: false,
        };
        if self.access.settings().lobby && !moderator {
            self.wait_in_lobby(info, out, addr);
        } else {
            self.enter(now, info, out, addr);
        }
        Ok(id)
    }

    /// Lets a participant in: peers, token, `Joined`, and everyone else hears of them.
    fn enter(
        &mut self,
        now: Instant,
        info: ParticipantInfo,
        out: mpsc::Sender<Outgoing>,
        addr: Option<IpAddr>,
    ) {
        let id = info.id;
        let peer = self.new_peer(now, id);
        for p in self.participants.values() {
            let _ = p.out.try_send(Outgoing::Msg(ServerMsg::ParticipantJoined {
                participant: info.clone(),
            }));
        }
        let secret = random_secret();
        self.tokens.insert(secret.clone(), id);
        self.participants.insert(
            id,
            Participant {
                info,
                out,
                peer,
                secret,
                reactions: TokenBucket::new(
                    now,
                    self.limits.reactions_burst,
                    f64::from(self.limits.reactions_per_minute) / 60.0,
                ),
                addr,
                mic_off_since: None,
                resume: String::new(),
                away_since: None,
                last_datagram: None,
                _counted: self.metrics.participant(),
                ice: self.metrics.peer(),
                layers: layers::Layers::default(),
            },
        );
        self.joins += 1;
        // Asked at once if a recording exists; capture pauses until their yes.
        self.recording_arrival(now, id);
        self.send_joined(id);
        // The newcomer's first offer has its publish m-lines and everyone's tracks that are on;
        // everyone already here is offered the newcomer's tracks that are on.
        self.negotiate_all(now);
        tracing::info!(participants = self.participants.len(), "participant joined");
    }

    fn client_message(&mut self, now: Instant, from: ParticipantId, msg: ClientMsg) {
        match msg {
            ClientMsg::Answer { sdp } => self.answer(now, from, &sdp),
            ClientMsg::SetMedia { mic, cam, screen } => {
                let Some(p) = self.participants.get_mut(&from) else {
                    return;
                };
                let before = p.devices();
                p.info.mic = mic;
                p.info.cam = cam;
                p.info.screen = screen;
                self.devices_changed(now, from, before);
                self.broadcast_except(
                    from,
                    ServerMsg::MediaState {
                        id: from,
                        mic,
                        cam,
                        screen,
                    },
                );
            }
            ClientMsg::Moderate { action } => self.moderate(now, from, action),
            ClientMsg::Leave => {
                // The room closes the socket (a normal closure), after anything still queued for it.
                if let Some(out) = self.withdraw(now, from) {
                    let _ = out.try_send(Outgoing::Close(Fault::LEFT));
                    return;
                }
                let Some(out) = self.participants.get(&from).map(|p| p.out.clone()) else {
                    return;
                };
                self.leave(from);
                if self.participants.is_empty() {
                    // The last one left by choice: the conference ends now, and they see its
                    // receipt before the socket closes.
                    self.end_now = true;
                    self.witnesses.push(out);
                } else {
                    let _ = out.try_send(Outgoing::Close(Fault::LEFT));
                }
            }
            ClientMsg::RaiseHand { raised } => {
                let at = self.wall_ms(now);
                let Some(p) = self.participants.get_mut(&from) else {
                    return;
                };
                // Raising a raised hand keeps its place in the queue.
                p.info.hand = if raised {
                    p.info.hand.or(Some(at))
                } else {
                    None
                };
                let msg = ServerMsg::Hand {
                    id: from,
                    raised_at_ms: p.info.hand,
                };
                self.broadcast(msg);
            }
            ClientMsg::React { reaction } => {
                let Some(p) = self.participants.get_mut(&from) else {
                    return;
                };
                if p.reactions.take(now) {
                    self.broadcast(ServerMsg::Reacted { id: from, reaction });
                } else {
                    let message = "too many reactions; wait a moment";
                    self.send(
                        from,
                        ServerMsg::error(ErrorCode::ReactionRateLimited, message),
                    );
                }
            }
            ClientMsg::Chat {
                text,
                to,
                attachment,
            } => {
                if let Err(code) = self.chat_message(now, from, &text, to, attachment) {
                    self.send(from, ServerMsg::error(code, chat_error_message(code)));
                }
            }
            ClientMsg::Recording { action } => {
                if let Err(code) = self.recording_action(now, from, action) {
                    self.send(from, recording_error(code));
                }
            }
            ClientMsg::Consent { consent } => {
                if let Err(code) = self.consent(now, from, consent) {
                    self.send(from, recording_error(code));
                }
            }
            ClientMsg::MyData => self.my_data(from),
            ClientMsg::Rename { name } => {
                if let Err(code) = self.rename(from, &name) {
                    self.send(from, ServerMsg::error(code, INVALID_NAME));
                }
            }
            ClientMsg::Tiles { tiles } => self.tiles(now, from, tiles),
            ClientMsg::EraseMessage { id } => {
                if let Err(code) = self.erase_message(from, id) {
                    self.send(from, ServerMsg::error(code, "no such message of yours"));
                }
            }
            // The session only forwards the messages above; anything else is a bug there.
            ClientMsg::Hello { .. } | ClientMsg::Join { .. } | ClientMsg::Resume { .. } => {
                tracing::warn!("room got a session-level message");
            }
        }
    }

    /// Files and delivers a chat message: to everyone (the sender included, so every screen shows the
    /// server's stamped version), or to the sender and the addressee only.
    fn chat_message(
        &mut self,
        now: Instant,
        from: ParticipantId,
        text: &str,
        to: Option<ParticipantId>,
        attachment: Option<AttachmentId>,
    ) -> Result<(), ErrorCode> {
        let name = self
            .participants
            .get(&from)
            .map(|p| p.info.name.clone())
            .ok_or(ErrorCode::NotJoined)?;
        if to.is_some_and(|to| to == from || !self.participants.contains_key(&to)) {
            return Err(ErrorCode::UnknownRecipient);
        }
        let text = self.chat.check(now, from, text, attachment.is_some())?;
        let attachment = attachment
            .map(|id| self.attachments.claim(&id, from, to))
            .transpose()?;
        let post = Post {
            from,
            name: &name,
            to,
            attachment,
            sent_at_ms: self.wall_ms(now),
        };
        let message = self.chat.post(post, text);
        self.capture_chat(&message);
        for id in self.chat_audience(&message) {
            self.send(
                id,
                ServerMsg::Chat {
                    message: message.clone(),
                },
            );
        }
        Ok(())
    }

    /// Those present who may see `message`.
    fn chat_audience(&self, message: &ChatMessage) -> Vec<ParticipantId> {
        self.participants
            .keys()
            .copied()
            .filter(|id| chat::may_see(message, *id))
            .collect()
    }

    fn leave(&mut self, id: ParticipantId) {
        let Some(mut gone) = self.participants.remove(&id) else {
            return;
        };
        self.tokens.remove(&gone.secret);
        self.chat.forget(id);
        self.attachments.forget_unsent(id);
        self.drop_peer(id, &mut gone.peer);
        self.broadcast_except(id, ServerMsg::ParticipantLeft { id });
        self.renegotiate = true;
        self.departed.push((id, gone.info.name));
        tracing::info!(participants = self.participants.len(), "participant left");
    }

    /// Tells participant `id` who they are and how the room stands now (`Joined`), with a fresh
    /// resume secret: after entering, and again after resuming.
    fn send_joined(&mut self, id: ParticipantId) {
        let resume = random_secret();
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        p.resume.clone_from(&resume);
        let token = HttpToken(format!("{}.{}", self.id, p.secret));
        // Own entry last for a newcomer: ids grow, so BTreeMap order is join order.
        let participants = self
            .participants
            .values()
            .map(|p| ParticipantInfo {
                away: p.away_since.is_some(),
                ..p.info.clone()
            })
            .collect::<Vec<_>>();
        let joined = ServerMsg::Joined {
            you: id,
            participants,
            chat: self.chat.visible_to(id),
            token,
            settings: self.access.settings(),
            recording: self.recording_state(),
            resume,
            resume_window_ms: self.limits.resume_window_ms,
            // The participant id as the TURN user: opaque, and gone with the conference.
            ice_servers: self
                .turn
                .iter()
                .map(|turn| turn.ice_server(&id.to_string(), SystemTime::now()))
                .collect(),
        };
        self.send(id, joined);
    }

    /// Sends `msg` to everyone, the participant it is about included (the UI acts on the echo).
    fn broadcast(&mut self, msg: ServerMsg) {
        let ids: Vec<_> = self.participants.keys().copied().collect();
        for id in ids {
            self.send(id, msg.clone());
        }
    }

    fn broadcast_except(&mut self, except: ParticipantId, msg: ServerMsg) {
        let ids: Vec<_> = self
            .participants
            .keys()
            .copied()
            .filter(|id| *id != except)
            .collect();
        for id in ids {
            self.send(id, msg.clone());
        }
    }

    /// Queues a message for one participant; one whose queue is full is too slow and is dropped.
    /// One whose socket dropped gets nothing: `Joined` brings them up to date when they resume.
    fn send(&mut self, to: ParticipantId, msg: ServerMsg) {
        let Some(p) = self
            .participants
            .get(&to)
            .filter(|p| p.away_since.is_none())
        else {
            return;
        };
        if let Err(e) = p.out.try_send(Outgoing::Msg(msg)) {
            if matches!(e, mpsc::error::TrySendError::Full(_)) {
                self.metrics.send_queue_full();
            }
            tracing::info!("dropping a participant whose connection is too slow or gone");
            self.leave(to);
        }
    }

    /// Removes a participant and closes its socket with `fault` (the session then ends).
    fn close(&mut self, id: ParticipantId, fault: Fault) {
        if let Some(p) = self.participants.get(&id) {
            let _ = p.out.try_send(Outgoing::Close(fault));
        }
        self.leave(id);
    }

    /// Whether the conference is over at `now`: nobody is here, and either the last one left by
    /// choice or the grace period has run out. Call it after every input: the first call that sees
    /// the room empty starts the grace period.
    pub fn is_over(&mut self, now: Instant) -> bool {
        if self.end_now {
            // The last one left by choice, or a moderator ended the meeting for all.
            return true;
        }
        if !self.participants.is_empty() {
            self.empty_since = None;
            return false;
        }
        let since = *self.empty_since.get_or_insert(now);
        self.end_now || now >= since + self.grace()
    }

    /// When the grace period of an empty room runs out.
    pub fn grace_deadline(&self) -> Option<Instant> {
        self.empty_since.map(|since| since + self.grace())
    }

    fn grace(&self) -> Duration {
        // At least a second: a fresh room is empty until its first join arrives a moment later.
        Duration::from_millis(self.limits.empty_room_grace_ms.max(1000))
    }

    /// Ends the conference and deletes everything of it: participants and peers with their routes,
    /// names, chat, tokens, attachment files and key. Logs the content-free receipt, sends it to
    /// whoever is present or just left as the last, and returns it.
    pub fn end(mut self, now: Instant) -> DeletionReceipt {
        // A recording ends with the meeting; what it captured goes on to its output job.
        self.settle(now);
        self.stop_recording(now, None);
        let purged = self.attachments.purge();
        self.seal_hold(now);
        let receipt = DeletionReceipt {
            started_at_ms: self.wall_ms(self.started.0),
            ended_at_ms: self.wall_ms(now),
            participants: self.joins,
            messages: self.chat.len() as u64,
            files: purged.files,
            bytes: purged.bytes,
        };
        let mut present = std::mem::take(&mut self.participants);
        for p in present.values_mut() {
            self.unroute(&mut p.peer);
        }
        let ended = Outgoing::Msg(ServerMsg::Ended {
            receipt: receipt.clone(),
            restarting: self.closing == Fault::GOING_AWAY,
        });
        let waiting = self.access.waiting_outs();
        for out in present
            .values()
            .map(|p| &p.out)
            .chain(&self.witnesses)
            .chain(waiting)
        {
            let _ = out.try_send(ended.clone());
            let _ = out.try_send(Outgoing::Close(self.closing));
        }
        tracing::info!(
            started_at_ms = receipt.started_at_ms,
            ended_at_ms = receipt.ended_at_ms,
            participants = receipt.participants,
            messages = receipt.messages,
            files = receipt.files,
            bytes = receipt.bytes,
            session_log_entries = self.session_log.len(),
            session_log_omitted = self.session_log.omitted(),
            "conference ended; names, chat, attachments and the session log deleted"
        );
        // `self` (chat, tokens, the attachment key, the session log) is dropped here.
        receipt
    }
}

/// The user error for a refused recording action or answer.
fn recording_error(code: ErrorCode) -> ServerMsg {
    let message = match code {
        ErrorCode::NotModerator => "only a moderator may propose or stop a recording",
        ErrorCode::RecordingExists => "a recording exists already",
        ErrorCode::NoRecording => "there is no recording",
        _ => "recording is not available on this server",
    };
    ServerMsg::error(code, message)
}

/// The English explanation for a refused chat message (the UI shows its own translation).
fn chat_error_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::ChatEmpty => "the message is empty",
        ErrorCode::ChatTooLong => "the message is too long",
        ErrorCode::ChatRateLimited => "too many messages; wait a moment",
        ErrorCode::ChatFull => "this meeting's chat is full",
        ErrorCode::UnknownRecipient => "the addressee is not in the meeting",
        ErrorCode::UnknownAttachment => "the attachment is unknown or already sent",
        _ => "the message was refused",
    }
}

/// A token secret: 32 bytes from the OS random source, URL-safe base64.
fn random_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The room task: owns the [`Room`] until the conference is over, then calls `on_end` and ends it.
pub async fn run(
    mut room: Room,
    mut commands: mpsc::Receiver<Command>,
    mut datagrams: mpsc::Receiver<Vec<Datagram>>,
    on_end: impl FnOnce(),
) {
    // A room with no timer at all (nobody in it yet) still checks in now and then.
    const IDLE_WAKE: Duration = Duration::from_secs(3600);
    loop {
        let now = Instant::now();
        if room.is_over(now) {
            break;
        }
        let wake = [
            room.drive(now),
            room.grace_deadline(),
            room.away_deadline(),
            room.layers_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + IDLE_WAKE);
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(cmd) => room.command(Instant::now(), cmd),
                None => break,
            },
            Some(batch) = datagrams.recv() => {
                room.datagrams(batch);
                // Whatever else is queued is handled before the peers are polled: one poll per
                // peer then serves every packet of the burst.
                while let Ok(batch) = datagrams.try_recv() {
                    room.datagrams(batch);
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
    }
    // Deregister first, then drop the queue: a join that raced with the end loses its reply and the
    // session retries, now finding no room and opening a fresh one.
    on_end();
    drop(commands);
    room.end(Instant::now());
}

#[cfg(test)]
mod tests;
