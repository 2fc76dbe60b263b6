//! The room's media plane: its participants' peers, which tracks each of them receives, and the
//! loop that moves packets between them (the packet path itself is in [`crate::sfu`]).
//!
//! Invariants:
//! - A peer is polled only when it needs it: after a datagram for it, after a packet or keyframe
//!   request was written to it, or when its own timer is due ([`Schedule`]). A packet costs the
//!   same in a room of 3 and of 160.
//! - The server forwards only what the publisher has switched on: a participant a moderator muted is
//!   silent for everyone even if their client keeps sending.
//! - Each receiver has m-lines only for tracks that are on ([`Room::wanted_for`]). A microphone
//!   that goes off keeps its m-line for [`AUDIO_LINGER`], so that switching it on again in a
//!   conversation is heard at once, without waiting for a renegotiation; cameras and screens give
//!   theirs up at once.
//! - Video reaches a receiver only from a keyframe on; whoever waits for one makes the room ask
//!   the publisher (at most every 300 ms, see `Peer::request_keyframe`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::IceConnectionState;
use str0m::crypto::CryptoProvider;
use str0m::media::KeyframeRequestKind;
use tokio::net::UdpSocket;
use treff_shared::{ErrorCode, Layer, ParticipantId, ServerMsg, TrackKind};

use super::Room;
use super::last_n::Speakers;
use crate::sfu::schedule::Schedule;
use crate::sfu::{
    AnswerError, Candidates, Datagram, Drops, Forwarded, Peer, PeerEvent, ReceivedDatagram, Routes,
    SendBatch, Source,
};
use crate::signalling::Fault;

/// How long the m-line of a microphone that went off stays open (see the module header).
pub const AUDIO_LINGER: Duration = Duration::from_secs(30);

/// Shared, read-only facts every room needs to make peers and move media.
#[derive(Clone)]
pub struct MediaContext {
    /// The server's ICE candidates: the UDP socket's public address, the TCP port's.
    pub candidates: Candidates,
    /// The socket, for sending.
    pub socket: Arc<UdpSocket>,
    /// The demux table.
    pub routes: Routes,
    /// DTLS/SRTP crypto.
    pub crypto: Arc<CryptoProvider>,
    /// What was dropped, per reason.
    pub drops: Arc<Drops>,
}

/// Per-room state of the packet loop.
#[derive(Default)]
pub struct Plane {
    pub(super) schedule: Schedule<ParticipantId>,
    tx: SendBatch,
    /// Scratch space for the events of one poll (kept to reuse its allocation).
    events: Vec<PeerEvent>,
    /// Peer polls so far, for the test that idle peers are left alone.
    polls: u64,
    /// When the simulcast layers are chosen next, while video flows (see `layers`).
    pub(super) layers_at: Option<Instant>,
    /// When each participant last spoke, for last-N.
    pub(super) speakers: Speakers,
}

/// Which devices a participant has on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Devices {
    /// Microphone.
    pub mic: bool,
    /// Camera.
    pub cam: bool,
    /// Screen share.
    pub screen: bool,
}

impl Devices {
    fn is_on(self, kind: TrackKind) -> bool {
        match kind {
            TrackKind::Audio => self.mic,
            TrackKind::Video => self.cam,
            TrackKind::Screen => self.screen,
        }
    }
}

impl Room {
    /// A peer for a newcomer, routed by its fresh ICE credentials.
    pub(super) fn new_peer(&mut self, now: Instant, id: ParticipantId) -> Peer {
        let (ufrag, pass) = ice_credentials();
        self.media
            .routes
            .register(ufrag.clone(), self.datagrams.clone(), id);
        Peer::new(
            now,
            self.media.candidates,
            ufrag,
            pass,
            self.media.crypto.clone(),
        )
    }

    /// A participant's peer is gone (they left): no more polls, no more datagrams.
    pub(super) fn drop_peer(&mut self, id: ParticipantId, peer: &mut Peer) {
        self.unroute(peer);
        self.plane.schedule.remove(id);
        self.plane.speakers.forget(id);
    }

