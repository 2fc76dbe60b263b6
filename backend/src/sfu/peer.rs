//! One participant's WebRTC connection to the SFU: a str0m `Rtc` in RTP mode (ICE-lite, DTLS-SRTP,
//! Opus and VP8 only), its m-lines and its negotiation.
//!
//! Invariants:
//! - The server is always the offerer, with at most one offer in flight; changes wait for the
//!   answer, so there is never glare, even when three people join at once.
//! - Every participant publishes on three m-lines made in its first offer (audio, camera, screen;
//!   `recvonly` here). The camera's offers simulcast with the rids of [`Layer::ALL`]; a client may
//!   send all, some or one of them, or a single stream without a rid (taken as [`Layer::High`]). A client that answers one `inactive` and later switches that track on gets
//!   it offered `recvonly` again ([`Peer::reopen_publish`]).
//! - It receives the others' tracks on the outgoing m-lines of [`Lines`]: only tracks that are on.
//! - Packets are forwarded as packets (RTP mode), rewritten per m-line by its `Forwarder`; nothing
//!   is decoded.
//! - An answer str0m refuses is reported once with its reason; the next offer waits
//!   [`REFUSAL_BACKOFF`] doubling each time, and after [`MAX_REFUSALS`] in a row the peer is given
//!   up ([`AnswerError::GaveUp`]): no endless offer loop.
//! - Nothing here logs addresses, SDP or names (operational logs hold no personal data).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::crypto::CryptoProvider;
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::rtp::{RtpPacket, RtpWrite, Ssrc};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output, Rtc};
use treff_shared::{Layer, PublishMids, RemoteTrack, ServerMsg, TrackKind};

use super::estimate::Downlink;
use super::forward::{Forwarder, Incoming, vp8_keyframe_start};
use super::lines::{Lines, Publish, Source, media_of, stream_id};
use super::sdp;
use super::simulcast::LayerSwitch;
use super::udp::SendBatch;

/// Drives `rtc`'s timers at `now`; a failure is str0m's own and leaves the peer as it was.
pub(super) fn handle_timeout(rtc: &mut Rtc, now: Instant) {
    if let Err(e) = rtc.handle_input(Input::Timeout(now)) {
        tracing::debug!(error = %e, "peer timeout handling failed");
    }
}

/// Something a peer produced that the room passes on to other peers.
#[derive(Debug)]
pub enum PeerEvent {
    /// An RTP packet arrived on one of this peer's publish m-lines.
    Rtp {
        /// Which of its tracks.
        kind: TrackKind,
        /// Which simulcast layer of it.
        layer: Layer,
        /// What the forwarders need of it.
        incoming: Incoming,
        /// The packet.
        packet: Box<RtpPacket>,
    },
    /// The receiver asks for a keyframe of `source` (PLI or FIR from the browser).
    KeyframeRequest {
        /// The track whose publisher must produce a keyframe.
        source: Source,
        /// Of the layer the receiver gets (or is switching to).
        layer: Layer,
        /// PLI or FIR, passed on as it came.
        kind: KeyframeRequestKind,
    },
    /// The peer's ICE connection state changed. `Disconnected`: the client's consent checks
    /// stopped, its network changed or went away; if the participant's socket lives, the room
    /// offers an ICE restart.
    IceState(IceConnectionState),
    /// A new estimate of the peer's downlink in bits per second; `None`: no longer known.
    Estimate(Option<u64>),
}

/// Why an answer was not applied.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// An answer arrived while no offer was outstanding.
    #[error("no offer is waiting for an answer")]
    Unexpected,
    /// The SDP text did not parse; the offer stays outstanding.
    #[error("the SDP answer does not parse")]
    Unparsable,
    /// str0m refused the answer; the offer's changes are offered again after a pause.
    #[error("the SDP answer was not accepted")]
    Refused,
    /// The answer to the first offer was refused: the peer has no publish m-lines and cannot
    /// recover.
    #[error("the SDP answer to the first offer was refused")]
    Fatal,
    /// Answers were refused [`MAX_REFUSALS`] times in a row: the peer is given up.
    #[error("the SDP answers were refused too often; media cannot be negotiated")]
    GaveUp,
}

/// How long after a keyframe request for a track another one is passed on: browsers send PLIs in
/// bursts when several receivers start at once, and one keyframe serves them all.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);
/// The pause before offering again after the first refused answer; it doubles with each refusal.
pub const REFUSAL_BACKOFF: Duration = Duration::from_millis(500);
/// Refused answers in a row after which the peer is given up.
pub const MAX_REFUSALS: u32 = 4;

