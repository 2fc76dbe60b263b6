//! One conference: its participants and their media peers, owned by a single task.
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
//! - The room holds names and media state in memory only; they go with the participant or the room.
//!   The room ends when its last participant leaves.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use str0m::crypto::CryptoProvider;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use treff_shared::{ClientMsg, ErrorCode, Limits, ParticipantId, ParticipantInfo, ServerMsg};

use crate::media_socket::{Datagram, Routes};
use crate::sfu::{AnswerError, Peer, PeerEvent};
use crate::signalling::{Fault, Outgoing};

/// What a signalling session asks of the room.
#[derive(Debug)]
pub enum Command {
    /// A checked name wants in. The reply carries the new id, or why not.
    Join {
        /// Display name, already checked with `Limits::check_name`.
        name: String,
        /// Microphone on at entry.
        mic: bool,
        /// Camera on at entry.
        cam: bool,
        /// The session's outgoing queue.
        out: mpsc::Sender<Outgoing>,
        /// Answered once the participant is in (and `Joined` is queued) or refused.
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
}

/// A conference's state, driven by [`run`].
pub struct Room {
    limits: Limits,
    media: MediaContext,
    datagrams: mpsc::Sender<Datagram>,
    participants: BTreeMap<ParticipantId, Participant>,
    next_id: u64,
}

impl Room {
    /// An empty room whose peers get datagrams through `datagrams`.
    pub fn new(limits: Limits, media: MediaContext, datagrams: mpsc::Sender<Datagram>) -> Self {
        Self {
            limits,
            media,
            datagrams,
            participants: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// True when nobody is in the room.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// Handles one command from a signalling session.
    pub fn command(&mut self, now: Instant, cmd: Command) {
        match cmd {
            Command::Join {
                name,
                mic,
                cam,
                out,
                reply,
            } => {
                let result = self.join(now, name, mic, cam, out);
                // The session may have gone meanwhile; then its disconnect follows and cleans up.
                let _ = reply.send(result);
            }
            Command::Client { from, msg } => self.client_message(now, from, msg),
            Command::Disconnected { id } => self.leave(id),
        }
    }

    fn join(
        &mut self,
        now: Instant,
        name: String,
        mic: bool,
        cam: bool,
        out: mpsc::Sender<Outgoing>,
    ) -> Result<ParticipantId, ErrorCode> {
        if self.participants.len() >= self.limits.room_max_participants {
            return Err(ErrorCode::RoomFull);
        }
        let id = ParticipantId(self.next_id);
        self.next_id += 1;
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
        let info = ParticipantInfo { id, name, mic, cam };
        for p in self.participants.values() {
            let _ = p.out.try_send(Outgoing::Msg(ServerMsg::ParticipantJoined {
                participant: info.clone(),
            }));
        }
        self.participants
            .insert(id, Participant { info, out, peer });
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
        Ok(id)
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
            ClientMsg::SetMedia { mic, cam } => {
                let Some(p) = self.participants.get_mut(&from) else {
                    return;
                };
                p.info.mic = mic;
                p.info.cam = cam;
                self.broadcast_except(from, ServerMsg::MediaState { id: from, mic, cam });
            }
            ClientMsg::Leave => self.leave(from),
            // The session only forwards the messages above; anything else is a bug there.
            ClientMsg::Hello { .. } | ClientMsg::Join { .. } => {
                tracing::warn!("room got a session-level message");
            }
        }
    }

    fn leave(&mut self, id: ParticipantId) {
        let Some(gone) = self.participants.remove(&id) else {
            return;
        };
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

    /// Ends the conference: every participant and peer goes, with their routes.
    pub fn end(&mut self) {
        for (_, p) in std::mem::take(&mut self.participants) {
            self.media.routes.remove(p.peer.ufrag());
        }
    }
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

/// The room task: owns the [`Room`] until its last participant leaves, then calls `on_end`.
pub async fn run(
    mut room: Room,
    mut commands: mpsc::Receiver<Command>,
    mut datagrams: mpsc::Receiver<Datagram>,
    on_end: impl FnOnce(),
) {
    loop {
        let wake = room.drive(Instant::now());
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(cmd) => {
                    room.command(Instant::now(), cmd);
                    if room.is_empty() {
                        break;
                    }
                }
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
    room.end();
    tracing::info!("conference ended");
}

#[cfg(test)]
mod tests {
    //! The room driven directly, without WebSockets or browsers: joins, offers, leaves, limits.

    use super::*;
    use str0m::Rtc;
    use treff_shared::RemoteTrack;

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
        (Room::new(limits, media, tx), rx)
    }

    fn join(
        room: &mut Room,
        name: &str,
    ) -> (Result<ParticipantId, ErrorCode>, mpsc::Receiver<Outgoing>) {
        let (out, rx) = mpsc::channel(64);
        let (reply, mut answer) = oneshot::channel();
        let cmd = Command::Join {
            name: name.into(),
            mic: false,
            cam: true,
            out,
            reply,
        };
        room.command(Instant::now(), cmd);
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
        room.command(Instant::now(), Command::Client { from, msg });
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
            matches!(&first[0], ServerMsg::Joined { you, participants } if *you == a && participants.len() == 1)
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
        assert_eq!(
            tracks.iter().filter(|t| t.participant == a).count(),
            2,
            "B receives A's audio and video"
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
            },
        );
        assert_eq!(
            drain(&mut b_rx),
            vec![ServerMsg::MediaState {
                id: a,
                mic: true,
                cam: false
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
}