    /// Stops routing every ufrag of `peer`: current, offered and retired.
    pub(super) fn unroute(&self, peer: &mut Peer) {
        let retired = peer.take_retired();
        for ufrag in peer.ufrags().chain(&retired) {
            self.media.routes.remove(ufrag);
        }
    }

    /// Stops routing the ufrags participant `id`'s peer no longer uses (after an ICE restart).
    pub(super) fn unroute_retired(&mut self, id: ParticipantId) {
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        for ufrag in p.peer.take_retired() {
            self.media.routes.remove(&ufrag);
        }
    }

    /// Hands a batch of datagrams to their peers and forwards what they carried.
    pub fn datagrams(&mut self, batch: Vec<Datagram>) {
        let mut events = std::mem::take(&mut self.plane.events);
        for d in batch {
            let Some(p) = self.participants.get_mut(&d.peer) else {
                continue;
            };
            p.last_datagram = Some(d.at);
            let Some(destination) = self.media.candidates.local(d.proto, d.source) else {
                continue;
            };
            let datagram = ReceivedDatagram {
                at: d.at,
                source: d.source,
                destination,
                proto: d.proto,
                data: &d.data,
            };
            let next = p.peer.receive(datagram, &mut self.plane.tx, &mut events);
            self.plane.polls += 1;
            self.plane.schedule.wake_at(d.peer, next);
            self.dispatch(d.at, d.peer, &mut events);
        }
        self.plane.events = events;
    }

    /// Polls every peer that is ready or due, passing packets and keyframe requests on until all
    /// are idle, sends what they produced, and returns when the room must be driven next.
    pub fn drive(&mut self, now: Instant) -> Option<Instant> {
        self.expire_away(now);
        self.settle(now);
        if self.plane.layers_at.is_some_and(|t| t <= now) {
            self.choose_layers(now);
        }
        let mut events = std::mem::take(&mut self.plane.events);
        self.plane.schedule.collect_due(now);
        loop {
            let ready = self.plane.schedule.take_ready();
            if ready.is_empty() {
                break;
            }
            for id in ready {
                let Some(p) = self.participants.get_mut(&id) else {
                    continue;
                };
                let next = p.peer.poll(now, &mut self.plane.tx, &mut events);
                self.plane.polls += 1;
                let retry = p.peer.retry_at().is_some_and(|t| t <= now);
                self.plane.schedule.wake_at(id, next);
                self.dispatch(now, id, &mut events);
                if retry {
                    self.negotiate(now, id);
                }
            }
        }
        self.plane.events = events;
        // A participant dropped meanwhile (their queue was full) changes what the others receive.
        self.settle(now);
        self.plane.tx.flush(&self.media.socket, &self.media.drops);
        self.plane
            .tx
            .flush_tcp(&self.media.routes, &self.media.drops);
        self.plane.schedule.next_deadline()
    }