/// The grain of the room's timer (tokio's): a peer timeout due sooner is handled within the poll.
const TIMER_GRAIN: Duration = Duration::from_millis(1);
/// At most this many such timeouts per poll (one paced packet each), so that one peer cannot hold
/// the room task; the rest wait for the next poll.
const MAX_DUE_TIMEOUTS: u32 = 256;
const OPUS_CLOCK: u32 = 48_000;
const VIDEO_CLOCK: u32 = 90_000;

/// One participant's WebRTC connection to the SFU.
pub struct Peer {
    rtc: Rtc,
    ufrag: Arc<str>,
    publish: Option<Publish>,
    /// The first offer (with the publish m-lines) was answered.
    publish_agreed: bool,
    lines: Lines,
    pending: Option<SdpPendingOffer>,
    /// Publish m-lines to offer `recvonly` again (a track switched on after an `inactive` answer).
    reopen: Vec<TrackKind>,
    /// Refused answers in a row, and when the next offer may go out.
    refusals: u32,
    retry_at: Option<Instant>,
    /// Incoming SSRC → the track and layer it carries, learnt from str0m's receive streams.
    incoming: Vec<(Ssrc, TrackKind, Layer)>,
    /// When a keyframe was last asked for, per track kind and layer.
    last_keyframe_request: [[Option<Instant>; 3]; 3],
    /// The next offer restarts ICE (new credentials; the client checks its paths afresh).
    restart_wanted: bool,
    /// The ufrag of an ICE restart offered and not yet answered: routed too, until the answer
    /// makes it the only one (or a refusal drops it).
    restart_ufrag: Option<Arc<str>>,
    /// Ufrags no longer in use, for the room to stop routing ([`Peer::take_retired`]).
    retired: Vec<Arc<str>>,
    /// The estimate of its downlink.
    downlink: Downlink,
}

impl Peer {
    /// A new peer that announces the server's `candidates` (the shared UDP socket's public address,
    /// the media TCP port's as a passive TCP candidate). `ufrag` must be unique on the server: the
    /// demux routes STUN by it.
    pub fn new(
        now: Instant,
        candidates: Candidates,
        ufrag: Arc<str>,
        pass: String,
        crypto: Arc<CryptoProvider>,
    ) -> Self {
        let mut rtc = Downlink::configure(Rtc::builder())
            .set_crypto_provider(crypto)
            .set_ice_lite(true)
            .set_rtp_mode(true)
            .set_local_ice_credentials(IceCreds {
                ufrag: ufrag.to_string(),
                pass,
            })
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        let udp = candidates.udp.iter().map(|a| Candidate::host(a, "udp"));
        // Passive: the client connects to us (RFC 6544); Firefox ignores a TCP candidate without it.
        let tcp = candidates.tcp.iter().map(|a| {
            Candidate::builder()
                .tcp()
                .host(a)
                .tcptype(TcpType::Passive)
                .build()
        });
        for candidate in udp.into_iter().chain(tcp) {
            match candidate {
                Ok(c) => {
                    rtc.add_local_candidate(c);
                }
                // Only an unusable configured address gets here; the peer then cannot connect that
                // way and the participant still has signalling. Logged without the address.
                Err(e) => tracing::error!(error = %e, "media candidate refused"),
            }
        }
        Self {
            rtc,
            ufrag,
            publish: None,
            publish_agreed: false,
            lines: Lines::default(),
            pending: None,
            reopen: Vec::new(),
            refusals: 0,
            retry_at: None,
            incoming: Vec::new(),
            last_keyframe_request: [[None; 3]; 3],
            restart_wanted: false,
            restart_ufrag: None,
            retired: Vec::new(),
            downlink: Downlink::default(),
        }
    }

    /// The ICE username fragment that identifies this peer's UDP traffic.
    pub fn ufrag(&self) -> &Arc<str> {
        &self.ufrag
    }

    /// Every ufrag the demux must route here: the current one and that of an offered ICE restart.
    pub fn ufrags(&self) -> impl Iterator<Item = &Arc<str>> {
        std::iter::once(&self.ufrag).chain(self.restart_ufrag.as_ref())
    }

    /// The next offer restarts ICE. The room asks for it when ICE went disconnected while the
    /// participant's socket lives, and when the participant resumed on a new socket.
    pub fn restart_ice(&mut self) {
        self.restart_wanted = true;
    }

    /// The ufrag of the ICE restart in the offer just made, if it made one: the room routes it.
    pub fn restart_ufrag(&self) -> Option<&Arc<str>> {
        self.restart_ufrag.as_ref()
    }

