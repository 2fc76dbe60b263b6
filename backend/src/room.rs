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
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use str0m::crypto::CryptoProvider;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use treff_shared::{
    Attachment, AttachmentId, ClientMsg, DeletionReceipt, ErrorCode, HttpToken, Limits,
    ParticipantId, ParticipantInfo, RoomId, ServerMsg, TrackKind,
};

use crate::attachments::{DownloadTicket, Store, UploadTicket};
use crate::chat::{self, Chat, Post};
use crate::media_socket::{Datagram, Routes};
use crate::meetings::MeetingKeys;
use crate::rate::TokenBucket;
use crate::sfu::{AnswerError, Peer, PeerEvent};
use crate::signalling::{Fault, Outgoing};

mod moderation;

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
    /// The client's address: kept in the room's memory only, so a moderator's ban can hold.
    pub addr: Option<IpAddr>,
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
    /// The participant's socket closed.
    Disconnected {
        /// Who.
        id: ParticipantId,
    },
    /// An `/api` request, with the secret part of the participant's token.
    Api {
        /// The token's secret; the room knows whose it is, if anyone's.
        secret: String,
        /// What is asked.
        request: ApiRequest,
    },
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

/// What a conference is made of besides its participants: its id, limits and where files go.
#[derive(Clone)]
pub struct Conference {
    /// The room id (the prefix of every token, so `/api` requests find their room).
    pub id: RoomId,
    /// All limits.
    pub limits: Limits,
    /// The server's attachment directory; the conference makes its own directory inside.
    pub attachment_dir: PathBuf,
    /// What checks moderator keys.
    pub keys: MeetingKeys,
}

/// Shared, read-only facts every room needs to make peers.
#[derive(Clone)]
pub struct MediaContext {
    /// The public address of the UDP socket, announced as ICE candidate.
    pub candidate: SocketAddr,
    /// The socket, for sending.
    pub socket: Arc<UdpSocket>,
    /// The demux table.
    pub routes: Routes,
    /// DTLS/SRTP crypto.
    pub crypto: Arc<CryptoProvider>,
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
}

/// A conference's state, driven by [`run`].
pub struct Room {
    id: RoomId,
    limits: Limits,
    media: MediaContext,
    datagrams: mpsc::Sender<Datagram>,
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
    /// The last participant left by choice: end without waiting for the grace period.
    end_now: bool,
    /// Queues of participants who left as the last: they still get the deletion receipt.
    witnesses: Vec<mpsc::Sender<Outgoing>>,
    /// Lock, lobby, password, bans and who waits.
    access: moderation::Access,
}

impl Room {
    /// An empty room whose peers get datagrams through `datagrams`.
    pub fn new(
        conference: Conference,
        media: MediaContext,
        datagrams: mpsc::Sender<Datagram>,
        now: Instant,
    ) -> Self {
        let Conference {
            id,
            limits,
            attachment_dir,
            keys,
        } = conference;
        Self {
            id,
            chat: Chat::new(limits.clone()),
            attachments: Store::new(limits.clone(), attachment_dir),
            limits,
            media,
            datagrams,
            participants: BTreeMap::new(),
            next_id: 1,
            tokens: HashMap::new(),
            started: (now, SystemTime::now()),
            joins: 0,
            empty_since: None,
            end_now: false,
            witnesses: Vec::new(),
            access: moderation::Access::new(keys),
        }
    }

    /// Wall-clock milliseconds since the Unix epoch at monotonic time `now`.
    fn wall_ms(&self, now: Instant) -> u64 {
        let (mono, wall) = self.started;
        let at = wall + now.saturating_duration_since(mono);
        at.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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
            Command::Disconnected { id } => {
                if !self.withdraw(id) {
                    self.leave(id);
                }
            }
            Command::Api { secret, request } => self.api(&secret, request),
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
    }