    /// Passes what peer `from` produced to the others.
    fn dispatch(&mut self, now: Instant, from: ParticipantId, events: &mut Vec<PeerEvent>) {
        for event in events.drain(..) {
            match event {
                PeerEvent::Rtp {
                    kind,
                    layer,
                    incoming,
                    packet,
                } => {
                    let Some(publisher) = self
                        .participants
                        .get_mut(&from)
                        .filter(|p| p.devices().is_on(kind))
                    else {
                        continue;
                    };
                    let source = Source { owner: from, kind };
                    if let Some(level) = packet.header.ext_vals.audio_level {
                        self.plane.speakers.heard(from, level, incoming.at);
                    }
                    publisher
                        .layers
                        .meter
                        .add(kind, layer, packet.payload.len());
                    let captured = match kind {
                        TrackKind::Video => {
                            publisher.layers.seen(layer, incoming.at);
                            publisher
                                .layers
                                .record
                                .admit(layer, incoming.keyframe_start)
                        }
                        _ => true,
                    };
                    if captured {
                        self.capture_packet(source, &incoming, &packet);
                    }
                    // The layers some receiver waits for a keyframe of (by `Layer as usize`).
                    let mut waiting = [false; 3];
                    let mut forwarded = 0;
                    for (id, p) in self.participants.iter_mut() {
                        if *id == from {
                            continue;
                        }
                        match p.peer.forward(source, layer, &incoming, &packet) {
                            Forwarded::Yes => {
                                self.plane.schedule.mark_ready(*id);
                                forwarded += 1;
                            }
                            Forwarded::Waiting(l) => waiting[l as usize] = true,
                            Forwarded::No => {}
                        }
                    }
                    // Once per packet, not per receiver: the counters are shared by all rooms.
                    if forwarded > 0 {
                        self.metrics
                            .forwarded(forwarded, forwarded * packet.payload.len() as u64);
                    }
                    for l in Layer::ALL.into_iter().filter(|l| waiting[*l as usize]) {
                        self.request_keyframe(now, source, l, KeyframeRequestKind::Pli);
                    }
                }
                PeerEvent::KeyframeRequest {
                    source,
                    layer,
                    kind,
                } => {
                    self.request_keyframe(now, source, layer, kind);
                }
                PeerEvent::Estimate(estimate) => {
                    // Read by the next choice (at most `CHOICE_INTERVAL` away).
                    if let Some(p) = self.participants.get_mut(&from) {
                        p.layers.estimate = estimate;
                    }
                }
                PeerEvent::IceState(state) => {
                    if let Some(p) = self.participants.get_mut(&from) {
                        p.ice.enter(ice_state_name(state));
                    }
                    if state == IceConnectionState::Disconnected {
                        self.restart_ice(now, from);
                    }
                }
            }
        }
    }

    /// Asks the publisher of `source` for a keyframe of its `layer`.
    pub(super) fn request_keyframe(
        &mut self,
        now: Instant,
        source: Source,
        layer: Layer,
        kind: KeyframeRequestKind,
    ) {
        if let Some(owner) = self.participants.get_mut(&source.owner) {
            owner.peer.request_keyframe(now, source.kind, layer, kind);
            self.plane.schedule.mark_ready(source.owner);
        }
    }

    /// The tracks participant `id` should receive now: everyone else's that are on.
    fn wanted_for(&self, id: ParticipantId, now: Instant) -> Vec<Source> {
        let mut wanted = Vec::new();
        for (&owner, p) in &self.participants {
            if owner == id {
                continue;
            }
            let lingering = p
                .mic_off_since
                .is_some_and(|t| now.saturating_duration_since(t) < AUDIO_LINGER);
            for kind in TrackKind::ALL {
                if p.devices().is_on(kind) || (kind == TrackKind::Audio && lingering) {
                    wanted.push(Source { owner, kind });
                }
            }
        }
        wanted
    }

    /// Offers participant `id` what changed, if an offer may go out. Nobody is offered anything
    /// while their socket is gone: they get one offer with everything when they resume.
    pub(super) fn negotiate(&mut self, now: Instant, id: ParticipantId) {
        let wanted = self.wanted_for(id, now);
        let Some(p) = self
            .participants
            .get_mut(&id)
            .filter(|p| p.away_since.is_none())
        else {
            return;
        };
        if let Some(offer) = p.peer.negotiate(now, &wanted) {
            if let Some(ufrag) = p.peer.restart_ufrag() {
                // The client checks with the restart's ufrag as soon as it has the offer.
                self.media
                    .routes
                    .register(ufrag.clone(), self.datagrams.clone(), id);
            }
            // Changing the session may change str0m's timers.
            self.plane.schedule.mark_ready(id);
            self.send(id, offer);
        }
    }