    /// Ufrags that went out of use (replaced by an ICE restart, or the ufrag of a restart that was
    /// refused or abandoned): the room stops routing them.
    pub fn take_retired(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.retired)
    }

    /// Forgets the offer in flight, whose answer will never come (it went to a socket that
    /// dropped): its changes are planned again for the next offer, an ICE restart in it too.
    pub fn abandon_offer(&mut self) {
        if self.pending.take().is_some() {
            self.lines.refused();
        }
        self.drop_restart();
    }

    /// An offered ICE restart will not happen: its ufrag retires, and the next offer restarts again.
    fn drop_restart(&mut self) {
        if let Some(ufrag) = self.restart_ufrag.take() {
            self.retired.push(ufrag);
            self.restart_wanted = true;
        }
    }

    /// The m-lines this peer publishes on, once the first offer was made.
    pub fn publish_mids(&self) -> Option<Publish> {
        self.publish
    }

    /// Its outgoing m-lines.
    pub fn lines(&self) -> &Lines {
        &self.lines
    }

    /// False once the connection failed for good.
    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    /// The participant switched `kind` on: if its publish m-line was answered `inactive`, the next
    /// offer makes it `recvonly` again so the client can send.
    pub fn reopen_publish(&mut self, kind: TrackKind) {
        if !self.reopen.contains(&kind) {
            self.reopen.push(kind);
        }
    }

    /// Whether an offer may go out now: none in flight and no pause after a refusal.
    pub fn may_offer(&self, now: Instant) -> bool {
        self.pending.is_none() && self.retry_at.is_none_or(|t| now >= t)
    }

    /// When a refusal's pause ends, if one runs.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at.filter(|_| self.pending.is_none())
    }

    /// Makes an offer if `wanted` (the tracks this peer should receive now) or a publish m-line
    /// needs one and [`Peer::may_offer`].
    pub fn negotiate(&mut self, now: Instant, wanted: &[Source]) -> Option<ServerMsg> {
        if !self.may_offer(now) {
            return None;
        }
        self.retry_at = None;
        let reopen: Vec<_> = std::mem::take(&mut self.reopen)
            .into_iter()
            .filter_map(|kind| self.publish.map(|p| p.mid(kind)))
            .filter(|mid| {
                self.rtc
                    .media(*mid)
                    .is_some_and(|m| m.direction() == Direction::Inactive)
            })
            .collect();
        let plan = self.lines.plan(wanted);
        let restart = std::mem::take(&mut self.restart_wanted) && self.publish.is_some();
        if self.publish.is_some() && plan.is_empty() && reopen.is_empty() && !restart {
            return None;
        }
        let mut api = self.rtc.sdp_api();
        // Keep the one local candidate: the shared socket's address does not change.
        let restart_ufrag = restart.then(|| Arc::<str>::from(api.ice_restart(true).ufrag));
        let publish = match self.publish {
            Some(p) => p,
            None => {
                let mut recv = |kind, simulcast| {
                    api.add_media(kind, Direction::RecvOnly, None, None, simulcast)
                };
                Publish {
                    audio: recv(MediaKind::Audio, None),
                    video: recv(MediaKind::Video, Some(camera_simulcast())),
                    screen: recv(MediaKind::Video, None),
                }
            }
        };
        for mid in reopen {
            api.set_direction(mid, Direction::RecvOnly);
        }
        let direction = |sending: bool| {
            if sending {
                Direction::SendOnly
            } else {
                Direction::Inactive
            }
        };
        for &(mid, sending) in &plan.directions {
            api.set_direction(mid, direction(sending));
        }
        for &(mid, sending) in &plan.flips {
            api.set_direction(mid, direction(!sending));
            api.set_direction(mid, direction(sending));
        }
        let added: Vec<_> = plan
            .additions
            .iter()
            .map(|&(source, group)| {
                let stream = Some(stream_id(group));
                let mid = api.add_media(source.media(), Direction::SendOnly, stream, None, None);
                (mid, source, group)
            })
            .collect();
        let Some((offer, pending)) = api.apply() else {
            // Nothing str0m considers a change after all: forget the plan.
            self.lines.refused();
            return None;
        };
        for (mid, source, group) in added {
            self.lines
                .added(mid, source, group, forwarder_for(source.kind));
        }
        self.publish = Some(publish);
        self.pending = Some(pending);
        self.restart_ufrag = restart_ufrag;
        let tracks = self
            .lines
            .slots()
            .iter()
            .filter_map(|s| {
                let source = s.target()?;
                Some(RemoteTrack {
                    mid: s.mid.to_string(),
                    participant: source.owner,
                    kind: source.kind,
                })
            })
            .collect();
        Some(ServerMsg::Offer {
            sdp: sdp::conform_offer(&offer.to_sdp_string()),
            publish: PublishMids {
                audio: publish.audio.to_string(),
                video: publish.video.to_string(),
                screen: publish.screen.to_string(),
            },
            tracks,
        })
    }

    /// Applies the client's answer to the outstanding offer. Returns the sources that just became
    /// receivable here, so the room can ask their owners for a keyframe (a picture at once). After
    /// an ICE restart the old ufrag retires ([`Peer::take_retired`]).
    pub fn accept_answer(&mut self, now: Instant, sdp: &str) -> Result<Vec<Source>, AnswerError> {
        let answer = SdpAnswer::from_sdp_string(&sdp::conform_answer(sdp))
            .map_err(|_| AnswerError::Unparsable)?;
        let pending = self.pending.take().ok_or(AnswerError::Unexpected)?;
        if let Err(e) = self.rtc.sdp_api().accept_answer(pending, answer) {
            // The restart is offered again with the next offer, under fresh credentials.
            self.drop_restart();
            return Err(self.refused(now, &e));
        }
        self.refusals = 0;
        self.publish_agreed = true;
        self.downlink.answered(&mut self.rtc, sdp);
        if let Some(new) = self.restart_ufrag.take() {
            let old = std::mem::replace(&mut self.ufrag, new);
            self.retired.push(old);
        }
        Ok(self.lines.answered())
    }

    fn refused(&mut self, now: Instant, error: &str0m::RtcError) -> AnswerError {
        self.lines.refused();
        self.refusals += 1;
        // The reason names m-lines and SDP structure, never addresses or credentials; once per
        // refusal, and refusals are bounded by MAX_REFUSALS.
        let reason: String = error.to_string().chars().take(160).collect();
        tracing::info!(%reason, refusals = self.refusals, "an SDP answer was refused");
        if !self.publish_agreed {
            return AnswerError::Fatal;
        }
        if self.refusals >= MAX_REFUSALS {
            return AnswerError::GaveUp;
        }
        self.retry_at = Some(now + REFUSAL_BACKOFF * 2u32.pow(self.refusals - 1));
        AnswerError::Refused
    }

    /// Feeds one datagram (or TCP frame) that the demux routed here, and polls the peer: in RTP mode
    /// str0m holds a received packet only until the next poll.
    pub fn receive(
        &mut self,
        datagram: ReceivedDatagram<'_>,
        tx: &mut SendBatch,
        events: &mut Vec<PeerEvent>,
    ) -> Instant {
        let at = datagram.at;
        if let Ok(contents) = datagram.data.try_into() {
            let input = Input::Receive(
                at,
                Receive {
                    proto: datagram.proto,
                    source: datagram.source,
                    destination: datagram.destination,
                    contents,
                },
            );
            if let Err(e) = self.rtc.handle_input(input) {
                tracing::debug!(error = %e, "peer input refused");
            }
        }
        // Not STUN, DTLS, RTP or RTCP: ignored, as the socket is public.
        self.drain(at, tx, events)
    }

    /// Drives the peer's timers at `now`, sends its datagrams through `tx` and collects what other
    /// peers need. Returns when the peer next wants to be polled.
    pub fn poll(
        &mut self,
        now: Instant,
        tx: &mut SendBatch,
        events: &mut Vec<PeerEvent>,
    ) -> Instant {
        handle_timeout(&mut self.rtc, now);
        self.drain(now, tx, events)
    }

    fn drain(&mut self, now: Instant, tx: &mut SendBatch, events: &mut Vec<PeerEvent>) -> Instant {
        let mut due_timeouts = 0;
        loop {
            if !self.rtc.is_alive() {
                return now + Duration::from_secs(1);
            }
            match self.rtc.poll_output() {
                // str0m's pacer lets one packet out per timeout and asks for the next a microsecond
                // later. The room sleeps on a timer of millisecond grain, so leaving those to it
                // capped every receiver at about 1,000 packets a second (64 % loss in a room of
                // 20): a timeout due within the grain is handled here, a bounded number of times.
                Ok(Output::Timeout(t))
                    if t <= now + TIMER_GRAIN && due_timeouts < MAX_DUE_TIMEOUTS =>
                {
                    due_timeouts += 1;
                    handle_timeout(&mut self.rtc, now.max(t));
                }
                Ok(Output::Timeout(t)) => {
                    return self.retry_at().map_or(t, |r| r.min(t));
                }
                Ok(Output::Transmit(t)) => match t.proto {
                    Protocol::Tcp => tx.push_tcp(t.destination, t.contents.into()),
                    _ => tx.push(t.destination, t.contents.into()),
                },
                Ok(Output::Event(e)) => self.on_event(e, events),
                Err(e) => {
                    tracing::info!(error = %e, "peer failed, disconnecting its media");
                    self.rtc.disconnect();
                }
            }
        }
    }

    fn on_event(&mut self, event: Event, events: &mut Vec<PeerEvent>) {
        match event {
            Event::RtpPacket(packet) => {
                let Some((kind, layer)) = self.track_of_ssrc(packet.header.ssrc) else {
                    return;
                };
                let keyframe_start =
                    kind != TrackKind::Audio && vp8_keyframe_start(&packet.payload);
                let incoming = Incoming {
                    ssrc: *packet.header.ssrc,
                    seq: *packet.seq_no,
                    timestamp: packet.header.timestamp,
                    at: packet.timestamp,
                    keyframe_start,
                };
                events.push(PeerEvent::Rtp {
                    kind,
                    layer,
                    incoming,
                    packet: Box::new(packet),
                });
            }
            Event::KeyframeRequest(req) => {
                let slot = self.lines.slot(req.mid);
                let Some((source, layers)) = slot.and_then(|s| Some((s.agreed?, s.layers))) else {
                    return;
                };
                if let Some(layer) = layers.awaited().or(layers.current()) {
                    events.push(PeerEvent::KeyframeRequest {
                        source,
                        layer,
                        kind: req.kind,
                    });
                }
            }
            Event::EgressBitrateEstimate(estimate) => {
                events.push(PeerEvent::Estimate(self.downlink.estimate(&estimate)));
            }
            Event::IceConnectionStateChange(state) => {
                tracing::debug!(?state, "ice state");
                events.push(PeerEvent::IceState(state));
            }
            _ => {}
        }
    }

    /// Which publish m-line and layer an incoming SSRC belongs to (cached: asked for every packet).
    /// A stream without a rid, or with one that is not ours, is the track's only layer: High.
    fn track_of_ssrc(&mut self, ssrc: Ssrc) -> Option<(TrackKind, Layer)> {
        if let Some((_, kind, layer)) = self.incoming.iter().find(|(s, ..)| *s == ssrc) {
            return Some((*kind, *layer));
        }
        let (mid, rid) = self
            .rtc
            .direct_api()
            .stream_rx(&ssrc)
            .map(|s| (s.mid(), s.rid()))?;
        let kind = self.publish?.kind_of(mid)?;
        let layer = rid.and_then(|r| Layer::from_rid(&r)).unwrap_or(Layer::High);
        // A new SSRC for a track and layer (the client restarted its encoder) replaces the old.
        self.incoming.retain(|(_, k, l)| (*k, *l) != (kind, layer));
        self.incoming.push((ssrc, kind, layer));
        Some((kind, layer))
    }

    /// Writes another participant's packet (of simulcast layer `layer`) to this peer, if it
    /// receives that track at that layer now.
    pub fn forward(
        &mut self,
        source: Source,
        layer: Layer,
        incoming: &Incoming,
        packet: &RtpPacket,
    ) -> Forwarded {
        let Some(slot) = self.lines.open_mut(source) else {
            return Forwarded::No;
        };
        // Audio has one layer and needs no keyframe.
        if source.kind != TrackKind::Audio && !slot.layers.admit(layer, incoming.keyframe_start) {
            return slot
                .layers
                .awaited()
                .map_or(Forwarded::No, Forwarded::Waiting);
        }
        let Some(out) = slot.forwarder.forward(incoming) else {
            // Video resuming after a pause waits for a keyframe of the layer it has.
            return match slot.forwarder.wants_keyframe() {
                true => Forwarded::Waiting(layer),
                false => Forwarded::No,
            };
        };
        let rewritten = match source.kind {
            TrackKind::Audio => None,
            _ => slot.forwarder.rewrite_vp8(&packet.payload),
        };
        let payload = rewritten.map_or_else(|| packet.payload.clone(), Arc::from);
        let mut api = self.rtc.direct_api();
        let Some(stream) = api.stream_tx_by_mid(slot.mid, None) else {
            return Forwarded::No;
        };
        let mut ext = packet.header.ext_vals.clone();
        // The publisher's simulcast ids mean nothing on this m-line; str0m writes our mid itself.
        ext.rid = None;
        ext.rid_repair = None;
        // Every peer is built with the same codec configuration and browsers answer with the
        // offered payload types, so the publisher's PT is this receiver's PT for the same codec.
        let write = RtpWrite::new(
            packet.header.payload_type,
            out.seq.into(),
            out.timestamp,
            incoming.at,
            payload,
        )
        .marker(packet.header.marker)
        .ext_vals(ext)
        // Video is answered from str0m's send buffer when the receiver NACKs; audio is not worth
        // a retransmission (Opus conceals a lost 20 ms frame better than a late one arrives).
        .nackable(source.kind != TrackKind::Audio);
        stream.write_rtp(write);
        Forwarded::Yes
    }

    /// Sets the simulcast layer this peer receives `source` at (`None`: nothing, its tile is not
    /// shown). The switch happens at the layer's next keyframe; the room asks for one.
    pub fn set_layer(&mut self, source: Source, layer: Option<Layer>) {
        if let Some(slot) = self.lines.open_mut(source)
            && slot.layers.set_target(layer)
        {
            slot.forwarder.pause();
        }
    }

    /// What the room would send this peer if its downlink allowed (`desired`), and what it should
    /// keep the link filled to (`minimum`, padding what media does not fill), in bits per second.
    pub fn want_bitrate(&mut self, minimum: u64, desired: u64) {
        self.downlink.want(&mut self.rtc, minimum, desired);
    }

    /// Makes the downlink estimator probe for what [`Peer::want_bitrate`] last asked, now.
    pub fn probe_downlink(&mut self, now: Instant) {
        self.downlink.probe(&mut self.rtc, now);
    }

    /// The layers this peer receives `source` at: the one it forwards and the one it switches to.
    pub fn layers_of(&self, source: Source) -> Option<LayerSwitch> {
        self.lines.agreed(source).map(|s| s.layers)
    }

    /// The room stops forwarding `source` for now (its device went off): the next packet of it
    /// continues this receiver's stream without a gap.
    pub fn pause_source(&mut self, source: Source) {
        if let Some(slot) = self.lines.open_mut(source) {
            slot.forwarder.pause();
        }
    }

    /// Asks this peer's client for a keyframe of one layer of one of its tracks, at most once per
    /// [`KEYFRAME_REQUEST_INTERVAL`] for each.
    pub fn request_keyframe(
        &mut self,
        now: Instant,
        kind: TrackKind,
        layer: Layer,
        req: KeyframeRequestKind,
    ) {
        // No stream of that layer yet (nothing sent on it): nothing to refresh.
        let Some(&(ssrc, ..)) = self
            .incoming
            .iter()
            .find(|(_, k, l)| (*k, *l) == (kind, layer))
        else {
            return;
        };
        let last = &mut self.last_keyframe_request[kind as usize][layer as usize];
        if last.is_some_and(|at| now.duration_since(at) < KEYFRAME_REQUEST_INTERVAL) {
            return;
        }
        *last = Some(now);
        if let Some(stream) = self.rtc.direct_api().stream_rx(&ssrc) {
            stream.request_keyframe(req);
        }
    }
}

