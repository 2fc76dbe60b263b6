//! Test harness for the integration tests: start the real server on loopback ports, speak the
//! signalling protocol over a real WebSocket, and join with a webrtc-rs peer that sends and receives
//! real (synthetic) media, so the SFU is always tested against a WebRTC stack other than its own.
//!
//! Layout:
//! - [`start`], [`new_room`], [`own_origin`]: the server under test and fresh meeting ids.
//! - [`WsClient`]: a raw signalling client with typed send/receive, each wait bounded by a deadline.
//! - [`WebrtcParticipant`]: a joined participant with an `RTCPeerConnection` that answers every offer
//!   by itself, publishes synthetic Opus and VP8, and counts what it receives per m-line.
//!
//! Every wait here has a deadline and panics with what it was waiting for and what it saw instead;
//! nothing sleeps and hopes. Every task a participant spawns is aborted when it is closed or dropped.

#![allow(dead_code)] // each test binary uses a different part of the harness

mod relay;
pub use relay::Relay;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use treff_shared::attachment::{FILE_NAME_HEADER, UPLOAD_PATH, download_path};
use treff_shared::meeting::{CreateMeeting, MEETINGS_PATH, NewMeeting};
use treff_shared::recording::{MODERATOR_AUTH_SCHEME, recording_path};
use treff_shared::{
    Attachment, ClientMsg, HttpToken, JobState, PROTOCOL_VERSION, ParticipantId, ParticipantInfo,
    PublishMids, RecordingSummary, RemoteTrack, RoomId, ServerMsg, TrackKind,
};
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::ice::mdns::MulticastDnsMode;
use webrtc::ice::network_type::NetworkType;
use webrtc::ice_transport::ice_connection_state::RTCIceConnectionState;
use webrtc::interceptor::registry::Registry;
use webrtc::media::Sample;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp_transceiver::rtp_codec::{
    RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RTPCodecType,
};
use webrtc::rtp_transceiver::rtp_sender::RTCRtpSender;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::rtp_transceiver::{RTCPFeedback, RTCRtpTransceiver, RTCRtpTransceiverInit};
use webrtc::track::track_local::TrackLocal;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

/// How long one signalling step (a reply, a broadcast, a close) may take on a loaded 2-core machine.
pub const STEP: Duration = Duration::from_secs(5);
/// How long media may take to start flowing: ICE, DTLS and the first key frame.
pub const MEDIA: Duration = Duration::from_secs(10);
/// How long a recording's output job may take on a loaded 2-core machine.
pub const OUTPUT_JOB: Duration = Duration::from_secs(180);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

// ---------------------------------------------------------------------------------------------
// Server and rooms
// ---------------------------------------------------------------------------------------------

/// The server under test. It derefs to [`treff::Server`]; when dropped (or shut down) it removes
/// the attachment, recordings and state directories it was given, so test runs leave nothing in
/// `/tmp`.
pub struct TestServer {
    server: Option<treff::Server>,
    dirs: Vec<std::path::PathBuf>,
    recordings_dir: Option<std::path::PathBuf>,
}

impl std::ops::Deref for TestServer {
    type Target = treff::Server;

    fn deref(&self) -> &treff::Server {
        self.server.as_ref().expect("not shut down")
    }
}

impl TestServer {
    /// Where the server keeps recordings.
    pub fn recordings_dir(&self) -> &std::path::Path {
        self.recordings_dir
            .as_deref()
            .expect("a recordings directory")
    }