    /// Offers participant `id` an ICE restart: their ICE went disconnected while their socket
    /// lives (a network change), they resumed on a new socket, or a test asked for it.
    pub(super) fn restart_ice(&mut self, now: Instant, id: ParticipantId) {
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        p.peer.restart_ice();
        tracing::debug!("offering an ICE restart");
        self.negotiate(now, id);
    }

    pub(super) fn negotiate_all(&mut self, now: Instant) {
        let ids: Vec<_> = self.participants.keys().copied().collect();
        for id in ids {
            self.negotiate(now, id);
        }
    }

    /// Applies a participant's SDP answer.
    pub(super) fn answer(&mut self, now: Instant, from: ParticipantId, sdp: &str) {
        let Some(p) = self.participants.get_mut(&from) else {
            return;
        };
        let result = p.peer.accept_answer(now, sdp);
        self.plane.schedule.mark_ready(from);
        self.unroute_retired(from);
        match result {
            Ok(opened) => {
                // The new m-lines get their layers; a receiver that just got a video m-line wants
                // a picture now, not at the publisher's next periodic keyframe.
                self.choose_layers(now);
                for source in opened {
                    let layer = self.participants.get(&from).and_then(|p| {
                        let layers = p.peer.layers_of(source)?;
                        layers.awaited().or(layers.current())
                    });
                    if let (Some(layer), true) = (layer, source.kind != TrackKind::Audio) {
                        self.request_keyframe(now, source, layer, KeyframeRequestKind::Pli);
                    }
                }
                self.negotiate(now, from);
            }
            // Unparsable or unexpected: the offer (if any) stays open for a good answer. Refused:
            // the peer offers again after a pause (see `drive`).
            Err(e @ (AnswerError::Unparsable | AnswerError::Unexpected | AnswerError::Refused)) => {
                self.send(from, invalid_sdp(&e));
            }
            Err(e @ (AnswerError::Fatal | AnswerError::GaveUp)) => {
                self.send(from, invalid_sdp(&e));
                self.close(from, Fault::REFUSED_SDP);
            }
        }
    }

    /// A participant's devices changed from `before` (their own `SetMedia`, or a moderator switched
    /// one off): what the others receive is renegotiated, a track that went off stops being
    /// forwarded, and a publish m-line the client had answered `inactive` is offered again.
    pub(super) fn devices_changed(&mut self, now: Instant, id: ParticipantId, before: Devices) {
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        let after = p.devices();
        if before.mic && !after.mic {
            p.mic_off_since = Some(now);
        } else if after.mic {
            p.mic_off_since = None;
        }
        if !after.cam {
            p.layers.camera_off();
        }
        let mut went_off = Vec::new();
        for kind in TrackKind::ALL {
            match (before.is_on(kind), after.is_on(kind)) {
                (false, true) => p.peer.reopen_publish(kind),
                (true, false) => went_off.push(Source { owner: id, kind }),
                _ => {}
            }
        }
        // The next packet of a track that comes back on continues the receivers' streams without
        // a gap (an m-line that stayed open, i.e. a lingering microphone).
        for source in went_off {
            for p in self.participants.values_mut() {
                p.peer.pause_source(source);
            }
            self.capture_track_ended(now, source);
        }
        self.negotiate_all(now);
    }

    /// Peer polls so far (room logic tests count them).
    #[cfg(test)]
    pub(super) fn polls(&self) -> u64 {
        self.plane.polls
    }
}

/// The word `/metrics` counts a peer under (see `metrics::ICE_STATES`).
fn ice_state_name(state: IceConnectionState) -> &'static str {
    match state {
        IceConnectionState::New => "new",
        IceConnectionState::Checking => "checking",
        IceConnectionState::Connected => "connected",
        IceConnectionState::Completed => "completed",
        IceConnectionState::Disconnected => "disconnected",
    }
}

fn invalid_sdp(e: &AnswerError) -> ServerMsg {
    ServerMsg::error(ErrorCode::InvalidSdp, &e.to_string())
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