/// What [`Peer::forward`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    /// Written: the peer needs a poll.
    Yes,
    /// Not for this peer (it does not receive that track, or at another layer).
    No,
    /// Not yet: the m-line waits for a keyframe of this layer of the track.
    Waiting(Layer),
}

/// The camera's simulcast as the server offers to receive it: every layer, lowest first.
fn camera_simulcast() -> Simulcast {
    let mut simulcast = Simulcast::new();
    for layer in Layer::ALL {
        simulcast.add_recv_layer(SimulcastLayer::new(layer.rid()));
    }
    simulcast
}

/// The addresses the server announces as its ICE candidates (each optional: an operator may offer
/// only one way in, and only one address family).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// The UDP socket's public addresses.
    pub udp: Addresses,
    /// The media TCP port's public addresses (passive candidates).
    pub tcp: Addresses,
}

/// One socket's public addresses: at most one IPv4 and one IPv6.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Addresses {
    pub v4: Option<SocketAddr>,
    pub v6: Option<SocketAddr>,
}

impl Addresses {
    /// Only an IPv4 address (or none).
    pub fn v4(addr: Option<SocketAddr>) -> Self {
        Self { v4: addr, v6: None }
    }

    /// The addresses, IPv4 first.
    pub fn iter(&self) -> impl Iterator<Item = SocketAddr> {
        self.v4.into_iter().chain(self.v6)
    }

