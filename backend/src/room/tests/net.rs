//! An in-process network for the room's media tests: the real [`Room`] with its real UDP socket,
//! and one str0m client per participant playing the browser (full ICE, DTLS-SRTP, frame mode) on a
//! loopback socket of its own. Time is simulated: every step hands the same `now` to the room and
//! to every client, so timers, packet rates and poll counts are exact and repeatable.
//!
//! The clients answer every offer at once, publish 20 ms Opus frames and VP8 frames when asked,
//! and count what they receive per sending participant (by the offer's `tracks`).

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::mpsc;
use treff_shared::{ClientMsg, ParticipantId, PublishMids, RemoteTrack, ServerMsg, TrackKind};

use super::join_with;
use crate::room::Room;
use crate::sfu::Datagram;
use crate::signalling::Outgoing;

/// One simulated step.
pub const STEP: Duration = Duration::from_millis(5);

/// A participant's client.
pub struct Client {
    pub id: ParticipantId,
    rtc: Rtc,
    socket: StdUdpSocket,
    addr: SocketAddr,
    out: mpsc::Receiver<Outgoing>,
    publish: Option<PublishMids>,
    /// mid → whose track, from the latest offer.
    tracks: HashMap<String, (ParticipantId, TrackKind)>,
    /// Frames received, per sender and kind.
    pub received: HashMap<(ParticipantId, TrackKind), u64>,
    /// Every offer this client answered, in order.
    pub offers: Vec<(String, Vec<RemoteTrack>)>,
    /// Every server message other than offers.
    pub messages: Vec<ServerMsg>,
    /// The level its Opus frames carry, in dBov (`None`: no level extension, as the load
    /// generator's).
    pub audio_level: Option<i8>,
    connected: bool,
}

/// The room and its clients.
pub struct Net {
    pub room: Room,
    pub clients: Vec<Client>,
    pub now: Instant,
    _datagrams: mpsc::Receiver<Vec<Datagram>>,
    room_addr: SocketAddr,
    /// Simulated milliseconds since the start.
    ms: u64,
    /// The size of the VP8 frames clients publish, in bytes (1,000 unless a test sets it).
    pub frame_size: usize,
}

impl Net {
    /// An empty room for up to `max` participants.
    pub async fn new(max: usize) -> Self {
        Self::with_recorder(max, None).await
    }

    /// An empty room whose recordings go to `recorder`.
    pub async fn with_recorder(
        max: usize,
        recorder: Option<Arc<dyn crate::recording::capture::Recorder>>,
    ) -> Self {
        let (room, datagrams) = super::room_with(max, recorder).await;
        let room_addr = room
            .media
            .candidates
            .udp
            .v4
            .expect("the test room announces UDP");
        Self {
            room,
            clients: Vec::new(),
            now: Instant::now(),
            _datagrams: datagrams,
            room_addr,
            ms: 0,
            frame_size: 1000,
        }
    }

    /// Joins a participant with these devices on, and runs until the offer was answered.
    pub fn join(&mut self, name: &str, mic: bool, cam: bool) -> usize {
        self.join_as(name, mic, cam, false)
    }

    /// [`Net::join`] through the moderator link.
    pub fn join_moderator(&mut self, name: &str, mic: bool, cam: bool) -> usize {
        self.join_as(name, mic, cam, true)
    }