    fn api(&mut self, secret: &str, request: ApiRequest) {
        let Some(&who) = self.tokens.get(secret) else {
            request.refuse(ErrorCode::Unauthorized);
            return;
        };
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
            addr,
            out,
            ..
        } = request;
        let info = ParticipantInfo {
            id,
            name,
            mic,
            cam,
            hand: None,
            moderator,
            screen: false,
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
        let (ufrag, pass) = ice_credentials();
        let mut peer = Peer::new(
            now,
            self.media.candidate,
            ufrag.clone(),
            pass,
            self.media.crypto.clone(),
        );
        self.media.routes.register(ufrag, self.datagrams.clone());
        // The newcomer receives everyone already here...
        for p in self.participants.values() {
            if let Some(mids) = p.peer.publish_mids() {
                peer.add_publisher(p.info.id, mids);
            }
        }
        for p in self.participants.values() {
            let _ = p.out.try_send(Outgoing::Msg(ServerMsg::ParticipantJoined {
                participant: info.clone(),
            }));
        }
        let secret = random_secret();
        self.tokens.insert(secret.clone(), id);
        let token = HttpToken(format!("{}.{secret}", self.id));
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
            },
        );
        self.joins += 1;
        let participants = self
            .participants
            .values()
            .map(|p| p.info.clone())
            .collect::<Vec<_>>();
        // Own entry last: ids grow, so BTreeMap order is join order and the newcomer is the highest.
        self.send(
            id,
            ServerMsg::Joined {
                you: id,
                participants,
                chat: self.chat.visible_to(id),
                token,
                settings: self.access.settings(),
            },
        );
        // ...and everyone already here receives the newcomer, once its publish m-lines exist.
        self.negotiate(id);
        if let Some(mids) = self
            .participants
            .get(&id)
            .and_then(|p| p.peer.publish_mids())
        {
            for (other_id, other) in self.participants.iter_mut() {
                if *other_id != id {
                    other.peer.add_publisher(id, mids);
                }
            }
        }
        self.negotiate_all();
        tracing::info!(participants = self.participants.len(), "participant joined");
    }

    fn client_message(&mut self, now: Instant, from: ParticipantId, msg: ClientMsg) {
        match msg {
            ClientMsg::Answer { sdp } => {
                let Some(p) = self.participants.get_mut(&from) else {
                    return;
                };
                match p.peer.accept_answer(&sdp) {
                    Ok(opened) => {
                        // A receiver that just got a video m-line wants a picture now, not at the
                        // publisher's next periodic keyframe.
                        for source in opened {
                            if let Some(owner) = self.participants.get_mut(&source.owner) {
                                owner.peer.request_keyframe(
                                    now,
                                    source.mid,
                                    str0m::media::KeyframeRequestKind::Pli,
                                );
                            }
                        }
                        self.negotiate(from);
                    }
                    Err(AnswerError::Fatal) => {
                        self.send(from, invalid_sdp(AnswerError::Fatal));
                        self.close(from, Fault::REFUSED_SDP);
                    }
                    Err(e) => {
                        self.send(from, invalid_sdp(e));
                        // A refused (not merely unparsable) answer put its changes back: offer again.
                        self.negotiate(from);
                    }
                }
            }
            ClientMsg::SetMedia { mic, cam, screen } => {
                let Some(p) = self.participants.get_mut(&from) else {
                    return;
                };
                let camera_came_on = cam && !p.info.cam;
                p.info.mic = mic;
                p.info.cam = cam;
                // Video of a camera that was off was not forwarded (see `propagate`): the
                // receivers need a keyframe to start from.
                let screen_came_on = screen && !p.info.screen;
                p.info.screen = screen;
                if let Some(publish) = p.peer.publish_mids() {
                    let pli = str0m::media::KeyframeRequestKind::Pli;
                    if camera_came_on {
                        p.peer.request_keyframe(now, publish.video, pli);
                    }
                    if screen_came_on {
                        p.peer.request_keyframe(now, publish.screen, pli);
                    }
                }
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
                if self.withdraw(from) {
                    return;
                }
                let out = self.participants.get(&from).map(|p| p.out.clone());
                self.leave(from);
                if self.participants.is_empty() {
                    // The last one left by choice: the conference ends now, and they see its receipt.
                    self.end_now = true;
                    self.witnesses.extend(out);
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
                    self.send(
                        from,
                        ServerMsg::Error {
                            code: ErrorCode::ReactionRateLimited,
                            message: "too many reactions; wait a moment".to_owned(),
                        },
                    );
                }
            }
            ClientMsg::Chat {
                text,
                to,
                attachment,
            } => {
                if let Err(code) = self.chat_message(now, from, &text, to, attachment) {
                    self.send(
                        from,
                        ServerMsg::Error {
                            code,
                            message: chat_error_message(code).to_owned(),
                        },
                    );
                }
            }
            // The session only forwards the messages above; anything else is a bug there.
            ClientMsg::Hello { .. } | ClientMsg::Join { .. } => {
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
        let audience: Vec<_> = self
            .participants
            .keys()
            .copied()
            .filter(|id| chat::may_see(&message, *id))
            .collect();
        for id in audience {
            self.send(
                id,
                ServerMsg::Chat {
                    message: message.clone(),
                },
            );
        }
        Ok(())
    }

    fn leave(&mut self, id: ParticipantId) {
        let Some(gone) = self.participants.remove(&id) else {
            return;
        };
        self.tokens.remove(&gone.secret);
        self.chat.forget(id);
        self.attachments.forget_unsent(id);
        self.media.routes.remove(gone.peer.ufrag());
        for p in self.participants.values_mut() {
            p.peer.remove_owner(id);
        }
        self.broadcast_except(id, ServerMsg::ParticipantLeft { id });
        self.negotiate_all();
        tracing::info!(participants = self.participants.len(), "participant left");
    }

    /// Hands a datagram to its peer.
    pub fn datagram(&mut self, d: Datagram) {
        if let Some(p) = self
            .participants
            .values_mut()
            .find(|p| *p.peer.ufrag() == d.ufrag)
        {
            p.peer.receive(d.at, d.source, d.destination, &d.data);
        }
    }

    /// Runs every peer until it waits, passes media and keyframe requests between them, and returns
    /// when the room next needs to be woken.
    pub fn drive(&mut self, now: Instant) -> Instant {
        let socket = self.media.socket.clone();
        let mut send = |to: SocketAddr, bytes: &[u8]| {
            // Never wait on the socket: a full send buffer loses this datagram like a network would.
            let _ = socket.try_send_to(bytes, to);
        };
        let mut events = Vec::new();
        loop {
            let mut next = now + std::time::Duration::from_secs(1);
            for p in self.participants.values_mut() {
                let mut mine = Vec::new();
                next = next.min(p.peer.poll(now, &mut send, &mut mine));
                events.extend(mine.into_iter().map(|e| (p.info.id, e)));
            }
            if events.is_empty() {
                return next;
            }
            for (from, event) in events.drain(..) {
                self.propagate(now, from, event);
            }
        }
    }

    fn propagate(&mut self, now: Instant, from: ParticipantId, event: PeerEvent) {
        match event {
            PeerEvent::Media(data) => {
                // The server forwards only what the publisher has switched on: a participant a
                // moderator muted is silent for everyone even if their browser keeps sending.
                let switched_on = self.participants.get(&from).is_some_and(|p| {
                    match p.peer.publish_mids().and_then(|m| m.kind_of(data.mid)) {
                        Some(TrackKind::Audio) => p.info.mic,
                        Some(TrackKind::Video) => p.info.cam,
                        Some(TrackKind::Screen) => p.info.screen,
                        None => false,
                    }
                });
                if !switched_on {
                    return;
                }
                for (id, p) in self.participants.iter_mut() {
                    if *id != from {
                        p.peer.forward(from, &data);
                    }
                }
            }
            PeerEvent::KeyframeRequest { source, kind } => {
                if let Some(owner) = self.participants.get_mut(&source.owner) {
                    owner.peer.request_keyframe(now, source.mid, kind);
                }
            }
        }
    }

    fn negotiate(&mut self, id: ParticipantId) {
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        if let Some(offer) = p.peer.negotiate() {
            self.send(id, offer);
        }
    }

    fn negotiate_all(&mut self) {
        let ids: Vec<_> = self.participants.keys().copied().collect();
        for id in ids {
            self.negotiate(id);
        }
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
    fn send(&mut self, to: ParticipantId, msg: ServerMsg) {
        let Some(p) = self.participants.get(&to) else {
            return;
        };
        if p.out.try_send(Outgoing::Msg(msg)).is_err() {
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
        let purged = self.attachments.purge();
        let receipt = DeletionReceipt {
            started_at_ms: self.wall_ms(self.started.0),
            ended_at_ms: self.wall_ms(now),
            participants: self.joins,
            messages: self.chat.len() as u64,
            files: purged.files,
            bytes: purged.bytes,
        };
        let present = std::mem::take(&mut self.participants);
        for p in present.values() {
            self.media.routes.remove(p.peer.ufrag());
        }
        let ended = Outgoing::Msg(ServerMsg::Ended {
            receipt: receipt.clone(),
        });
        let waiting = self.access.waiting_outs();
        for out in present
            .values()
            .map(|p| &p.out)
            .chain(&self.witnesses)
            .chain(waiting)
        {
            let _ = out.try_send(ended.clone());
            let _ = out.try_send(Outgoing::Close(Fault::ENDED));
        }
        tracing::info!(
            started_at_ms = receipt.started_at_ms,
            ended_at_ms = receipt.ended_at_ms,
            participants = receipt.participants,
            messages = receipt.messages,
            files = receipt.files,
            bytes = receipt.bytes,
            "conference ended; names, chat and attachments deleted"
        );
        // `self` (chat, tokens, the attachment key) is dropped here.
        receipt
    }
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

fn invalid_sdp(e: AnswerError) -> ServerMsg {
    ServerMsg::Error {
        code: ErrorCode::InvalidSdp,
        message: e.to_string(),
    }
}

/// Fresh ICE credentials: the ufrag routes this peer's STUN on the shared socket, the password
/// authenticates it, so both come from the OS's cryptographic random source.
fn ice_credentials() -> (Arc<str>, String) {
    use base64::Engine as _;
    let mut bytes = [0u8; 12 + 18];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // ICE allows only ALPHA / DIGIT / "+" / "/" in ufrag and password.
    let clean = |s: String| s.replace('-', "+").replace('_', "/");
    (
        clean(b64.encode(&bytes[..12])).into(),
        clean(b64.encode(&bytes[12..])),
    )
}

/// The room task: owns the [`Room`] until the conference is over, then calls `on_end` and ends it.
pub async fn run(
    mut room: Room,
    mut commands: mpsc::Receiver<Command>,
    mut datagrams: mpsc::Receiver<Datagram>,
    on_end: impl FnOnce(),
) {
    loop {
        let now = Instant::now();
        if room.is_over(now) {
            break;
        }
        let wake = room.drive(now);
        let wake = room.grace_deadline().map_or(wake, |g| g.min(wake));
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(cmd) => room.command(Instant::now(), cmd),
                None => break,
            },
            Some(d) = datagrams.recv() => room.datagram(d),
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
mod tests {
    //! The room driven directly, without WebSockets or browsers: joins, offers, leaves, limits.

    use super::*;
    use str0m::Rtc;
    use treff_shared::RemoteTrack;
    use treff_shared::{ModeratorAction, RoomSettings};

    async fn room(max: usize) -> (Room, mpsc::Receiver<Datagram>) {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind"));
        let candidate = socket.local_addr().expect("addr");
        let media = MediaContext {
            candidate,
            socket,
            routes: Routes::default(),
            crypto: Arc::new(str0m::crypto::from_feature_flags()),
        };
        let limits = Limits {
            room_max_participants: max,
            ..Limits::default()
        };
        let (tx, rx) = mpsc::channel(16);
        let conference = Conference {
            id: RoomId::from_random([1; 16]),
            limits,
            attachment_dir: std::env::temp_dir()
                .join(format!("treff-room-test-{}", std::process::id())),
            keys: test_keys(),
        };
        (Room::new(conference, media, tx, Instant::now()), rx)
    }

    /// The meeting keys of every test room, so tests can make moderator keys.
    fn test_keys() -> MeetingKeys {
        MeetingKeys::new([5; 32])
    }

    fn join(
        room: &mut Room,
        name: &str,
    ) -> (Result<ParticipantId, ErrorCode>, mpsc::Receiver<Outgoing>) {
        join_at(room, Instant::now(), name)
    }

    fn join_at(
        room: &mut Room,
        now: Instant,
        name: &str,
    ) -> (Result<ParticipantId, ErrorCode>, mpsc::Receiver<Outgoing>) {
        join_with(room, now, name, |_| {})
    }

    /// A join whose request `adjust` may change (key, password, address).
    fn join_with(
        room: &mut Room,
        now: Instant,
        name: &str,
        adjust: impl FnOnce(&mut JoinRequest),
    ) -> (Result<ParticipantId, ErrorCode>, mpsc::Receiver<Outgoing>) {
        let (out, rx) = mpsc::channel(64);
        let (reply, mut answer) = oneshot::channel();
        let mut request = JoinRequest {
            name: name.into(),
            mic: false,
            cam: true,
            moderator_key: None,
            password: None,
            addr: None,
            out,
        };
        adjust(&mut request);
        room.command(now, Command::Join { request, reply });
        (
            answer.try_recv().expect("the room answers a join at once"),
            rx,
        )
    }

    fn drain(rx: &mut mpsc::Receiver<Outgoing>) -> Vec<ServerMsg> {
        std::iter::from_fn(|| match rx.try_recv() {
            Ok(Outgoing::Msg(m)) => Some(m),
            _ => None,
        })
        .collect()
    }

    /// A message from a joined participant, as its session would pass it on.
    fn say(room: &mut Room, from: ParticipantId, msg: ClientMsg) {
        say_at(room, Instant::now(), from, msg);
    }

    fn say_at(room: &mut Room, now: Instant, from: ParticipantId, msg: ClientMsg) {
        room.command(now, Command::Client { from, msg });
    }

    /// The participant got exactly one message: the user error for a bad SDP answer.
    fn expect_only_invalid_sdp(rx: &mut mpsc::Receiver<Outgoing>) {
        let msgs = drain(rx);
        assert!(
            matches!(
                msgs.as_slice(),
                [ServerMsg::Error {
                    code: ErrorCode::InvalidSdp,
                    ..
                }]
            ),
            "{msgs:?}"
        );
    }

    fn offers(msgs: &[ServerMsg]) -> Vec<(&str, &Vec<RemoteTrack>)> {
        msgs.iter()
            .filter_map(|m| match m {
                ServerMsg::Offer { sdp, tracks, .. } => Some((sdp.as_str(), tracks)),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_newcomer_gets_everyone_and_everyone_gets_the_newcomer() {
        let (mut room, _d) = room(20).await;
        let (a, mut a_rx) = join(&mut room, "Anna");
        let a = a.expect("joins");
        let first = drain(&mut a_rx);
        assert!(
            matches!(&first[0], ServerMsg::Joined { you, participants, .. } if *you == a && participants.len() == 1)
        );
        let (sdp, tracks) = offers(&first)[0];
        assert!(tracks.is_empty(), "alone: nothing to receive");
        assert!(
            sdp.contains("a=ice-lite") && sdp.contains("a=recvonly"),
            "publish m-lines offered"
        );
        assert!(sdp.contains("VP8") && sdp.contains("opus") && !sdp.contains("H264"));

        let (b, mut b_rx) = join(&mut room, "Ben");
        let b = b.expect("joins");
        let to_b = drain(&mut b_rx);
        assert!(
            matches!(&to_b[0], ServerMsg::Joined { participants, .. } if participants.len() == 2)
        );
        let (_, tracks) = offers(&to_b)[0];
        let mut kinds: Vec<_> = tracks
            .iter()
            .filter(|t| t.participant == a)
            .map(|t| t.kind)
            .collect();
        kinds.sort_by_key(|k| *k as u8);
        assert_eq!(
            kinds,
            [TrackKind::Audio, TrackKind::Video, TrackKind::Screen],
            "B receives A's audio, camera and screen m-lines"
        );
        let to_a = drain(&mut a_rx);
        assert!(to_a.iter().any(|m| matches!(m, ServerMsg::ParticipantJoined { participant } if participant.id == b && participant.name == "Ben")));
        // A's first offer is still unanswered: A's renegotiation for B waits for that answer.
        assert!(offers(&to_a).is_empty(), "one offer in flight at a time");
    }

    #[tokio::test]
    async fn a_full_room_refuses_and_nobody_else_notices() {
        let (mut room, _d) = room(1).await;
        let (_, mut a_rx) = join(&mut room, "Anna");
        drain(&mut a_rx);
        let (refused, _) = join(&mut room, "Ben");
        assert_eq!(refused, Err(ErrorCode::RoomFull));
        assert!(drain(&mut a_rx).is_empty());
    }

    #[tokio::test]
    async fn leaving_tells_the_others_and_removes_the_route() {
        let (mut room, _d) = room(20).await;
        let (a, mut a_rx) = join(&mut room, "Anna");
        let (b, _b_rx) = join(&mut room, "Ben");
        let (a, b) = (a.expect("joins"), b.expect("joins"));
        assert_eq!(room.media.routes.peers(), 2);
        drain(&mut a_rx);
        say(&mut room, b, ClientMsg::Leave);
        let to_a = drain(&mut a_rx);
        assert!(to_a.contains(&ServerMsg::ParticipantLeft { id: b }));
        assert_eq!(room.media.routes.peers(), 1);
        room.command(Instant::now(), Command::Disconnected { id: a });
        assert!(room.is_empty());
        assert_eq!(room.media.routes.peers(), 0);
    }

    #[tokio::test]
    async fn media_state_is_relayed_with_the_stamped_sender() {
        let (mut room, _d) = room(20).await;
        let (a, _a_rx) = join(&mut room, "Anna");
        let (_b, mut b_rx) = join(&mut room, "Ben");
        let a = a.expect("joins");
        drain(&mut b_rx);
        say(
            &mut room,
            a,
            ClientMsg::SetMedia {
                mic: true,
                cam: false,
                screen: false,
            },
        );
        assert_eq!(
            drain(&mut b_rx),
            vec![ServerMsg::MediaState {
                id: a,
                mic: true,
                cam: false,
                screen: false,
            }]
        );
    }

    /// A real answer to an offer, made by a second str0m stack playing the browser.
    fn answer_for(offer: &ServerMsg) -> String {
        let ServerMsg::Offer { sdp, .. } = offer else {
            panic!("not an offer: {offer:?}")
        };
        let mut browser = Rtc::builder()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .build(Instant::now());
        let offer = str0m::change::SdpOffer::from_sdp_string(sdp).expect("our offer parses");
        browser
            .sdp_api()
            .accept_offer(offer)
            .expect("a browser accepts our offer")
            .to_sdp_string()
    }

    #[tokio::test]
    async fn a_garbage_answer_is_a_user_error_and_the_offer_stays_open() {
        let (mut room, _d) = room(20).await;
        let (a, mut a_rx) = join(&mut room, "Anna");
        let a = a.expect("joins");
        let offer = drain(&mut a_rx).pop().expect("an offer");
        for _ in 0..2 {
            let garbage = ClientMsg::Answer {
                sdp: "garbage".into(),
            };
            say(&mut room, a, garbage);
            expect_only_invalid_sdp(&mut a_rx);
        }
        let good = ClientMsg::Answer {
            sdp: answer_for(&offer),
        };
        say(&mut room, a, good);
        assert!(drain(&mut a_rx).is_empty(), "the real answer is taken");
        // Negotiation goes on: a newcomer's tracks reach A in a new offer.
        let (b, _b_rx) = join(&mut room, "Ben");
        let b = b.expect("joins");
        let msgs = drain(&mut a_rx);
        assert!(
            offers(&msgs)
                .iter()
                .any(|(_, tracks)| tracks.iter().any(|t| t.participant == b)),
            "{msgs:?}"
        );
    }

    #[tokio::test]
    async fn an_answer_without_an_offer_is_a_user_error() {
        let (mut room, _d) = room(20).await;
        let (a, mut a_rx) = join(&mut room, "Anna");
        let a = a.expect("joins");
        let offer = drain(&mut a_rx).pop().expect("an offer");
        let answer = answer_for(&offer);
        say(
            &mut room,
            a,
            ClientMsg::Answer {
                sdp: answer.clone(),
            },
        );
        say(&mut room, a, ClientMsg::Answer { sdp: answer });
        expect_only_invalid_sdp(&mut a_rx);
        assert!(!room.is_empty());
    }

    // ---- chat, the grace period and the purge, in simulated time ----

    fn chat(text: &str, to: Option<ParticipantId>) -> ClientMsg {
        ClientMsg::Chat {
            text: text.into(),
            to,
            attachment: None,
        }
    }

    /// The chat messages among `msgs`, as (sender, sender's name, text).
    fn chats(msgs: &[ServerMsg]) -> Vec<(ParticipantId, String, String)> {
        msgs.iter()
            .filter_map(|m| match m {
                ServerMsg::Chat { message } => {
                    Some((message.from, message.name.clone(), message.text.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn errors(msgs: &[ServerMsg]) -> Vec<ErrorCode> {
        msgs.iter()
            .filter_map(|m| match m {
                ServerMsg::Error { code, .. } => Some(*code),
                _ => None,
            })
            .collect()
    }

    fn history(msgs: &[ServerMsg]) -> Vec<String> {
        msgs.iter()
            .find_map(|m| match m {
                ServerMsg::Joined { chat, .. } => {
                    Some(chat.iter().map(|c| c.text.clone()).collect())
                }
                _ => None,
            })
            .expect("a Joined")
    }

    fn token_secret(msgs: &[ServerMsg]) -> String {
        msgs.iter()
            .find_map(|m| match m {
                ServerMsg::Joined { token, .. } => {
                    Some(token.0.split_once('.').expect("room.secret").1.to_owned())
                }
                _ => None,
            })
            .expect("a Joined")
    }

    /// Anna and Ben joined at `t0`, everything they were sent on joining read.
    fn anna_and_ben(
        room: &mut Room,
        t0: Instant,
    ) -> [(ParticipantId, mpsc::Receiver<Outgoing>); 2] {
        let mut both = ["Anna", "Ben"].map(|name| {
            let (id, rx) = join_at(room, t0, name);
            (id.expect("joins"), rx)
        });
        for (_, rx) in &mut both {
            drain(rx);
        }
        both
    }

    #[tokio::test]
    async fn chat_is_stamped_private_stays_private_and_late_joiners_get_the_history() {
        let (mut room, _d) = room(20).await;
        let t0 = Instant::now();
        let [(a, mut a_rx), (b, mut b_rx)] = anna_and_ben(&mut room, t0);
        say_at(&mut room, t0, a, chat("  hello all ", None));
        say_at(&mut room, t0, b, chat("psst", Some(a)));
        let to_a = chats(&drain(&mut a_rx));
        let to_b = chats(&drain(&mut b_rx));
        // The server's record of who sent it, whatever the session was told; text trimmed.
        let public = (a, "Anna".to_owned(), "hello all".to_owned());
        let private = (b, "Ben".to_owned(), "psst".to_owned());
        assert_eq!(to_a, [public.clone(), private.clone()]);
        assert_eq!(to_b, [public, private], "the sender gets their own echo");

        let (c, mut c_rx) = join_at(&mut room, t0, "Carl");
        let c = c.expect("joins");
        assert_eq!(
            history(&drain(&mut c_rx)),
            ["hello all"],
            "no private message in history"
        );
        say_at(&mut room, t0, a, chat("for Ben only", Some(b)));
        assert!(
            chats(&drain(&mut c_rx)).is_empty(),
            "Carl sees no private message"
        );
        assert_eq!(chats(&drain(&mut b_rx)).len(), 1);

        say_at(&mut room, t0, c, chat("to nobody", Some(ParticipantId(99))));
        say_at(&mut room, t0, c, chat("to myself", Some(c)));
        assert_eq!(
            errors(&drain(&mut c_rx)),
            [ErrorCode::UnknownRecipient, ErrorCode::UnknownRecipient]
        );
        let to_a = chats(&drain(&mut a_rx));
        assert_eq!(
            to_a.len(),
            1,
            "Anna's echo of her message to Ben, none of Carl's refused ones"
        );
    }

    #[tokio::test]
    async fn chat_length_and_rate_are_limited_with_an_error_to_the_sender_only() {
        let (mut room, _d) = room(20).await;
        let t0 = Instant::now();
        let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
        let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
        let a = a.expect("joins");
        b.expect("joins");
        drain(&mut a_rx);
        drain(&mut b_rx);
        let long = "x".repeat(room.limits.chat_max_chars + 1);
        say_at(&mut room, t0, a, chat(&long, None));
        for _ in 0..=room.limits.chat_burst {
            say_at(&mut room, t0, a, chat("spam", None));
        }
        let msgs = drain(&mut a_rx);
        assert_eq!(
            errors(&msgs),
            [ErrorCode::ChatTooLong, ErrorCode::ChatRateLimited]
        );
        assert_eq!(
            chats(&drain(&mut b_rx)).len(),
            room.limits.chat_burst as usize
        );
        // A couple of seconds later (60 per minute) the sender may write again.
        say_at(
            &mut room,
            t0 + Duration::from_secs(2),
            a,
            chat("again", None),
        );
        assert_eq!(chats(&drain(&mut b_rx)).len(), 1);
    }

    #[tokio::test]
    async fn an_empty_room_keeps_the_conference_for_the_grace_period_only() {
        let (mut room, _d) = room(20).await;
        let grace = Duration::from_millis(room.limits.empty_room_grace_ms);
        let t0 = Instant::now();
        let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
        let a = a.expect("joins");
        say_at(&mut room, t0, a, chat("before the reload", None));
        drain(&mut a_rx);
        // A reload: the socket drops, the same person comes back within the grace period.
        room.command(t0, Command::Disconnected { id: a });
        assert!(!room.is_over(t0));
        assert!(!room.is_over(t0 + grace - Duration::from_millis(1)));
        let t1 = t0 + grace - Duration::from_millis(1);
        let (a2, mut a2_rx) = join_at(&mut room, t1, "Anna");
        let a2 = a2.expect("joins");
        assert!(!room.is_over(t1));
        assert_eq!(history(&drain(&mut a2_rx)), ["before the reload"]);
        // Gone again: the grace period starts over, and when it runs out the conference is over.
        room.command(t1, Command::Disconnected { id: a2 });
        assert!(!room.is_over(t1));
        assert_eq!(room.grace_deadline(), Some(t1 + grace));
        assert!(!room.is_over(t1 + grace - Duration::from_millis(1)));
        assert!(room.is_over(t1 + grace));
        let receipt = room.end(t1 + grace);
        assert_eq!(receipt.messages, 1);
        assert_eq!(receipt.participants, 2);
        assert_eq!(
            receipt.ended_at_ms - receipt.started_at_ms,
            u64::try_from((t1 + grace - t0).as_millis()).expect("small")
        );
    }

    #[tokio::test]
    async fn the_last_to_leave_ends_the_conference_and_sees_the_receipt() {
        let (mut room, _d) = room(20).await;
        let t0 = Instant::now();
        let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
        let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
        let (a, b) = (a.expect("joins"), b.expect("joins"));
        say_at(&mut room, t0, a, chat("one", None));
        say_at(&mut room, t0, b, chat("two", Some(a)));
        say_at(&mut room, t0, b, ClientMsg::Leave);
        assert!(!room.is_over(t0), "Anna is still here");
        say_at(&mut room, t0, a, ClientMsg::Leave);
        assert!(
            room.is_over(t0),
            "no grace period after the last one left by choice"
        );
        let receipt = room.end(t0 + Duration::from_secs(5));
        let ended: Vec<_> = drain(&mut a_rx)
            .into_iter()
            .filter_map(|m| match m {
                ServerMsg::Ended { receipt } => Some(receipt),
                _ => None,
            })
            .collect();
        assert_eq!(
            ended,
            std::slice::from_ref(&receipt),
            "Anna, the last, sees the receipt"
        );
        assert!(
            !drain(&mut b_rx)
                .iter()
                .any(|m| matches!(m, ServerMsg::Ended { .. })),
            "Ben had left before the end"
        );
        assert_eq!((receipt.messages, receipt.participants), (2, 2));
        assert_eq!(receipt.ended_at_ms - receipt.started_at_ms, 5000);
    }

    /// Uploads `data` as participant with token `secret`, the way the HTTP handler does.
    async fn upload(room: &mut Room, secret: &str, data: &[u8]) -> Attachment {
        let (reply, mut answer) = oneshot::channel();
        room.command(
            Instant::now(),
            Command::Api {
                secret: secret.to_owned(),
                request: ApiRequest::BeginUpload {
                    size: data.len() as u64,
                    reply,
                },
            },
        );
        let ticket = answer.try_recv().expect("answered").expect("accepted");
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(
            bytes::Bytes::copy_from_slice(data),
        )]);
        let n = crate::attachments::write_encrypted(body, &ticket)
            .await
            .expect("written");
        let (reply, mut answer) = oneshot::channel();
        room.command(
            Instant::now(),
            Command::UploadDone {
                id: ticket.id.clone(),
                outcome: Some(("notes.txt".into(), n)),
                reply,
            },
        );
        answer.try_recv().expect("answered").expect("stored")
    }

    fn may_download(room: &mut Room, secret: &str, id: &AttachmentId) -> Result<(), ErrorCode> {
        let (reply, mut answer) = oneshot::channel();
        room.command(
            Instant::now(),
            Command::Api {
                secret: secret.to_owned(),
                request: ApiRequest::Download {
                    id: id.clone(),
                    reply,
                },
            },
        );
        answer.try_recv().expect("answered").map(|_| ())
    }

    #[tokio::test]
    async fn attachments_follow_their_message_and_the_end_purges_them() {
        let (mut room, _d) = room(20).await;
        let (a, mut a_rx) = join(&mut room, "Anna");
        let (b, mut b_rx) = join(&mut room, "Ben");
        let (c, mut c_rx) = join(&mut room, "Carl");
        let (a, b) = (a.expect("joins"), b.expect("joins"));
        c.expect("joins");
        let (sa, sb, sc) = (
            token_secret(&drain(&mut a_rx)),
            token_secret(&drain(&mut b_rx)),
            token_secret(&drain(&mut c_rx)),
        );
        let file = upload(&mut room, &sa, b"meeting notes").await;
        assert_eq!(
            may_download(&mut room, &sb, &file.id),
            Err(ErrorCode::NotFound),
            "unsent"
        );
        assert_eq!(
            may_download(&mut room, "forged", &file.id),
            Err(ErrorCode::Unauthorized)
        );
        // Someone else cannot send Anna's upload.
        say(
            &mut room,
            b,
            ClientMsg::Chat {
                text: String::new(),
                to: None,
                attachment: Some(file.id.clone()),
            },
        );
        assert_eq!(errors(&drain(&mut b_rx)), [ErrorCode::UnknownAttachment]);
        say(
            &mut room,
            a,
            ClientMsg::Chat {
                text: "for you".into(),
                to: Some(b),
                attachment: Some(file.id.clone()),
            },
        );
        let got = drain(&mut b_rx);
        assert!(
            got.iter().any(|m| matches!(m, ServerMsg::Chat { message } if message.attachment.as_ref() == Some(&file))),
            "Ben gets the message with the attachment"
        );
        assert_eq!(may_download(&mut room, &sb, &file.id), Ok(()));
        assert_eq!(
            may_download(&mut room, &sc, &file.id),
            Err(ErrorCode::NotFound),
            "private to Ben"
        );
        let dir = room
            .attachments
            .dir()
            .expect("made at the first upload")
            .to_owned();
        assert!(dir.join(file.id.as_str()).exists());
        // Ben leaves: his token is worthless at once.
        say(&mut room, b, ClientMsg::Leave);
        assert_eq!(
            may_download(&mut room, &sb, &file.id),
            Err(ErrorCode::Unauthorized)
        );
        let receipt = room.end(Instant::now());
        assert_eq!((receipt.files, receipt.bytes, receipt.messages), (1, 13, 1));
        assert!(!dir.exists(), "the conference's directory is gone");
    }

    // ---- hands and reactions ----

    #[tokio::test]
    async fn hands_queue_in_the_order_raised_and_everyone_sees_them() {
        let (mut room, _d) = room(20).await;
        let t0 = Instant::now();
        let [(a, mut a_rx), (b, mut b_rx)] = anna_and_ben(&mut room, t0);
        let hands = |msgs: Vec<ServerMsg>| -> Vec<(ParticipantId, Option<u64>)> {
            msgs.into_iter()
                .filter_map(|m| match m {
                    ServerMsg::Hand { id, raised_at_ms } => Some((id, raised_at_ms)),
                    _ => None,
                })
                .collect()
        };
        let start = room.wall_ms(t0);
        say_at(
            &mut room,
            t0 + Duration::from_secs(1),
            b,
            ClientMsg::RaiseHand { raised: true },
        );
        say_at(
            &mut room,
            t0 + Duration::from_secs(2),
            a,
            ClientMsg::RaiseHand { raised: true },
        );
        // Raising again keeps Ben's place.
        say_at(
            &mut room,
            t0 + Duration::from_secs(3),
            b,
            ClientMsg::RaiseHand { raised: true },
        );
        let expected = [
            (b, Some(start + 1000)),
            (a, Some(start + 2000)),
            (b, Some(start + 1000)),
        ];
        assert_eq!(hands(drain(&mut a_rx)), expected);
        assert_eq!(
            hands(drain(&mut b_rx)),
            expected,
            "the raiser gets the echo too"
        );
        let (_, mut c_rx) = join_at(&mut room, t0 + Duration::from_secs(4), "Carl");
        let joined = drain(&mut c_rx);
        let listed: Vec<_> = joined
            .iter()
            .find_map(|m| match m {
                ServerMsg::Joined { participants, .. } => Some(
                    participants
                        .iter()
                        .map(|p| (p.id, p.hand))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .expect("Joined");
        assert_eq!(
            listed[..2],
            [(a, Some(start + 2000)), (b, Some(start + 1000))]
        );
        say_at(&mut room, t0, b, ClientMsg::RaiseHand { raised: false });
        assert_eq!(hands(drain(&mut a_rx)), [(b, None)]);
    }

    #[tokio::test]
    async fn reactions_reach_everyone_and_a_flood_is_refused() {
        let (mut room, _d) = room(20).await;
        let t0 = Instant::now();
        let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
        let (_, mut b_rx) = join_at(&mut room, t0, "Ben");
        let a = a.expect("joins");
        drain(&mut a_rx);
        drain(&mut b_rx);
        let burst = room.limits.reactions_burst;
        for _ in 0..=burst {
            say_at(
                &mut room,
                t0,
                a,
                ClientMsg::React {
                    reaction: treff_shared::Reaction::Clap,
                },
            );
        }
        let reacted = |msgs: &[ServerMsg]| {
            msgs.iter()
                .filter(|m| matches!(m, ServerMsg::Reacted { id, reaction: treff_shared::Reaction::Clap } if *id == a))
                .count()
        };
        let to_b = drain(&mut b_rx);
        assert_eq!(reacted(&to_b), burst as usize);
        let to_a = drain(&mut a_rx);
        assert_eq!(
            reacted(&to_a),
            burst as usize,
            "the sender sees their own reaction"
        );
        assert_eq!(errors(&to_a), [ErrorCode::ReactionRateLimited]);
        assert!(errors(&to_b).is_empty());
    }

    // ---- moderation: the permission table, passwords, lock, lobby, removal ----

    /// A room with moderator Anna (by her link) and participants Ben and Carl, mic and camera on.
    async fn moderated() -> (
        Room,
        mpsc::Receiver<Datagram>,
        [(ParticipantId, mpsc::Receiver<Outgoing>); 3],
    ) {
        let (mut room, d) = room(20).await;
        let key = test_keys().moderator_key(&room.id);
        let t0 = Instant::now();
        let on = |r: &mut JoinRequest| {
            r.mic = true;
            r.cam = true;
        };
        let (a, a_rx) = join_with(&mut room, t0, "Anna", |r| {
            on(r);
            r.moderator_key = Some(key);
        });
        let (b, b_rx) = join_with(&mut room, t0, "Ben", |r| {
            on(r);
            r.addr = Some([10, 0, 0, 2].into());
        });
        let (c, c_rx) = join_with(&mut room, t0, "Carl", on);
        let people = [
            (a.expect("joins"), a_rx),
            (b.expect("joins"), b_rx),
            (c.expect("joins"), c_rx),
        ];
        assert!(
            room.is_moderator(people[0].0),
            "the moderator link makes a moderator"
        );
        assert!(!room.is_moderator(people[1].0));
        (room, d, people)
    }

    fn every_action(target: ParticipantId) -> Vec<ModeratorAction> {
        vec![
            ModeratorAction::MakeModerator { id: target },
            ModeratorAction::Mute { id: target },
            ModeratorAction::MuteAll,
            ModeratorAction::StopVideo { id: target },
            ModeratorAction::AskToUnmute { id: target },
            ModeratorAction::Remove {
                id: target,
                ban: true,
            },
            ModeratorAction::EndForAll,
            ModeratorAction::SetLock { locked: true },
            ModeratorAction::SetLobby { enabled: true },
            ModeratorAction::SetPassword {
                password: Some("x".into()),
            },
            ModeratorAction::Admit { id: target },
            ModeratorAction::Deny { id: target },
        ]
    }

    fn media_of(room: &Room, id: ParticipantId) -> (bool, bool) {
        let p = &room.participants[&id].info;
        (p.mic, p.cam)
    }

    #[tokio::test]
    async fn every_moderator_action_is_refused_from_a_non_moderator() {
        let (mut room, _d, [(_, _), (b, mut b_rx), (c, mut c_rx)]) = moderated().await;
        drain(&mut b_rx);
        drain(&mut c_rx);
        for action in every_action(c) {
            say(
                &mut room,
                b,
                ClientMsg::Moderate {
                    action: action.clone(),
                },
            );
            assert_eq!(
                errors(&drain(&mut b_rx)),
                [ErrorCode::NotModerator],
                "{action:?}"
            );
            assert!(drain(&mut c_rx).is_empty(), "{action:?} reached nobody");
        }
        assert_eq!(media_of(&room, c), (true, true));
        assert!(!room.is_moderator(c));
        assert_eq!(room.access.settings(), RoomSettings::default());
        assert!(!room.is_over(Instant::now()), "the meeting goes on");
    }

    #[tokio::test]
    async fn no_moderator_action_turns_anyones_media_on() {
        let (mut room, _d, [(a, mut a_rx), (b, mut b_rx), (c, mut c_rx)]) = moderated().await;
        // Everyone's microphone off, Carl's camera off.
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::MuteAll,
            },
        );
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::StopVideo { id: c },
            },
        );
        assert_eq!(media_of(&room, b), (false, true));
        assert_eq!(media_of(&room, c), (false, false));
        assert_eq!(
            media_of(&room, a),
            (true, true),
            "mute-all spares the moderator"
        );
        let turned_off = |msgs: Vec<ServerMsg>| {
            msgs.into_iter()
                .filter(|m| matches!(m, ServerMsg::TurnedOff { .. }))
                .count()
        };
        assert_eq!(turned_off(drain(&mut b_rx)), 1);
        assert_eq!(turned_off(drain(&mut c_rx)), 2);
        drain(&mut a_rx);
        // Whatever else the moderator does, nobody's device comes back on (Remove, EndForAll and
        // Deny are left out: they end someone's presence, which is tested below).
        for action in every_action(b) {
            if matches!(
                action,
                ModeratorAction::Remove { .. }
                    | ModeratorAction::EndForAll
                    | ModeratorAction::Deny { .. }
            ) {
                continue;
            }
            let before = [media_of(&room, b), media_of(&room, c)];
            say(
                &mut room,
                a,
                ClientMsg::Moderate {
                    action: action.clone(),
                },
            );
            let after = [media_of(&room, b), media_of(&room, c)];
            for ((mic0, cam0), (mic1, cam1)) in before.into_iter().zip(after) {
                assert!(mic0 || !mic1, "{action:?} switched a microphone on");
                assert!(cam0 || !cam1, "{action:?} switched a camera on");
            }
        }
        assert_eq!(
            media_of(&room, b),
            (false, false),
            "StopVideo was among them"
        );
        assert!(
            drain(&mut b_rx).contains(&ServerMsg::UnmuteAsked),
            "the moderator can ask"
        );
        // Only Ben himself switches his microphone on again.
        say(
            &mut room,
            b,
            ClientMsg::SetMedia {
                mic: true,
                cam: false,
                screen: false,
            },
        );
        assert_eq!(media_of(&room, b), (true, false));
    }

    #[tokio::test]
    async fn a_wrong_password_is_refused_and_guessing_is_slowed_down() {
        let (mut room, _d, [(a, _a_rx), _, _]) = moderated().await;
        let t0 = Instant::now();
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::SetPassword {
                    password: Some("richtig".into()),
                },
            },
        );
        assert!(room.access.settings().password);
        let attempt = |room: &mut Room, at: Instant, pw: Option<&str>| {
            join_with(room, at, "Gast", |r| r.password = pw.map(str::to_owned)).0
        };
        assert_eq!(
            attempt(&mut room, t0, None),
            Err(ErrorCode::PasswordRequired)
        );
        for _ in 0..moderation::FREE_ATTEMPTS {
            assert_eq!(
                attempt(&mut room, t0, Some("falsch")),
                Err(ErrorCode::WrongPassword)
            );
        }
        // Past the free attempts every wrong one makes the next wait: 1 s, then 2 s, ...
        assert_eq!(
            attempt(&mut room, t0, Some("falsch")),
            Err(ErrorCode::WrongPassword)
        );
        assert_eq!(
            attempt(&mut room, t0 + Duration::from_millis(900), Some("richtig")),
            Err(ErrorCode::TooManyAttempts),
            "even the right password waits"
        );
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(
            attempt(&mut room, t1, Some("falsch")),
            Err(ErrorCode::WrongPassword)
        );
        assert_eq!(
            attempt(&mut room, t1 + Duration::from_millis(1900), Some("richtig")),
            Err(ErrorCode::TooManyAttempts)
        );
        attempt(&mut room, t1 + Duration::from_secs(2), Some("richtig"))
            .expect("in with the right one");
        // The moderator link needs no password.
        let key = test_keys().moderator_key(&room.id);
        join_with(&mut room, t1, "Moderatorin", |r| {
            r.moderator_key = Some(key)
        })
        .0
        .expect("in");
    }

    #[tokio::test]
    async fn a_locked_room_refuses_newcomers_but_not_a_moderator_link() {
        let (mut room, _d, [(a, _a_rx), _, _]) = moderated().await;
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::SetLock { locked: true },
            },
        );
        assert_eq!(join(&mut room, "Dora").0, Err(ErrorCode::RoomLocked));
        let forged = "AAAA".to_owned();
        assert_eq!(
            join_with(&mut room, Instant::now(), "Eve", |r| r.moderator_key =
                Some(forged))
            .0,
            Err(ErrorCode::RoomLocked),
            "a made-up key is no key"
        );
        let key = test_keys().moderator_key(&room.id);
        join_with(&mut room, Instant::now(), "Mod", |r| {
            r.moderator_key = Some(key)
        })
        .0
        .expect("in");
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::SetLock { locked: false },
            },
        );
        join(&mut room, "Dora").0.expect("unlocked");
    }

    #[tokio::test]
    async fn the_lobby_admits_and_denies_and_tells_the_moderators() {
        let (mut room, _d, [(a, mut a_rx), _, _]) = moderated().await;
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::SetLobby { enabled: true },
            },
        );
        drain(&mut a_rx);
        let (d, mut d_rx) = join(&mut room, "Dora");
        let d = d.expect("waits");
        assert_eq!(drain(&mut d_rx), [ServerMsg::Waiting]);
        assert!(!room.participants.contains_key(&d), "not in the room yet");
        assert!(matches!(
            drain(&mut a_rx).as_slice(),
            [ServerMsg::Knocking { participant }] if participant.id == d && participant.name == "Dora"
        ));
        // Messages of someone waiting do nothing.
        say(
            &mut room,
            d,
            ClientMsg::Chat {
                text: "let me in".into(),
                to: None,
                attachment: None,
            },
        );
        assert!(room.chat.is_empty());
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::Admit { id: d },
            },
        );
        assert!(
            drain(&mut d_rx)
                .iter()
                .any(|m| matches!(m, ServerMsg::Joined { you, .. } if *you == d))
        );
        assert!(drain(&mut a_rx).contains(&ServerMsg::KnockEnded { id: d }));

        let (e, mut e_rx) = join(&mut room, "Emil");
        let e = e.expect("waits");
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::Deny { id: e },
            },
        );
        let to_e: Vec<_> = std::iter::from_fn(|| e_rx.try_recv().ok()).collect();
        assert!(to_e.iter().any(|o| matches!(
            o,
            Outgoing::Msg(ServerMsg::Error {
                code: ErrorCode::EntryDenied,
                ..
            })
        )));
        assert!(
            to_e.iter()
                .any(|o| matches!(o, Outgoing::Close(f) if *f == Fault::DENIED))
        );
        assert!(!room.participants.contains_key(&e));

        // Someone who gives up waiting disappears from the moderators' list.
        let (f, _f_rx) = join(&mut room, "Fritz");
        let f = f.expect("waits");
        drain(&mut a_rx);
        room.command(Instant::now(), Command::Disconnected { id: f });
        assert_eq!(drain(&mut a_rx), [ServerMsg::KnockEnded { id: f }]);
    }

    #[tokio::test]
    async fn a_removed_and_banned_participant_stays_out_and_end_for_all_ends_it() {
        let (mut room, _d, [(a, mut a_rx), (b, mut b_rx), (_, mut c_rx)]) = moderated().await;
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::Remove { id: b, ban: true },
            },
        );
        let to_b: Vec<_> = std::iter::from_fn(|| b_rx.try_recv().ok()).collect();
        assert!(
            to_b.iter()
                .any(|o| matches!(o, Outgoing::Msg(ServerMsg::Removed { banned: true })))
        );
        assert!(
            to_b.iter()
                .any(|o| matches!(o, Outgoing::Close(f) if *f == Fault::REMOVED))
        );
        assert!(!room.participants.contains_key(&b));
        let from_bens_address = |r: &mut JoinRequest| r.addr = Some([10, 0, 0, 2].into());
        assert_eq!(
            join_with(&mut room, Instant::now(), "Ben again", from_bens_address).0,
            Err(ErrorCode::Banned)
        );
        drain(&mut a_rx);
        drain(&mut c_rx);
        say(
            &mut room,
            a,
            ClientMsg::Moderate {
                action: ModeratorAction::EndForAll,
            },
        );
        assert!(
            room.is_over(Instant::now()),
            "ended although people are present"
        );
        let receipt = room.end(Instant::now());
        for rx in [&mut a_rx, &mut c_rx] {
            assert!(drain(rx).contains(&ServerMsg::Ended {
                receipt: receipt.clone()
            }));
        }
    }
}