    /// Our address of the family of `peer`: the one a datagram from `peer` came to.
    pub fn facing(&self, peer: SocketAddr) -> Option<SocketAddr> {
        if peer.is_ipv4() { self.v4 } else { self.v6 }
    }
}

impl Candidates {
    /// Our address for a datagram from `source` that came in over `proto` (`None`: we announce no
    /// such candidate, so nothing may arrive that way).
    pub fn local(&self, proto: Protocol, source: SocketAddr) -> Option<SocketAddr> {
        match proto {
            Protocol::Udp => self.udp.facing(source),
            Protocol::Tcp => self.tcp.facing(source),
            _ => None,
        }
    }
}

/// A datagram for [`Peer::receive`].
#[derive(Debug, Clone, Copy)]
pub struct ReceivedDatagram<'a> {
    /// When it was read.
    pub at: Instant,
    /// Sender's address.
    pub source: SocketAddr,
    /// Our candidate's address (of the UDP socket, or the TCP port the connection came to).
    pub destination: SocketAddr,
    /// UDP or TCP.
    pub proto: Protocol,
    /// The bytes.
    pub data: &'a [u8],
}

/// A forwarder for an m-line carrying `kind`.
fn forwarder_for(kind: TrackKind) -> Forwarder {
    match media_of(kind) {
        MediaKind::Audio => Forwarder::new(OPUS_CLOCK, false),
        MediaKind::Video => Forwarder::new(VIDEO_CLOCK, true),
    }
}