    fn join_as(&mut self, name: &str, mic: bool, cam: bool, moderator: bool) -> usize {
        let key = moderator.then(|| super::test_keys().moderator_key(&self.room.id));
        let (id, out) = join_with(&mut self.room, self.now, name, |r| {
            r.mic = mic;
            r.cam = cam;
            r.moderator_key = key;
        });
        let id = id.expect("joins");
        let socket = StdUdpSocket::bind("127.0.0.1:0").expect("bind a client socket");
        socket.set_nonblocking(true).expect("non-blocking");
        let addr = socket.local_addr().expect("addr");
        let mut rtc = Rtc::builder()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("candidate"));
        self.clients.push(Client {
            id,
            rtc,
            socket,
            addr,
            out,
            publish: None,
            tracks: HashMap::new(),
            received: HashMap::new(),
            offers: Vec::new(),
            messages: Vec::new(),
            audio_level: None,
            connected: false,
        });
        self.clients.len() - 1
    }

    /// Client `i` sends a message (as its session would pass it on).
    pub fn say(&mut self, i: usize, msg: ClientMsg) {
        let from = self.clients[i].id;
        self.room
            .command(self.now, crate::room::Command::Client { from, msg });
    }

    /// Client `i` leaves (its `Leave`), and is gone from the network.
    pub fn leave(&mut self, i: usize) {
        let id = self.clients[i].id;
        self.room.command(
            self.now,
            crate::room::Command::Client {
                from: id,
                msg: ClientMsg::Leave,
            },
        );
        self.clients.remove(i);
    }

    /// Runs the network for `duration` of simulated time.
    pub fn run(&mut self, duration: Duration) {
        let end = self.ms + millis(duration);
        while self.ms < end {
            self.step();
        }
    }

    /// Runs until every client's ICE is connected (or panics after 10 s of simulated time).
    pub fn connect_all(&mut self) {
        let deadline = self.ms + 10_000;
        while !self.clients.iter().all(|c| c.connected) {
            assert!(self.ms < deadline, "clients did not connect within 10 s");
            self.step();
        }
    }

    /// Runs for `duration` while client `from` publishes a 20 ms Opus frame every 20 ms, and a
    /// VP8 frame every 33 ms if `video` (a keyframe first and every 30 frames). Returns the audio
    /// frames written.
    pub fn publish(&mut self, from: usize, duration: Duration, video: bool) -> u64 {
        self.publish_all(&[from], duration, video)
    }

    /// [`Net::publish`] by several clients at once; returns the audio frames they wrote together.
    pub fn publish_all(&mut self, from: &[usize], duration: Duration, video: bool) -> u64 {
        let start = self.ms;
        let end = start + millis(duration);
        let (mut audio, mut frames) = (vec![0u64; from.len()], 0u64);
        while self.ms < end {
            let elapsed = self.ms - start;
            for (n, &i) in from.iter().enumerate() {
                if audio[n] * 20 <= elapsed && self.audio_frame(i) {
                    audio[n] += 1;
                }
            }
            if video && frames * 33 <= elapsed {
                for &i in from {
                    self.video_frame(i, frames % 30 == 0);
                }
                frames += 1;
            }
            self.step();
        }
        audio.iter().sum()
    }

    /// Client `from` writes one 20 ms Opus frame now, at its [`Client::audio_level`]; false before
    /// its connection is up.
    fn audio_frame(&mut self, from: usize) -> bool {
        // The media clocks follow simulated time, so they never go back between calls.
        let time = MediaTime::new(self.ms * 48, Frequency::FORTY_EIGHT_KHZ);
        let client = &mut self.clients[from];
        let Some(publish) = client.publish.clone() else {
            return false;
        };
        let level = client.audio_level;
        let mid = Mid::from(publish.audio.as_str());
        write(
            &mut client.rtc,
            mid,
            Codec::Opus,
            self.now,
            time,
            vec![0xf8, 0xff, 0xfe],
            level,
        )
    }

    /// Client `from` writes one VP8 frame of [`Net::frame_size`] bytes now (a keyframe if `key`);
    /// false before its connection is up.
    pub fn video_frame(&mut self, from: usize, key: bool) -> bool {
        let time = MediaTime::new(self.ms * 90, Frequency::NINETY_KHZ);
        let size = self.frame_size;
        let client = &mut self.clients[from];
        let Some(publish) = client.publish.clone() else {
            return false;
        };
        let mid = Mid::from(publish.video.as_str());
        write(
            &mut client.rtc,
            mid,
            Codec::Vp8,
            self.now,
            time,
            vp8_frame(key, size),
            None,
        )
    }

    /// Client `from` writes one 20 ms Opus frame now and returns its datagrams, stamped with their
    /// arrival now, without handing them to the room: a test hands them over later, as the room
    /// task may get a batch from the socket after a message that came in later.
    pub fn audio_datagrams(&mut self, from: usize) -> Vec<Datagram> {
        let (now, room_addr) = (self.now, self.room_addr);
        let time = MediaTime::new(self.ms * 48, Frequency::FORTY_EIGHT_KHZ);
        let client = &mut self.clients[from];
        let publish = client.publish.clone().expect("a publisher");
        let mid = Mid::from(publish.audio.as_str());
        assert!(write(
            &mut client.rtc,
            mid,
            Codec::Opus,
            now,
            time,
            vec![0xf8, 0xff, 0xfe],
            None
        ));
        let _ = client.rtc.handle_input(Input::Timeout(now));
        drain_client(client, now, room_addr)
    }

    /// One step: clients answer offers and send, the room takes their datagrams and is driven,
    /// clients read what the room sent.
    pub fn step(&mut self) {
        let now = self.now;
        for i in 0..self.clients.len() {
            self.handle_messages(i);
            let client = &mut self.clients[i];
            let _ = client.rtc.handle_input(Input::Timeout(now));
            let datagrams = drain_client(client, now, self.room_addr);
            if !datagrams.is_empty() {
                self.room.datagrams(datagrams);
            }
        }
        self.room.drive(now);
        // Loopback delivers within the send call; read everything that arrived.
        let mut buf = vec![0u8; 2048];
        for client in &mut self.clients {
            while let Ok((n, from)) = client.socket.recv_from(&mut buf) {
                let Ok(contents) = buf[..n].try_into() else {
                    continue;
                };
                let input = Input::Receive(
                    now,
                    Receive {
                        proto: Protocol::Udp,
                        source: from,
                        destination: client.addr,
                        contents,
                    },
                );
                let _ = client.rtc.handle_input(input);
                let datagrams = drain_client(client, now, self.room_addr);
                if !datagrams.is_empty() {
                    self.room.datagrams(datagrams);
                }
            }
        }
        self.now += STEP;
        self.ms += millis(STEP);
    }

    /// Answers the offers and keeps the other messages of client `i`.
    fn handle_messages(&mut self, i: usize) {
        loop {
            let msg = match self.clients[i].out.try_recv() {
                Ok(Outgoing::Msg(m)) => m,
                // The room never pings (the session does).
                Ok(Outgoing::Ping) => continue,
                Ok(Outgoing::Close(_)) | Err(_) => return,
            };
            let ServerMsg::Offer {
                sdp,
                publish,
                tracks,
            } = msg
            else {
                self.clients[i].messages.push(msg);
                continue;
            };
            let client = &mut self.clients[i];
            let offer = SdpOffer::from_sdp_string(&sdp).expect("our offer parses");
            let answer = client
                .rtc
                .sdp_api()
                .accept_offer(offer)
                .expect("a str0m client accepts our offer")
                .to_sdp_string();
            client.tracks = tracks
                .iter()
                .map(|t| (t.mid.clone(), (t.participant, t.kind)))
                .collect();
            client.publish = Some(publish);
            client.offers.push((sdp, tracks));
            let id = client.id;
            self.room.command(
                self.now,
                crate::room::Command::Client {
                    from: id,
                    msg: ClientMsg::Answer { sdp: answer },
                },
            );
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Polls a client until it waits: returns its datagrams for the room, and counts its events.
fn drain_client(c: &mut Client, now: Instant, room: SocketAddr) -> Vec<Datagram> {
    let mut out = Vec::new();
    loop {
        match c.rtc.poll_output() {
            Ok(Output::Timeout(_)) | Err(_) => return out,
            Ok(Output::Transmit(t)) => {
                if t.destination == room {
                    out.push(Datagram {
                        at: now,
                        peer: c.id,
                        source: c.addr,
                        proto: Protocol::Udp,
                        data: t.contents.into(),
                    });
                }
            }
            Ok(Output::Event(Event::Connected)) => c.connected = true,
            Ok(Output::Event(Event::MediaData(d))) => {
                if let Some(&(from, kind)) = c.tracks.get(&d.mid.to_string()) {
                    *c.received.entry((from, kind)).or_default() += 1;
                }
            }
            Ok(Output::Event(_)) => {}
        }
    }
}

/// Writes one frame on a publish m-line, with an audio level (dBov) if given; false before the
/// connection is up.
fn write(
    rtc: &mut Rtc,
    mid: Mid,
    codec: Codec,
    now: Instant,
    time: MediaTime,
    data: Vec<u8>,
    level: Option<i8>,
) -> bool {
    let Some(writer) = rtc.writer(mid) else {
        return false;
    };
    let Some(pt) = writer
        .payload_params()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
    else {
        return false;
    };
    let writer = match level {
        Some(level) => writer.audio_level(level, level >= -50),
        None => writer,
    };
    writer.write(pt, now, time, data).is_ok()
}

/// A VP8 frame str0m's packetiser accepts: a valid frame tag (and keyframe header), `size` bytes.
fn vp8_frame(key: bool, size: usize) -> Vec<u8> {
    let header_len = if key { 10 } else { 3 };
    // The tag has 19 bits for the first partition's size.
    let first_partition = u32::try_from(size - header_len).unwrap_or(u32::MAX) & 0x7_ffff;
    let tag = u32::from(!key) | (1 << 4) | (first_partition << 5);
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&tag.to_le_bytes()[..3]);
    if key {
        b.extend_from_slice(&[0x9d, 0x01, 0x2a]);
        b.extend_from_slice(&320u16.to_le_bytes());
        b.extend_from_slice(&240u16.to_le_bytes());
    }
    b.resize(size, 0x5a);
    b
}