    /// [`treff::Server::shutdown`], then the clean-up.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Starts the real server on loopback ephemeral ports (and turns on logs if `RUST_LOG` asks).
pub async fn start(config: treff::Config) -> TestServer {
    init_logs();
    let recordings_dir = config.recordings_dir.clone();
    let dirs = [config.attachment_dir.clone(), config.state_dir.clone()]
        .into_iter()
        .chain(recordings_dir.clone())
        .collect();
    let server = treff::Server::start(config)
        .await
        .expect("the server starts on 127.0.0.1:0");
    TestServer {
        server: Some(server),
        dirs,
        recordings_dir,
    }
}

/// Starts the server with [`treff::Config::ephemeral`].
pub async fn start_default() -> TestServer {
    start(treff::Config::ephemeral()).await
}

/// Creates a meeting through the API (`password`: the organiser password, if the server wants one).
pub async fn create_meeting(server: &treff::Server, password: Option<&str>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{}{MEETINGS_PATH}", server.http_addr))
        .json(&CreateMeeting {
            organiser_password: password.map(str::to_owned),
        })
        .send()
        .await
        .expect("answers")
}

/// `GET` of one file of a meeting's recording, with `Authorization: Moderator <key>` if a key is
/// given.
pub async fn recording_file(
    server: &treff::Server,
    meeting: &NewMeeting,
    recording: &str,
    file: &str,
    moderator_key: Option<&str>,
) -> reqwest::Response {
    let path = recording_path(meeting.room.as_str(), recording, Some(file));
    let mut request = reqwest::Client::new().get(format!("http://{}{path}", server.http_addr));
    if let Some(key) = moderator_key {
        request = request.header("Authorization", format!("{MODERATOR_AUTH_SCHEME} {key}"));
    }
    request.send().await.expect("answers")
}

/// A meeting created through the API, with its moderator key.
pub async fn new_meeting(server: &treff::Server) -> NewMeeting {
    create_meeting(server, None)
        .await
        .json()
        .await
        .expect("a meeting")
}

/// Logs from server and tests, shown by `cargo test` for failing tests. Off unless `RUST_LOG` is set.
fn init_logs() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// A fresh meeting id: 16 random bytes, like a real meeting link.
pub fn new_room() -> RoomId {
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(8) {
        // RandomState is randomly keyed per process and per call: good enough for test ids.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x74_72_65_66_66);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    RoomId::from_random(bytes)
}

/// The server's own origin, the one a browser that loaded the UI from it would send.
pub fn own_origin(http_addr: SocketAddr) -> String {
    format!("http://{http_addr}")
}

// ---------------------------------------------------------------------------------------------
// Raw signalling client
// ---------------------------------------------------------------------------------------------

/// How a socket ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The server sent a close frame (with this code, if any).
    Frame(Option<u16>),
    /// The connection ended without a close frame (reset or EOF).
    NoFrame(String),
}

impl Closed {
    pub fn code(&self) -> Option<u16> {
        match self {
            Closed::Frame(code) => *code,
            Closed::NoFrame(_) => None,
        }
    }
}

/// The attachment API as a browser uses it.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(server: &treff::Server) -> Self {
        Self::with_headers(server, reqwest::header::HeaderMap::new())
    }

    /// An API client that sends `headers` (a browser's User-Agent, a proxy's X-Forwarded-For)
    /// with every request.
    pub fn with_headers(server: &treff::Server, headers: reqwest::header::HeaderMap) -> Self {
        Self {
            base: format!("http://{}", server.http_addr),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .expect("a client with these headers"),
        }
    }

    pub async fn upload(
        &self,
        token: Option<&HttpToken>,
        name: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{UPLOAD_PATH}", self.base))
            .header(FILE_NAME_HEADER, name)
            .body(body);
        if let Some(t) = token {
            request = request.bearer_auth(&t.0);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn download(&self, token: Option<&HttpToken>, a: &Attachment) -> reqwest::Response {
        let mut request = self
            .http
            .get(format!("{}{}", self.base, download_path(&a.id)));
        if let Some(t) = token {
            request = request.bearer_auth(&t.0);
        }
        request.send().await.expect("the server answers")
    }
}

/// A signalling client on a real WebSocket.
pub struct WsClient {
    pub ws: Ws,
    /// Names of messages a `recv_*` skipped, for failure messages.
    skipped: Vec<String>,
}

/// Opens `/ws` with the given `Origin` header (or none). The `Err` is what tungstenite reports,
/// e.g. `tungstenite::Error::Http(response)` when the server refuses the upgrade.
pub async fn try_connect(
    http_addr: SocketAddr,
    origin: Option<&str>,
) -> Result<WsClient, tungstenite::Error> {
    let origin = origin.map(|o| ("Origin", o));
    try_connect_with(http_addr, origin.as_slice()).await
}

/// Opens `/ws` with these request headers (`Origin` among them, or not).
pub async fn try_connect_with(
    http_addr: SocketAddr,
    headers: &[(&'static str, &str)],
) -> Result<WsClient, tungstenite::Error> {
    let mut request = format!("ws://{http_addr}/ws")
        .into_client_request()
        .expect("a valid ws URL");
    for &(name, value) in headers {
        request.headers_mut().insert(
            name,
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    }
    let (ws, _response) = timeout(STEP, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| {
            tungstenite::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the WebSocket handshake did not finish within STEP",
            ))
        })??;
    Ok(WsClient {
        ws,
        skipped: Vec::new(),
    })
}

/// Short name of a server message for failure output (never the SDP).
pub fn msg_name(msg: &ServerMsg) -> String {
    match msg {
        ServerMsg::Welcome { .. } => "Welcome".into(),
        ServerMsg::Joined { you, .. } => format!("Joined(you={you})"),
        ServerMsg::ParticipantJoined { participant } => {
            format!("ParticipantJoined({})", participant.id)
        }
        ServerMsg::ParticipantLeft { id } => format!("ParticipantLeft({id})"),
        ServerMsg::MediaState { id, mic, cam, .. } => {
            format!("MediaState({id},mic={mic},cam={cam})")
        }
        ServerMsg::Offer { tracks, .. } => format!("Offer({} tracks)", tracks.len()),
        ServerMsg::Error { code, message } => format!("Error({code:?}: {message})"),
        ServerMsg::Chat { message } => format!("Chat(#{} from {})", message.id.0, message.from),
        ServerMsg::Ended { receipt, .. } => format!("Ended({receipt:?})"),
        // The rest carry no SDP or token: their type is enough.
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("type")?.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// What `Joined` told a participant.
pub struct Joined {
    pub id: ParticipantId,
    pub participants: Vec<ParticipantInfo>,
    pub chat: Vec<treff_shared::ChatMessage>,
    pub token: treff_shared::HttpToken,
    /// The secret for `Resume`.
    pub resume: String,
    /// The operator's TURN server with this participant's credentials (empty without one).
    pub ice_servers: Vec<treff_shared::IceServer>,
}

/// What a `Joined` message says (panics on anything else).
fn joined_of(msg: &ServerMsg) -> Joined {
    let ServerMsg::Joined {
        you,
        participants,
        chat,
        token,
        resume,
        ice_servers,
        ..
    } = msg
    else {
        panic!("not a Joined: {}", msg_name(msg))
    };
    Joined {
        id: *you,
        participants: participants.clone(),
        chat: chat.clone(),
        token: token.clone(),
        resume: resume.clone(),
        ice_servers: ice_servers.clone(),
    }
}

impl WsClient {
    /// Connects with the server's own origin.
    pub async fn connect(server: &treff::Server) -> Self {
        let origin = own_origin(server.http_addr);
        try_connect(server.http_addr, Some(&origin))
            .await
            .expect("the WebSocket upgrade with the server's own Origin succeeds")
    }

    /// Connects and says `Hello`, checking the `Welcome`.
    pub async fn connect_hello(server: &treff::Server) -> Self {
        let mut c = Self::connect(server).await;
        c.hello().await;
        c
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        let text = serde_json::to_string(msg).expect("ClientMsg serialises");
        self.send_raw(Message::text(text)).await;
    }

    pub async fn send_raw(&mut self, msg: Message) {
        timeout(STEP, self.ws.send(msg))
            .await
            .expect("sending on the WebSocket did not finish within STEP")
            .expect("the WebSocket accepts the message");
    }

    pub async fn hello(&mut self) {
        self.send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
        })
        .await;
        let got = self.recv().await;
        assert_eq!(
            got,
            ServerMsg::Welcome {
                protocol: PROTOCOL_VERSION
            },
            "Hello is answered by Welcome"
        );
    }

    /// Sends `Join` and waits for `Joined` (skipping offers and other traffic); panics on `Error`.
    pub async fn join(
        &mut self,
        room: &RoomId,
        name: &str,
        mic: bool,
        cam: bool,
    ) -> (ParticipantId, Vec<ParticipantInfo>) {
        let j = self.join_full(room, name, mic, cam).await;
        (j.id, j.participants)
    }

    /// [`WsClient::join`] with everything `Joined` carries.
    pub async fn join_full(&mut self, room: &RoomId, name: &str, mic: bool, cam: bool) -> Joined {
        self.join_as(room, name, mic, cam, None).await
    }

    /// [`WsClient::join_full`] with the moderator key of a created meeting, if any.
    pub async fn join_as(
        &mut self,
        room: &RoomId,
        name: &str,
        mic: bool,
        cam: bool,
        moderator_key: Option<&str>,
    ) -> Joined {
        self.send(&ClientMsg::Join {
            room: room.clone(),
            name: name.into(),
            mic,
            cam,
            moderator_key: moderator_key.map(str::to_owned),
            password: None,
        })
        .await;
        self.expect_joined(name).await
    }

    /// Closes the socket as a browser does on a reload or a closed tab: a close frame with 1001.
    pub async fn close_like_a_page(mut self) {
        let frame = CloseFrame {
            code: tungstenite::protocol::frame::coding::CloseCode::Away,
            reason: "".into(),
        };
        let _ = timeout(STEP, self.ws.close(Some(frame))).await;
    }

    /// Closes the socket with 3000 (trouble, not a goodbye: the participant may resume) and waits
    /// for the server to complete the close handshake.
    pub async fn close_in_trouble(mut self) {
        let frame = CloseFrame {
            code: tungstenite::protocol::frame::coding::CloseCode::Library(3000),
            reason: "".into(),
        };
        let _ = timeout(STEP, self.ws.close(Some(frame))).await;
        timeout(STEP, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await
        .expect("the server completes the close handshake within STEP");
    }

    /// Sends `Resume` for participant `id` of `room` with `secret`; the server's answer: `Joined`,
    /// or the code of its refusal.
    pub async fn resume(
        &mut self,
        room: &RoomId,
        id: ParticipantId,
        secret: &str,
    ) -> Result<Joined, treff_shared::ErrorCode> {
        self.send(&ClientMsg::Resume {
            room: room.clone(),
            id,
            secret: secret.into(),
        })
        .await;
        self.recv_until("Joined or an Error after Resume", |m| match m {
            ServerMsg::Joined { .. } => Some(Ok(joined_of(m))),
            ServerMsg::Error { code, .. } => Some(Err(*code)),
            _ => None,
        })
        .await
    }

    /// Waits for `Joined`; panics on `Error`.
    async fn expect_joined(&mut self, name: &str) -> Joined {
        self.recv_until(&format!("Joined for {name}"), |m| match m {
            ServerMsg::Joined { .. } => Some(joined_of(m)),
            ServerMsg::Error { code, message } => {
                panic!("Join of {name} was refused: {code:?}: {message}")
            }
            _ => None,
        })
        .await
    }

    /// Reads the next message, whatever it is; panics on close or timeout.
    pub async fn recv(&mut self) -> ServerMsg {
        self.recv_until("any message", |m| Some(m.clone())).await
    }

    /// Reads until `pick` returns `Some`, skipping everything else; panics on close or after [`STEP`].
    pub async fn recv_until<T>(
        &mut self,
        what: &str,
        pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> T {
        self.recv_until_within(STEP, what, pick).await
    }

    pub async fn recv_until_within<T>(
        &mut self,
        within: Duration,
        what: &str,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            let next = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(next) => next,
                Err(_) => panic!(
                    "timed out after {within:?} waiting for {what}; skipped meanwhile: {:?}",
                    self.skipped
                ),
            };
            match next {
                Some(Ok(Message::Text(text))) => {
                    let msg: ServerMsg = serde_json::from_str(text.as_str()).unwrap_or_else(|e| {
                        panic!("the server sent a text frame that is no ServerMsg ({e}): {text}")
                    });
                    if let Some(t) = pick(&msg) {
                        return t;
                    }
                    self.skipped.push(msg_name(&msg));
                }
                Some(Ok(Message::Close(frame))) => panic!(
                    "the socket was closed ({:?}) while waiting for {what}; skipped: {:?}",
                    frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    self.skipped
                ),
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(_)) => {} // ping/pong: tungstenite answers pings itself
                Some(Err(e)) => panic!("WebSocket error while waiting for {what}: {e}"),
                None => panic!("the socket ended while waiting for {what}"),
            }
        }
    }

    /// Waits for the server to end this socket; skips ordinary messages. Panics after [`STEP`].
    pub async fn expect_closed(&mut self) -> Closed {
        let deadline = Instant::now() + STEP;
        loop {
            let next = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(next) => next,
                Err(_) => panic!(
                    "the server did not close the socket within {STEP:?}; skipped meanwhile: {:?}",
                    self.skipped
                ),
            };
            match next {
                Some(Ok(Message::Close(frame))) => {
                    return Closed::Frame(frame.map(|f: CloseFrame| u16::from(f.code)));
                }
                Some(Ok(Message::Text(text))) => {
                    let name = serde_json::from_str::<ServerMsg>(text.as_str())
                        .map(|m| msg_name(&m))
                        .unwrap_or_else(|_| format!("non-ServerMsg text: {text}"));
                    self.skipped.push(name);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Closed::NoFrame(e.to_string()),
                None => return Closed::NoFrame("end of stream".into()),
            }
        }
    }

    /// Asserts the server closes this socket with exactly `code`.
    pub async fn expect_close_code(&mut self, code: u16, why: &str) {
        let closed = self.expect_closed().await;
        assert_eq!(
            closed,
            Closed::Frame(Some(code)),
            "{why}: expected a close frame with code {code}; skipped before it: {:?}",
            self.skipped
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic media
// ---------------------------------------------------------------------------------------------

/// An Opus frame of 20 ms digital silence (TOC 0xf8: CELT full band, 20 ms, mono, one frame).
pub const OPUS_SILENCE: [u8; 3] = [0xf8, 0xff, 0xfe];
/// Prefix of the tag each synthetic video frame carries, so a receiver knows whose frame it got.
pub const SOURCE_TAG: &[u8] = b"TREFF-SRC:";
/// Appended to the name in the tag of screen frames.
pub const SCREEN_SUFFIX: &str = " screen";

/// The size of a synthetic frame of each simulcast layer (rids `q`, `h`, `f`): at 30 frames a second
/// about 72 kbit/s, 550 kbit/s and 1.4 Mbit/s, as a browser's layers and the load generator's
/// (`treff-loadgen`'s `media::LAYERS`) send, so that a slow link tells them apart.
const LAYER_FRAME_SIZES: [(&str, usize); 3] = [("q", 300), ("h", 2300), ("f", 5750)];
/// The size of every other synthetic frame.
const FRAME_SIZE: usize = 300;

/// A synthetic VP8 frame of [`FRAME_SIZE`] bytes ([`vp8_frame_of`]).
pub fn vp8_frame(key: bool, name: &str, n: u64) -> Bytes {
    vp8_frame_of(FRAME_SIZE, key, name, n)
}

/// A synthetic VP8 frame of `size` bytes. A key frame has a valid 10-byte header (frame tag with
/// the key-frame bit clear, start code 9d 01 2a, 320x240); an inter frame a 3-byte tag. The payload
/// carries `TREFF-SRC:<name>;` so the receiver can tell whose frame the SFU forwarded.
pub fn vp8_frame_of(size: usize, key: bool, name: &str, n: u64) -> Bytes {
    let header_len = if key { 10 } else { 3 };
    let first_partition = (size - header_len) as u32;
    // Frame tag: bit 0 = !key_frame, bits 1-3 version 0, bit 4 show_frame, bits 5-23 partition size.
    let tag = u32::from(!key) | (1 << 4) | (first_partition << 5);
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(&tag.to_le_bytes()[..3]);
    if key {
        b.extend_from_slice(&[0x9d, 0x01, 0x2a]);
        b.extend_from_slice(&320u16.to_le_bytes());
        b.extend_from_slice(&240u16.to_le_bytes());
    }
    b.extend_from_slice(SOURCE_TAG);
    b.extend_from_slice(name.as_bytes());
    b.push(b';');
    b.extend_from_slice(&n.to_le_bytes());
    while b.len() < size {
        b.push((b.len() as u8).wrapping_mul(31));
    }
    Bytes::from(b)
}

/// The `<name>` of a `TREFF-SRC:<name>;` tag in an RTP payload, if any.
fn source_tag(payload: &[u8]) -> Option<String> {
    let start = payload
        .windows(SOURCE_TAG.len())
        .position(|w| w == SOURCE_TAG)?
        + SOURCE_TAG.len();
    let len = payload[start..].iter().position(|&b| b == b';')?;
    Some(String::from_utf8_lossy(&payload[start..start + len]).into_owned())
}

fn opus_codec() -> RTCRtpCodecCapability {
    RTCRtpCodecCapability {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

fn vp8_codec() -> RTCRtpCodecCapability {
    let fb = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    RTCRtpCodecCapability {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![
            fb("goog-remb", ""),
            fb("ccm", "fir"),
            fb("nack", ""),
            fb("nack", "pli"),
        ],
    }
}

fn kind_of(t: RTPCodecType) -> Option<TrackKind> {
    match t {
        RTPCodecType::Audio => Some(TrackKind::Audio),
        RTPCodecType::Video => Some(TrackKind::Video),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// WebRTC participant
// ---------------------------------------------------------------------------------------------

/// What a participant publishes from the start. Every participant has a sender for its
/// microphone, camera and screen; one that is off is answered `inactive` until it is switched on
/// ([`WebrtcParticipant::start_sharing`]).
#[derive(Clone, Copy, Debug)]
pub struct Publish {
    pub audio: bool,
    pub video: bool,
}

impl Publish {
    pub const BOTH: Publish = Publish {
        audio: true,
        video: true,
    };
    pub const NOTHING: Publish = Publish {
        audio: false,
        video: false,
    };
}

/// Real encoded media a participant sends in a loop instead of the synthetic frames: VP8 frames
/// of 40 ms (25 fps) and Opus packets of 20 ms, two audio packets per video frame, so that the loop
/// keeps picture and sound in step (both tracks' RTP clocks advance by the same span per tick).
#[derive(Debug)]
pub struct Clip {
    /// VP8 frames, 40 ms each; the first is a key frame.
    pub video: Vec<Bytes>,
    /// Opus packets, 20 ms each: twice as many as `video`.
    pub audio: Vec<Bytes>,
}

impl Clip {
    /// A clip of `video` frames and `audio` packets, both cut to the same span so the loop keeps
    /// them in step.
    pub fn new(video: Vec<Bytes>, mut audio: Vec<Bytes>) -> Arc<Self> {
        let frames = video.len().min(audio.len() / 2);
        let mut video = video;
        video.truncate(frames);
        audio.truncate(2 * frames);
        Arc::new(Self { video, audio })
    }
}

/// How a [`WebrtcParticipant`] joins.
#[derive(Clone, Debug)]
pub struct JoinOptions {
    /// Which tracks are on from the start.
    pub publish: Publish,
    /// A created meeting's moderator key: joins as its moderator.
    pub moderator_key: Option<String>,
    /// Real media to send instead of the synthetic frames.
    pub clip: Option<Arc<Clip>>,
    /// Gather IPv6 loopback (`::1`) instead of IPv4 (`127.0.0.1`): for a server on `[::1]`.
    pub ipv6: bool,
    /// Send the camera as the three simulcast layers (rids `q`, `h`, `f`), each frame tagged
    /// `<name>@<rid>`, as a browser does; otherwise as one stream without a rid.
    pub simulcast: bool,
    /// Reach the server's UDP port through this relay (a slow downlink) instead of directly.
    pub relay: Option<Arc<Relay>>,
}

impl From<Publish> for JoinOptions {
    fn from(publish: Publish) -> Self {
        Self {
            publish,
            moderator_key: None,
            clip: None,
            ipv6: false,
            simulcast: false,
            relay: None,
        }
    }
}

/// What arrived on one receiving m-line.
#[derive(Debug)]
pub struct Received {
    /// The kind webrtc-rs saw on the track.
    pub kind: TrackKind,
    /// RTP packets read from it (across all tracks webrtc-rs fired on this mid).
    pub packets: Arc<AtomicU64>,
    /// The SSRC of the latest track on this mid: what a PLI for it must name.
    pub ssrc: AtomicU64,
    /// Sources named by `TREFF-SRC:` tags in the payloads (video only).
    pub sources: StdMutex<BTreeSet<String>>,
    /// Each change of source tag in arrival order: the new tag and whether its first packet
    /// started a keyframe (video only; the first 64 changes).
    pub runs: StdMutex<Vec<(String, bool)>>,
}

/// Snapshot of an offer the participant answered.
#[derive(Clone, Debug)]
pub struct OfferInfo {
    pub publish: PublishMids,
    pub tracks: Vec<RemoteTrack>,
    /// The SDP as the server sent it.
    pub sdp: String,
}

/// State shared between the test, the signalling task and the media tasks.
struct Shared {
    name: String,
    /// Every message received after `Joined`, in order (offers included, once answered).
    events: StdMutex<Vec<ServerMsg>>,
    /// Woken on every new event and every close.
    changed: Notify,
    /// mid -> (participant, kind), from the latest offer that listed the mid.
    attribution: StdMutex<HashMap<String, (ParticipantId, TrackKind)>>,
    /// mid -> what arrived on it.
    received: StdMutex<HashMap<String, Arc<Received>>>,
    /// Offers answered so far, and the latest one.
    offers: StdMutex<Vec<OfferInfo>>,
    /// Negotiation failures; the tests assert there are none.
    errors: StdMutex<Vec<String>>,
    /// How the signalling socket ended, once it has.
    closed: StdMutex<Option<Closed>>,
    /// PLI and FIR packets for our own senders' SSRCs, per kind.
    plis_in: [AtomicU64; 3],
    firs_in: [AtomicU64; 3],
    /// PLI and FIR packets a sender's reader saw for another SSRC (see `spawn_rtcp_reader`).
    foreign_requests: AtomicU64,
    /// Samples written on our own tracks, per kind.
    samples_out: [AtomicU64; 3],
    /// Set by an incoming PLI/FIR: the next frame of that video track is a key frame.
    want_keyframe: [AtomicBool; 3],
    /// Which of our tracks are on (answered `sendonly` and written to), per kind.
    on: [AtomicBool; 3],
    /// Media and reader tasks, aborted on close.
    tasks: StdMutex<Vec<JoinHandle<()>>>,
    /// The relay the offers are rewritten for, if the participant reaches the server through one.
    relay: Option<Arc<Relay>>,
}

fn idx(kind: TrackKind) -> usize {
    kind as usize
}

impl Shared {
    fn push_event(&self, msg: ServerMsg) {
        self.events.lock().expect("not poisoned").push(msg);
        self.changed.notify_waiters();
    }

    fn error(&self, e: String) {
        eprintln!("[{}] negotiation error: {e}", self.name);
        self.errors.lock().expect("not poisoned").push(e);
        self.changed.notify_waiters();
    }

    fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(fut);
        self.tasks.lock().expect("not poisoned").push(handle);
    }
}

/// The sending half of a participant's socket; `None` once the socket was dropped.
type Sink = Arc<Mutex<Option<SplitSink<Ws, Message>>>>;

/// Runs the signalling loop of a joined participant on `client`'s socket.
fn spawn_signalling(
    client: WsClient,
    pc: &Arc<RTCPeerConnection>,
    shared: &Arc<Shared>,
) -> (Sink, JoinHandle<()>) {
    let (sink, stream) = client.ws.split();
    let sink = Arc::new(Mutex::new(Some(sink)));
    let task = tokio::spawn(signalling_loop(
        stream,
        Arc::clone(&sink),
        Arc::clone(pc),
        Arc::clone(shared),
    ));
    (sink, task)
}

/// A joined participant with a webrtc-rs peer connection that answers every server offer itself.
pub struct WebrtcParticipant {
    pub id: ParticipantId,
    pub name: String,
    /// The `participants` of `Joined`.
    pub joined: Vec<ParticipantInfo>,
    pub pc: Arc<RTCPeerConnection>,
    sink: Sink,
    shared: Arc<Shared>,
    signalling: Option<JoinHandle<()>>,
    /// Our senders, by `TrackKind as usize`.
    senders: Vec<Arc<RTCRtpSender>>,
    /// The secret for `Resume` from the latest `Joined`.
    pub resume: String,
    /// Index into `events` up to which `wait_event` has consumed.
    cursor: usize,
}

async fn new_peer_connection(ipv6: bool, simulcast: bool) -> Arc<RTCPeerConnection> {
    let mut media = MediaEngine::default();
    media
        .register_codec(
            RTCRtpCodecParameters {
                capability: opus_codec(),
                payload_type: 111,
                ..Default::default()
            },
            RTPCodecType::Audio,
        )
        .expect("register Opus");
    media
        .register_codec(
            RTCRtpCodecParameters {
                capability: vp8_codec(),
                payload_type: 96,
                ..Default::default()
            },
            RTPCodecType::Video,
        )
        .expect("register VP8");
    // Retransmissions on their own stream, as browsers take them: str0m then also has a stream to
    // send the padding on that lets a receiver's downlink estimate grow (`sfu::estimate`).
    media
        .register_codec(
            RTCRtpCodecParameters {
                capability: RTCRtpCodecCapability {
                    mime_type: "video/rtx".to_owned(),
                    clock_rate: 90000,
                    channels: 0,
                    sdp_fmtp_line: "apt=96".to_owned(),
                    rtcp_feedback: vec![],
                },
                payload_type: 97,
                ..Default::default()
            },
            RTPCodecType::Video,
        )
        .expect("register RTX");
    if simulcast {
        // The rid extension tells the layers apart; the mid one lets the SFU map them to the m-line.
        for uri in [
            webrtc::sdp::extmap::SDES_MID_URI,
            webrtc::sdp::extmap::SDES_RTP_STREAM_ID_URI,
        ] {
            let extension = RTCRtpHeaderExtensionCapability {
                uri: uri.to_owned(),
            };
            media
                .register_header_extension(extension, RTPCodecType::Video, None)
                .expect("register a header extension");
        }
    }
    // NACK generator/responder, sender/receiver reports, TWCC receiver: as a browser would.
    let registry =
        register_default_interceptors(Registry::new(), &mut media).expect("default interceptors");

    let mut settings = SettingEngine::default();
    // The server's only candidate is on loopback: gather loopback (off by default), nothing else,
    // no mDNS (it would bind 5353 and query the network).
    settings.set_include_loopback_candidate(true);
    settings.set_ip_filter(Box::new(|ip| ip.is_loopback()));
    settings.set_network_types(vec![if ipv6 {
        NetworkType::Udp6
    } else {
        NetworkType::Udp4
    }]);
    settings.set_ice_multicast_dns_mode(MulticastDnsMode::Disabled);

    let api = APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .build();
    let config = RTCConfiguration {
        ice_servers: vec![],
        ..Default::default()
    };
    Arc::new(
        api.new_peer_connection(config)
            .await
            .expect("a new RTCPeerConnection"),
    )
}

impl WebrtcParticipant {
    /// Connects, says Hello, joins `room` as `name` (mic/cam as published) and starts answering offers.
    pub async fn join(server: &treff::Server, room: &RoomId, name: &str, publish: Publish) -> Self {
        Self::join_with(server, room, name, publish.into()).await
    }

    /// [`WebrtcParticipant::join`] with everything [`JoinOptions`] can say.
    pub async fn join_with(
        server: &treff::Server,
        room: &RoomId,
        name: &str,
        options: JoinOptions,
    ) -> Self {
        let JoinOptions {
            publish,
            moderator_key,
            clip,
            ipv6,
            simulcast,
            relay,
        } = options;
        let pc = new_peer_connection(ipv6, simulcast).await;
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            events: StdMutex::new(Vec::new()),
            changed: Notify::new(),
            attribution: StdMutex::new(HashMap::new()),
            received: StdMutex::new(HashMap::new()),
            offers: StdMutex::new(Vec::new()),
            errors: StdMutex::new(Vec::new()),
            closed: StdMutex::new(None),
            plis_in: Default::default(),
            firs_in: Default::default(),
            foreign_requests: AtomicU64::new(0),
            samples_out: Default::default(),
            want_keyframe: Default::default(),
            on: [
                AtomicBool::new(publish.audio),
                AtomicBool::new(publish.video),
                AtomicBool::new(false),
            ],
            tasks: StdMutex::new(Vec::new()),
            relay,
        });

        // Published tracks go on send-only transceivers made before the first offer: webrtc-rs then
        // pairs each with the first recvonly m-line of its kind (the server's publish m-line), and
        // `negotiate` checks that the mids agree with `Offer.publish`. (In webrtc-rs 0.17 a
        // transceiver created by the offer has a sender without an encoding, so `replace_track` on
        // it fails; pre-made transceivers are the supported way to answer with a sending track.)
        // Random ids, as browsers make them: the name must not travel in SDP (it would reach str0m's
        // debug logs, which the log-privacy test reads at DEBUG).
        let stream_id = new_room().as_str().to_owned();
        let mut senders = Vec::new();
        let mut clip_tracks = Vec::new();
        for kind in TrackKind::ALL {
            let (codec, track_id) = match kind {
                TrackKind::Audio => (opus_codec(), "audio"),
                TrackKind::Video => (vp8_codec(), "video"),
                TrackKind::Screen => (vp8_codec(), "screen"),
            };
            let track = Arc::new(if kind == TrackKind::Video && simulcast {
                // The first layer makes the transceiver; `add_layers` adds the others.
                TrackLocalStaticSample::new_with_rid(
                    codec,
                    track_id.to_owned(),
                    "q".to_owned(),
                    stream_id.clone(),
                )
            } else {
                TrackLocalStaticSample::new(codec, track_id.to_owned(), stream_id.clone())
            });
            let t =
                add_sendonly(&pc, Arc::clone(&track) as Arc<dyn TrackLocal + Send + Sync>).await;
            let sender = t.sender().await;
            spawn_rtcp_reader(&shared, Arc::clone(&sender), kind);
            match kind {
                TrackKind::Audio | TrackKind::Video if clip.is_some() => clip_tracks.push(track),
                TrackKind::Audio => spawn_audio_writer(&shared, track),
                TrackKind::Video if simulcast => {
                    add_layers(&sender, &shared, &stream_id, name).await;
                    let tag = format!("{name}@q");
                    spawn_video_writer(&shared, track, kind, tag, LAYER_FRAME_SIZES[0].1);
                }
                TrackKind::Video => {
                    spawn_video_writer(&shared, track, kind, name.to_owned(), FRAME_SIZE);
                }
                TrackKind::Screen => {
                    let tag = format!("{name}{SCREEN_SUFFIX}");
                    spawn_video_writer(&shared, track, kind, tag, FRAME_SIZE);
                }
            }
            senders.push(sender);
        }
        if let (Some(clip), [audio, video]) = (clip, &clip_tracks[..]) {
            spawn_clip_writer(&shared, Arc::clone(audio), Arc::clone(video), clip);
        }
        install_on_track(&pc, &shared);

        let mut client = WsClient::connect(server).await;
        client.hello().await;
        let Joined {
            id,
            participants: joined,
            resume,
            ..
        } = client
            .join_as(
                room,
                name,
                publish.audio,
                publish.video,
                moderator_key.as_deref(),
            )
            .await;
        let (sink, signalling) = spawn_signalling(client, &pc, &shared);
        Self {
            id,
            name: name.to_owned(),
            joined,
            pc,
            sink,
            shared,
            signalling: Some(signalling),
            senders,
            resume,
            cursor: 0,
        }
    }

    /// The socket breaks (dropped without a close frame, as when a network goes away), and nothing
    /// replaces it yet. The peer connection stays.
    pub async fn drop_socket(&mut self) {
        if let Some(h) = self.signalling.take() {
            h.abort();
            let _ = h.await;
        }
        // With the stream (in the aborted task) gone, dropping the sink closes the TCP connection
        // without a WebSocket close frame.
        self.sink.lock().await.take();
    }

    /// After [`WebrtcParticipant::drop_socket`]: a new socket resumes as this participant with the
    /// latest secret; the peer connection answers the server's offers again.
    pub async fn resume(
        &mut self,
        server: &treff::Server,
        room: &RoomId,
    ) -> Result<(), treff_shared::ErrorCode> {
        let mut client = WsClient::connect(server).await;
        client.hello().await;
        let joined = client.resume(room, self.id, &self.resume).await?;
        self.resume = joined.resume;
        let (sink, signalling) = spawn_signalling(client, &self.pc, &self.shared);
        self.sink = sink;
        self.signalling = Some(signalling);
        Ok(())
    }

    pub async fn send(&self, msg: &ClientMsg) {
        let text = serde_json::to_string(msg).expect("ClientMsg serialises");
        let mut sink = self.sink.lock().await;
        let sink = sink.as_mut().expect("the socket is open");
        timeout(STEP, sink.send(Message::text(text)))
            .await
            .expect("sending did not finish within STEP")
            .expect("the WebSocket accepts the message");
    }

    /// Waits for the next event (after the ones already consumed) for which `pick` is `Some`.
    pub async fn wait_event<T>(
        &mut self,
        what: &str,
        pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> T {
        self.wait_event_within(STEP, what, pick).await
    }

    /// [`WebrtcParticipant::wait_event`] with a deadline of `within` instead of [`STEP`].
    pub async fn wait_event_within<T>(
        &mut self,
        within: Duration,
        what: &str,
        mut pick: impl FnMut(&ServerMsg) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let events = self.shared.events.lock().expect("not poisoned");
                while self.cursor < events.len() {
                    let ev = &events[self.cursor];
                    self.cursor += 1;
                    if let Some(t) = pick(ev) {
                        return t;
                    }
                }
            }
            if let Some(closed) = self.shared.closed.lock().expect("not poisoned").clone() {
                panic!(
                    "[{}] the socket ended ({closed:?}) while waiting for {what}; events: {:?}",
                    self.name,
                    self.event_names()
                );
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "[{}] timed out after {within:?} waiting for {what}; events: {:?}; errors: {:?}",
                    self.name,
                    self.event_names(),
                    self.errors()
                );
            }
        }
    }

    pub fn event_names(&self) -> Vec<String> {
        self.shared
            .events
            .lock()
            .expect("not poisoned")
            .iter()
            .map(msg_name)
            .collect()
    }

    /// Negotiation errors so far (set_remote_description, answer, mid mismatch...).
    pub fn errors(&self) -> Vec<String> {
        self.shared.errors.lock().expect("not poisoned").clone()
    }

    pub fn assert_no_errors(&self) {
        let errors = self.errors();
        assert!(
            errors.is_empty(),
            "[{}] negotiation errors: {errors:?}",
            self.name
        );
    }

    /// Offers answered so far.
    pub fn offers_answered(&self) -> usize {
        self.shared.offers.lock().expect("not poisoned").len()
    }

    /// Every offer answered so far, in order.
    pub fn offers(&self) -> Vec<OfferInfo> {
        self.shared.offers.lock().expect("not poisoned").clone()
    }

    pub fn latest_offer(&self) -> Option<OfferInfo> {
        self.shared
            .offers
            .lock()
            .expect("not poisoned")
            .last()
            .cloned()
    }

    /// Waits until an answered offer satisfies `pred`; returns it.
    pub async fn wait_offer(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&OfferInfo) -> bool,
    ) -> OfferInfo {
        let deadline = Instant::now() + STEP;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(o) = self
                .shared
                .offers
                .lock()
                .expect("not poisoned")
                .iter()
                .rev()
                .find(|o| pred(o))
                .cloned()
            {
                return o;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "[{}] no answered offer {what} within {STEP:?}; offers: {:?}; errors: {:?}",
                    self.name,
                    self.shared.offers.lock().expect("not poisoned"),
                    self.errors()
                );
            }
        }
    }

    /// The mids the latest offer attributes to `from` with `kind`.
    pub fn mids_of(&self, from: ParticipantId, kind: TrackKind) -> Vec<String> {
        self.latest_offer()
            .map(|o| {
                o.tracks
                    .iter()
                    .filter(|t| t.participant == from && t.kind == kind)
                    .map(|t| t.mid.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// RTP packets received on the m-lines attributed to `from` with `kind`.
    pub fn packets_from(&self, from: ParticipantId, kind: TrackKind) -> u64 {
        let attribution = self.shared.attribution.lock().expect("not poisoned");
        let received = self.shared.received.lock().expect("not poisoned");
        attribution
            .iter()
            .filter(|(_, (p, k))| *p == from && *k == kind)
            .filter_map(|(mid, _)| received.get(mid))
            .map(|r| r.packets.load(Ordering::Relaxed))
            .sum()
    }

    /// The source-tag changes (see [`Received::runs`]) on the m-line of `from`'s camera.
    pub fn video_runs_from(&self, from: ParticipantId) -> Vec<(String, bool)> {
        let attribution = self.shared.attribution.lock().expect("not poisoned");
        let received = self.shared.received.lock().expect("not poisoned");
        attribution
            .iter()
            .filter(|(_, who)| **who == (from, TrackKind::Video))
            .filter_map(|(mid, _)| received.get(mid))
            .flat_map(|r| r.runs.lock().expect("not poisoned").clone())
            .collect()
    }

    /// Packets of `kind` that arrived on m-lines not attributed to `from`'s track of that kind.
    /// One pass over the counters: comparing two sums read at different moments would race with
    /// the packets still arriving.
    pub fn packets_not_from(&self, from: ParticipantId, kind: TrackKind) -> u64 {
        let attribution = self.shared.attribution.lock().expect("not poisoned");
        self.shared
            .received
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|(mid, r)| r.kind == kind && attribution.get(*mid) != Some(&(from, kind)))
            .map(|(_, r)| r.packets.load(Ordering::Relaxed))
            .sum()
    }

    /// What arrived on `mid`, if anything has.
    pub fn received_on(&self, mid: &str) -> Option<Arc<Received>> {
        self.shared
            .received
            .lock()
            .expect("not poisoned")
            .get(mid)
            .cloned()
    }

    /// Summary of receptions for failure messages: mid -> (kind, packets, attributed to, sources).
    pub fn reception_report(&self) -> String {
        let attribution = self.shared.attribution.lock().expect("not poisoned");
        let received = self.shared.received.lock().expect("not poisoned");
        let mut lines: Vec<String> = received
            .iter()
            .map(|(mid, r)| {
                format!(
                    "mid {mid}: {:?} {} pkts, ssrc {}, attributed {:?}, sources {:?}",
                    r.kind,
                    r.packets.load(Ordering::Relaxed),
                    r.ssrc.load(Ordering::Relaxed),
                    attribution.get(mid),
                    r.sources.lock().expect("not poisoned")
                )
            })
            .collect();
        lines.sort();
        format!(
            "[{}] received: {lines:?}; sent samples a/v: {}/{}; PLI in a/v: {}/{}; state: {:?}; errors: {:?}",
            self.name,
            self.samples_out(TrackKind::Audio),
            self.samples_out(TrackKind::Video),
            self.plis_received(TrackKind::Audio),
            self.plis_received(TrackKind::Video),
            self.pc.connection_state(),
            self.errors()
        )
    }

    pub fn samples_out(&self, kind: TrackKind) -> u64 {
        self.shared.samples_out[idx(kind)].load(Ordering::Relaxed)
    }

    /// PLIs that reached our own sender of `kind`.
    pub fn plis_received(&self, kind: TrackKind) -> u64 {
        self.shared.plis_in[idx(kind)].load(Ordering::Relaxed)
    }

    /// FIRs that reached our own sender of `kind`.
    pub fn firs_received(&self, kind: TrackKind) -> u64 {
        self.shared.firs_in[idx(kind)].load(Ordering::Relaxed)
    }

    /// PLIs and FIRs one of our senders' readers saw in a compound packet that named that sender,
    /// but which asked for another of our SSRCs (counted there as well, by its own reader).
    pub fn foreign_requests(&self) -> u64 {
        self.shared.foreign_requests.load(Ordering::Relaxed)
    }

    /// Starts sharing the screen: `SetMedia` with the screen on; the server then offers the screen
    /// m-line `recvonly` again (it was answered `inactive`), the answer makes it `sendonly`, and
    /// frames tagged `<name> screen` flow.
    pub async fn start_sharing(&self) {
        self.shared.on[idx(TrackKind::Screen)].store(true, Ordering::Relaxed);
        let on = |kind: TrackKind| self.shared.on[idx(kind)].load(Ordering::Relaxed);
        self.send(&ClientMsg::SetMedia {
            mic: on(TrackKind::Audio),
            cam: on(TrackKind::Video),
            screen: true,
        })
        .await;
    }

    /// Waits until this participant is told that capture of the recording runs (`true`) or is
    /// paused (`false`); returns when it saw it.
    pub async fn wait_capturing(&mut self, running: bool) -> Instant {
        let what = if running {
            "capture runs"
        } else {
            "capture pauses"
        };
        self.wait_event(what, |m| match m {
            ServerMsg::Recording {
                recording: Some(state),
                ..
            } if state.capturing == running => Some(()),
            _ => None,
        })
        .await;
        Instant::now()
    }

    /// Waits (a moderator) for the output job of the recording to be done, and returns the
    /// recording; panics if it failed.
    pub async fn wait_recording_done(&mut self) -> RecordingSummary {
        self.wait_event_within(OUTPUT_JOB, "the output job's result", |m| match m {
            ServerMsg::RecordingJob {
                job: JobState::Done { recording },
                ..
            } => Some(recording.clone()),
            ServerMsg::RecordingJob {
                job: JobState::Failed { reason },
                ..
            } => panic!("the output job failed: {reason}"),
            _ => None,
        })
        .await
    }

    /// Polls `cond` every 20 ms until it holds, or panics after `within` with `report()`.
    pub async fn wait_until(&self, within: Duration, what: &str, cond: impl FnMut(&Self) -> bool) {
        self.wait_until_beside(within, what, cond, &[]).await;
    }

    /// As [`Self::wait_until`]; a timeout also prints the reports of `others` (the sender a
    /// receiver waits for: was it connected, did it send?).
    pub async fn wait_until_beside(
        &self,
        within: Duration,
        what: &str,
        mut cond: impl FnMut(&Self) -> bool,
        others: &[&Self],
    ) {
        let deadline = Instant::now() + within;
        while !cond(self) {
            if Instant::now() >= deadline {
                let others: Vec<String> = others.iter().map(|o| o.reception_report()).collect();
                panic!(
                    "timed out after {within:?} waiting for {what}\n{}\n{}",
                    self.reception_report(),
                    others.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a PLI for `media_ssrc` (an SSRC this participant receives) to the server.
    pub async fn send_pli(&self, media_ssrc: u32) {
        self.pc
            .write_rtcp(&[Box::new(PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc,
            })])
            .await
            .expect("write_rtcp(PLI)");
    }

    /// Sends `Leave`, then closes everything (the server closes the socket after `Leave`).
    pub async fn leave(mut self) {
        self.send(&ClientMsg::Leave).await;
        // Give the server the chance to close cleanly; either way we tear down after STEP.
        let deadline = Instant::now() + STEP;
        while self.shared.closed.lock().expect("not poisoned").is_none()
            && Instant::now() < deadline
        {
            let notified = self.shared.changed.notified();
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
        self.close_inner().await;
    }

    /// Closes the peer connection and the socket without `Leave` (like a closed browser tab).
    pub async fn close(mut self) {
        self.close_inner().await;
    }

    async fn close_inner(&mut self) {
        if let Some(h) = self.signalling.take() {
            h.abort();
        }
        let _ = timeout(STEP, self.pc.close()).await;
        for h in self.shared.tasks.lock().expect("not poisoned").drain(..) {
            h.abort();
        }
        let _ = timeout(Duration::from_secs(1), async {
            if let Some(sink) = self.sink.lock().await.as_mut() {
                let _ = sink.send(Message::Close(None)).await;
                let _ = sink.close().await;
            }
        })
        .await;
    }
}

impl Drop for WebrtcParticipant {
    /// A failing test drops participants without `close`: stop every task so nothing outlives it.
    fn drop(&mut self) {
        if let Some(h) = self.signalling.take() {
            h.abort();
        }
        if let Ok(mut tasks) = self.shared.tasks.lock() {
            for h in tasks.drain(..) {
                h.abort();
            }
        }
        let pc = Arc::clone(&self.pc);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = pc.close().await;
            });
        }
    }
}

/// Adds the camera's upper simulcast layers (`h`, `f`) to `sender`, whose track is layer `q`, and
/// starts writing them (frames tagged `<name>@<rid>`).
async fn add_layers(sender: &Arc<RTCRtpSender>, shared: &Arc<Shared>, stream_id: &str, name: &str) {
    for (rid, size) in &LAYER_FRAME_SIZES[1..] {
        let track = Arc::new(TrackLocalStaticSample::new_with_rid(
            vp8_codec(),
            "video".to_owned(),
            (*rid).to_owned(),
            stream_id.to_owned(),
        ));
        sender
            .add_encoding(Arc::clone(&track) as Arc<dyn TrackLocal + Send + Sync>)
            .await
            .expect("add a simulcast layer");
        let tag = format!("{name}@{rid}");
        spawn_video_writer(shared, track, TrackKind::Video, tag, *size);
    }
}

async fn add_sendonly(
    pc: &Arc<RTCPeerConnection>,
    track: Arc<dyn TrackLocal + Send + Sync>,
) -> Arc<RTCRtpTransceiver> {
    pc.add_transceiver_from_track(
        track,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Sendonly,
            send_encodings: vec![],
        }),
    )
    .await
    .expect("add a sendonly transceiver")
}

/// Reads RTCP arriving for one of our senders: it must be read for the interceptors (NACK
/// responder, reports) to see it, and PLI/FIR counts prove keyframe requests reach the publisher.
///
/// webrtc-rs hands a sender the whole compound RTCP packet whenever any part of it names the
/// sender's SSRC (webrtc-srtp's session writes the compound to the stream of every destination
/// SSRC). str0m sends a PLI for the camera in the same compound as its receiver report on the
/// microphone when both are due at once, so the microphone's reader sees the camera's PLI: counted
/// by kind alone, that PLI once showed as one for the microphone (the flaky
/// `a_picture_loss_indication_reaches_the_publisher`). Requests are counted by the SSRC they name.
fn spawn_rtcp_reader(shared: &Arc<Shared>, sender: Arc<RTCRtpSender>, kind: TrackKind) {
    let s = Arc::clone(shared);
    shared.spawn(async move {
        // Every encoding of the sender (the simulcast layers of a camera) is ours.
        let own: Vec<u32> = sender
            .get_parameters()
            .await
            .encodings
            .iter()
            .map(|e| e.ssrc)
            .collect();
        while let Ok((packets, _)) = sender.read_rtcp().await {
            for p in packets {
                let any = p.as_any();
                let (counter, media_ssrcs): (&[AtomicU64; 3], Vec<u32>) =
                    if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
                        (&s.plis_in, vec![pli.media_ssrc])
                    } else if let Some(fir) = any.downcast_ref::<FullIntraRequest>() {
                        (&s.firs_in, fir.fir.iter().map(|e| e.ssrc).collect())
                    } else {
                        continue;
                    };
                if own.iter().any(|own| media_ssrcs.contains(own)) {
                    counter[idx(kind)].fetch_add(1, Ordering::Relaxed);
                    s.want_keyframe[idx(kind)].store(true, Ordering::Relaxed);
                } else {
                    s.foreign_requests.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
}

/// 20 ms Opus silence frames, 50 per second, as long as the participant lives.
fn spawn_audio_writer(shared: &Arc<Shared>, track: Arc<TrackLocalStaticSample>) {
    let s = Arc::clone(shared);
    shared.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if !s.on[idx(TrackKind::Audio)].load(Ordering::Relaxed) {
                continue;
            }
            let sample = Sample {
                data: Bytes::from_static(&OPUS_SILENCE),
                duration: Duration::from_millis(20),
                ..Default::default()
            };
            // Before the transport is up the write goes nowhere; that is fine.
            if track.write_sample(&sample).await.is_ok() {
                s.samples_out[0].fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

/// Synthetic VP8 at 30 fps while the track is on, frames of `size` bytes: a key frame every 30
/// frames and whenever a PLI/FIR came in. The frames are tagged `tag`.
fn spawn_video_writer(
    shared: &Arc<Shared>,
    track: Arc<TrackLocalStaticSample>,
    kind: TrackKind,
    tag: String,
    size: usize,
) {
    let s = Arc::clone(shared);
    shared.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(33));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            if !s.on[idx(kind)].load(Ordering::Relaxed) {
                continue;
            }
            let key =
                n.is_multiple_of(30) || s.want_keyframe[idx(kind)].swap(false, Ordering::Relaxed);
            let sample = Sample {
                data: vp8_frame_of(size, key, &tag, n),
                duration: Duration::from_millis(33),
                ..Default::default()
            };
            if track.write_sample(&sample).await.is_ok() {
                s.samples_out[idx(kind)].fetch_add(1, Ordering::Relaxed);
            }
            n += 1;
        }
    });
}

/// Sends `clip` in a loop while the tracks are on: every 20 ms the next Opus packet, every 40 ms
/// the next VP8 frame, from one timer so that picture and sound stay in step. Keyframe requests
/// are not honoured (a clip has a key frame every few frames instead).
fn spawn_clip_writer(
    shared: &Arc<Shared>,
    audio: Arc<TrackLocalStaticSample>,
    video: Arc<TrackLocalStaticSample>,
    clip: Arc<Clip>,
) {
    assert_eq!(
        clip.audio.len(),
        2 * clip.video.len(),
        "two audio packets per video frame"
    );
    let s = Arc::clone(shared);
    shared.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for n in (0..clip.audio.len()).cycle() {
            tick.tick().await;
            let mut tracks = vec![(TrackKind::Audio, &audio, &clip.audio[n], 20)];
            if n % 2 == 0 {
                tracks.push((TrackKind::Video, &video, &clip.video[n / 2], 40));
            }
            for (kind, track, data, ms) in tracks {
                if !s.on[idx(kind)].load(Ordering::Relaxed) {
                    continue;
                }
                let sample = Sample {
                    data: data.clone(),
                    duration: Duration::from_millis(ms),
                    ..Default::default()
                };
                if track.write_sample(&sample).await.is_ok() {
                    s.samples_out[idx(kind)].fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
}

/// Counts RTP per receiving m-line, and notes the SSRC and any source tags.
fn install_on_track(pc: &Arc<RTCPeerConnection>, shared: &Arc<Shared>) {
    let shared = Arc::clone(shared);
    pc.on_track(Box::new(
        move |track: Arc<TrackRemote>, _receiver, transceiver: Arc<RTCRtpTransceiver>| {
            let shared = Arc::clone(&shared);
            Box::pin(async move {
                let Some(kind) = kind_of(track.kind()) else {
                    return;
                };
                let mid = transceiver.mid().map(|m| m.to_string()).unwrap_or_default();
                let received = {
                    let mut map = shared.received.lock().expect("not poisoned");
                    let entry = map.entry(mid).or_insert_with(|| {
                        Arc::new(Received {
                            kind,
                            packets: Arc::new(AtomicU64::new(0)),
                            ssrc: AtomicU64::new(0),
                            sources: StdMutex::new(BTreeSet::new()),
                            runs: StdMutex::new(Vec::new()),
                        })
                    });
                    Arc::clone(entry)
                };
                received
                    .ssrc
                    .store(u64::from(track.ssrc()), Ordering::Relaxed);
                shared.spawn(async move {
                    while let Ok((packet, _)) = track.read_rtp().await {
                        received.packets.fetch_add(1, Ordering::Relaxed);
                        if kind == TrackKind::Video
                            && let Some(src) = source_tag(&packet.payload)
                        {
                            let mut runs = received.runs.lock().expect("not poisoned");
                            if runs.len() < 64 && runs.last().is_none_or(|(last, _)| *last != src) {
                                let key = treff::sfu::forward::vp8_keyframe_start(&packet.payload);
                                runs.push((src.clone(), key));
                            }
                            let mut sources = received.sources.lock().expect("not poisoned");
                            if sources.len() < 16 {
                                sources.insert(src);
                            }
                        }
                    }
                });
            })
        },
    ));
}

/// Owns the socket's read half: answers every offer, records every message, notes the close.
async fn signalling_loop(
    mut stream: SplitStream<Ws>,
    sink: Sink,
    pc: Arc<RTCPeerConnection>,
    shared: Arc<Shared>,
) {
    let closed = loop {
        let msg = match stream.next().await {
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMsg>(text.as_str())
            {
                Ok(msg) => msg,
                Err(e) => {
                    shared.error(format!(
                        "the server sent a non-ServerMsg text ({e}): {text}"
                    ));
                    continue;
                }
            },
            Some(Ok(Message::Close(frame))) => {
                break Closed::Frame(frame.map(|f| u16::from(f.code)));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => break Closed::NoFrame(e.to_string()),
            None => break Closed::NoFrame("end of stream".into()),
        };
        if let ServerMsg::Offer {
            sdp,
            publish: mids,
            tracks,
        } = &msg
        {
            {
                let mut attribution = shared.attribution.lock().expect("not poisoned");
                for t in tracks {
                    attribution.insert(t.mid.clone(), (t.participant, t.kind));
                }
            }
            let on = shared.on.each_ref().map(|o| o.load(Ordering::Relaxed));
            let routed = match &shared.relay {
                Some(relay) => relay.rewrite(sdp),
                None => sdp.clone(),
            };
            match negotiate(&pc, routed, mids, on).await {
                Ok(answer) => {
                    let text = serde_json::to_string(&ClientMsg::Answer { sdp: answer })
                        .expect("ClientMsg serialises");
                    let sent = match sink.lock().await.as_mut() {
                        Some(sink) => sink.send(Message::text(text)).await,
                        None => Ok(()),
                    };
                    if let Err(e) = sent {
                        shared.error(format!("sending the answer failed: {e}"));
                    }
                    shared.offers.lock().expect("not poisoned").push(OfferInfo {
                        publish: mids.clone(),
                        tracks: tracks.clone(),
                        sdp: sdp.clone(),
                    });
                }
                Err(e) => shared.error(e),
            }
        }
        shared.push_event(msg);
    };
    *shared.closed.lock().expect("not poisoned") = Some(closed);
    shared.changed.notify_waiters();
}

/// Applies an offer and returns the complete answer SDP (ICE candidates included: no trickling).
async fn negotiate(
    pc: &RTCPeerConnection,
    sdp: String,
    mids: &PublishMids,
    on: [bool; 3],
) -> Result<String, String> {
    let offer = RTCSessionDescription::offer(sdp).map_err(|e| format!("parse offer: {e}"))?;
    if pc.current_remote_description().await.is_some() {
        transports_started(pc).await?;
    }
    pc.set_remote_description(offer)
        .await
        .map_err(|e| format!("set_remote_description(offer): {e}"))?;

    for t in pc.get_transceivers().await {
        let Some(mid) = t.mid() else { continue };
        let (expected, wanted) = if mid == mids.audio.as_str() {
            (RTPCodecType::Audio, on[idx(TrackKind::Audio)])
        } else if mid == mids.video.as_str() {
            (RTPCodecType::Video, on[idx(TrackKind::Video)])
        } else if mid == mids.screen.as_str() {
            (RTPCodecType::Video, on[idx(TrackKind::Screen)])
        } else {
            continue;
        };
        if t.kind() != expected {
            return Err(format!(
                "publish mid {mid} is a {:?} m-line, expected {expected:?}",
                t.kind()
            ));
        }
        let has_track = t.sender().await.track().await.is_some();
        if wanted && !has_track {
            return Err(format!(
                "our {expected:?} track was not paired with the publish mid {mid} \
                 (is that m-line recvonly, and the only recvonly one of its kind?)"
            ));
        }
        if !wanted && t.direction() != RTCRtpTransceiverDirection::Inactive {
            // Nothing to send there: answer inactive rather than an empty sendonly.
            t.set_direction(RTCRtpTransceiverDirection::Inactive).await;
        } else if wanted && t.direction() != RTCRtpTransceiverDirection::Sendonly {
            // Switched on after an inactive answer: the server offered the m-line again.
            t.set_direction(RTCRtpTransceiverDirection::Sendonly).await;
        }
    }
    // Our own sendonly transceivers must each have found their m-line.
    for t in pc.get_transceivers().await {
        if t.mid().is_none() && t.sender().await.track().await.is_some() {
            return Err(format!(
                "our {:?} track found no m-line in the offer (publish mids {mids:?})",
                t.kind()
            ));
        }
    }

    let answer = pc
        .create_answer(None)
        .await
        .map_err(|e| format!("create_answer: {e}"))?;
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(answer)
        .await
        .map_err(|e| format!("set_local_description(answer): {e}"))?;
    timeout(STEP, gathered.recv())
        .await
        .map_err(|_| "ICE gathering did not complete within STEP".to_string())?;
    let local = pc
        .local_description()
        .await
        .ok_or("no local description after set_local_description")?;
    Ok(local.sdp)
}

/// Waits until webrtc-rs has started its transports after the first answer, before a renegotiation.
///
/// webrtc-rs 0.17 gives its ICE agent the server's credentials only when the transports start, in
/// a task of its own (`start_transports` in its operations queue). An offer applied before that is
/// compared with empty credentials, taken for an ICE restart by the server, and answered with fresh
/// credentials of our own after restarting our ICE, which the server rightly refuses ("ICE restart
/// in answer without one in the preceding offer") until it gives up on the participant. Under load
/// the second offer (someone joined) can overtake that task: 1 in 50 stress runs. Browsers apply
/// descriptions in order, so only this client needs the wait. The agent is given the credentials
/// before it starts checking, so any state other than `New` means they are set.
async fn transports_started(pc: &RTCPeerConnection) -> Result<(), String> {
    let started = async {
        while pc.ice_connection_state() == RTCIceConnectionState::New {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    timeout(STEP, started)
        .await
        .map_err(|_| "ICE did not start within STEP of the first answer".to_string())
}

/// Waits for `cond` (polled every 20 ms) or panics with `what` and `report()` after `within`.
pub async fn poll_until(
    within: Duration,
    what: &str,
    mut cond: impl FnMut() -> bool,
    report: impl Fn() -> String,
) {
    let deadline = Instant::now() + within;
    while !cond() {
        if Instant::now() >= deadline {
            panic!(
                "timed out after {within:?} waiting for {what}\n{}",
                report()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