#[cfg(test)]
mod tests {
    //! The peer against a str0m client playing the browser, offer by offer.

    use super::*;
    use str0m::change::SdpOffer;
    use treff_shared::ParticipantId;

    fn peer(now: Instant) -> Peer {
        Peer::new(
            now,
            Candidates {
                udp: Addresses::v4(Some("127.0.0.1:10000".parse().expect("addr"))),
                tcp: Addresses::default(),
            },
            "ufrag".into(),
            "passwordpasswordpassword".into(),
            Arc::new(str0m::crypto::from_feature_flags()),
        )
    }

    fn client(now: Instant) -> Rtc {
        Rtc::builder()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .build(now)
    }

    fn sdp_of(offer: &ServerMsg) -> &str {
        match offer {
            ServerMsg::Offer { sdp, .. } => sdp,
            other => panic!("not an offer: {other:?}"),
        }
    }

    fn answer(client: &mut Rtc, offer: &ServerMsg) -> String {
        let offer = SdpOffer::from_sdp_string(sdp_of(offer)).expect("our offer parses");
        client
            .sdp_api()
            .accept_offer(offer)
            .expect("the client accepts our offer")
            .to_sdp_string()
    }

    /// The mids of an offer's m-sections, in order.
    fn mids(sdp: &str) -> Vec<String> {
        sdp.lines()
            .filter_map(|l| l.trim_end().strip_prefix("a=mid:"))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn two_hundred_offers_with_changing_tracks_never_repeat_a_mid() {
        let now = Instant::now();
        let mut peer = peer(now);
        let mut client = client(now);
        // A deterministic walk through track sets: up to 8 others, each with any of 3 tracks.
        let mut seed: u64 = 0x7472_6566_6621;
        let mut history: Vec<String> = Vec::new();
        let mut offers = 0;
        for round in 0..400 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let wanted: Vec<Source> = (0..24)
                .filter(|bit| (seed >> (bit + 20)) & 3 == 0 || (round % 7 == 0 && bit % 5 == 0))
                .map(|bit| Source {
                    owner: ParticipantId(1 + bit / 3),
                    kind: TrackKind::ALL[(bit % 3) as usize],
                })
                .collect();
            let Some(offer) = peer.negotiate(now, &wanted) else {
                continue;
            };
            offers += 1;
            let sdp = sdp_of(&offer);
            assert_eq!(sdp::violations(sdp), Vec::<String>::new(), "offer {offers}");
            let now_mids = mids(sdp);
            // An m-line keeps its mid for good, and a mid never moves to another m-line.
            assert!(
                now_mids.starts_with(&history),
                "offer {offers} rewrote earlier m-lines"
            );
            for new in &now_mids[history.len()..] {
                assert!(!history.contains(new), "mid {new} used twice");
            }
            history = now_mids;
            let ServerMsg::Offer { tracks, .. } = &offer else {
                unreachable!()
            };
            let mut carried: Vec<_> = tracks.iter().map(|t| (t.participant, t.kind)).collect();
            carried.sort();
            let mut expected: Vec<_> = wanted.iter().map(|s| (s.owner, s.kind)).collect();
            expected.sort();
            assert_eq!(
                carried, expected,
                "the offer carries exactly the wanted tracks"
            );
            let answer = answer(&mut client, &offer);
            peer.accept_answer(now, &answer)
                .expect("the answer is accepted");
            if offers == 200 {
                break;
            }
        }
        assert_eq!(offers, 200);
        // Never more m-lines than 3 publish + the most tracks wanted at once (24).
        assert!(history.len() <= 3 + 24, "{} m-lines", history.len());
    }

    #[test]
    fn a_refused_answer_backs_off_and_the_peer_gives_up_after_a_few() {
        let t0 = Instant::now();
        let mut peer = peer(t0);
        let mut client = client(t0);
        let first = peer.negotiate(t0, &[]).expect("the first offer");
        let answer_one = answer(&mut client, &first);
        peer.accept_answer(t0, &answer_one).expect("accepted");

        let cam = |owner| Source {
            owner: ParticipantId(owner),
            kind: TrackKind::Video,
        };
        let mut now = t0;
        let mut offers = 0;
        let mut last = None;
        for refusal in 1..=MAX_REFUSALS {
            let offer = peer
                .negotiate(now, &[cam(refusal.into())])
                .expect("an offer once the pause is over");
            offers += 1;
            // The answer to the first offer does not fit this one: str0m refuses it.
            let outcome = peer.accept_answer(now, &answer_one);
            assert!(sdp::violations(sdp_of(&offer)).is_empty());
            if refusal < MAX_REFUSALS {
                assert!(matches!(outcome, Err(AnswerError::Refused)), "{outcome:?}");
                let pause = REFUSAL_BACKOFF * 2u32.pow(refusal - 1);
                assert_eq!(peer.retry_at(), Some(now + pause), "the pause doubles");
                assert!(
                    peer.negotiate(now + pause / 2, &[cam(9)]).is_none(),
                    "no offer during the pause"
                );
                now += pause;
            } else {
                last = Some(outcome);
            }
        }
        assert!(matches!(last, Some(Err(AnswerError::GaveUp))), "{last:?}");
        assert_eq!(offers, MAX_REFUSALS);
    }

    #[test]
    fn a_publish_m_line_answered_inactive_is_offered_again_when_its_track_comes_on() {
        let now = Instant::now();
        let mut peer = peer(now);
        let mut client = client(now);
        let first = peer.negotiate(now, &[]).expect("the first offer");
        // A client with nothing to share answers the screen m-line inactive.
        let screen = peer
            .publish_mids()
            .expect("publish m-lines")
            .screen
            .to_string();
        let answer = answer(&mut client, &first);
        let inactive = set_direction_of(&answer, &screen, "inactive");
        peer.accept_answer(now, &inactive).expect("accepted");
        assert!(peer.negotiate(now, &[]).is_none(), "nothing changed");
        peer.reopen_publish(TrackKind::Screen);
        let again = peer
            .negotiate(now, &[])
            .expect("the screen m-line is offered again");
        let section = sdp_of(&again)
            .split("m=")
            .find(|s| s.contains(&format!("a=mid:{screen}\r\n")))
            .expect("the screen m-section");
        assert!(section.contains("a=recvonly"), "{section}");
    }

    /// Changes the direction attribute of the m-section `mid` in an SDP.
    fn set_direction_of(sdp: &str, mid: &str, direction: &str) -> String {
        let mid_line = format!("a=mid:{mid}\r\n");
        let directions = ["a=sendonly", "a=recvonly", "a=sendrecv", "a=inactive"];
        sdp.split("\r\nm=")
            .map(|part| {
                if !part.contains(&mid_line) {
                    return part.to_owned();
                }
                part.split_inclusive("\r\n")
                    .map(|l| match directions.contains(&l.trim_end()) {
                        true => format!("a={direction}\r\n"),
                        false => l.to_owned(),
                    })
                    .collect()
            })
            .collect::<Vec<String>>()
            .join("\r\nm=")
    }

    /// `answer` with its lines edited: each edit (line, byte, what) deletes, doubles, overwrites a
    /// character of, or cuts one line.
    fn mangle(answer: &str, edits: &[(usize, u8, u8)]) -> String {
        let mut lines: Vec<String> = answer.split("\r\n").map(str::to_owned).collect();
        for &(at, byte, what) in edits {
            let i = at % lines.len().max(1);
            match what {
                0 if lines.len() > 1 => {
                    lines.remove(i);
                }
                1 => lines.insert(i, lines[i].clone()),
                2 if !lines[i].is_empty() => {
                    let mut chars: Vec<char> = lines[i].chars().collect();
                    let k = usize::from(byte) % chars.len();
                    chars[k] = char::from(byte);
                    lines[i] = chars.into_iter().collect();
                }
                _ => {
                    let keep = usize::from(byte) % (lines[i].len() + 1);
                    let cut: String = lines[i].chars().take(keep).collect();
                    lines[i] = cut;
                }
            }
        }
        lines.join("\r\n")
    }

    proptest::proptest! {
        #![proptest_config(crate::sfu::property_config(300))]

        /// SDP answers as a broken or hostile client may send them: the peer never panics (neither
        /// on the answer nor on its timers after it), and when it could not parse one, the offer
        /// stays open for a good answer.
        #[test]
        fn mangled_answers_never_panic_and_an_unparsable_one_leaves_the_offer_open(
            edits in proptest::collection::vec((0usize..400, proptest::prelude::any::<u8>(), 0u8..4), 1..8),
            later in proptest::prelude::any::<bool>(),
        ) {
            let now = Instant::now();
            let mut peer = peer(now);
            let mut client = client(now);
            let mut offer = peer.negotiate(now, &[]).expect("the first offer");
            if later {
                // Mangle the answer to a renegotiation instead of the first one.
                let good = answer(&mut client, &offer);
                peer.accept_answer(now, &good).expect("accepted");
                let cam = Source { owner: ParticipantId(2), kind: TrackKind::Video };
                offer = peer.negotiate(now, &[cam]).expect("a second offer");
            }
            let good = answer(&mut client, &offer);
            let outcome = peer.accept_answer(now, &mangle(&good, &edits));
            let mut tx = SendBatch::default();
            let mut events = Vec::new();
            peer.poll(now + Duration::from_millis(50), &mut tx, &mut events);
            if matches!(outcome, Err(AnswerError::Unparsable)) {
                proptest::prop_assert!(peer.accept_answer(now, &good).is_ok());
            }
        }
    }
}
