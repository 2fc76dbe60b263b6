//! Treff's signalling client: joins a room over `/ws` with the protocol of `shared/src/protocol.rs`
//! (`Hello`, `Join`, then an `Answer` to every `Offer`; the server is always the offerer), exactly as
//! `backend/tests/support/mod.rs` does with webrtc-rs 0.17: send-only transceivers for microphone,
//! camera and screen exist before the first offer, so webrtc-rs pairs each with the server's
//! `recvonly` publish m-line; one that is off is answered `inactive`. For the recorded rows a
//! participant says yes to every proposed recording, and notes what it hears of the recording.

use crate::media::Tally;
use crate::peer::{self, Outgoing, Sources, Tasks};
use anyhow::{Context, Result, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use treff_shared::meeting::{CreateMeeting, MEETINGS_PATH, NewMeeting};
use treff_shared::{
    ClientMsg, Consent, JobState, PROTOCOL_VERSION, ParticipantId, PublishMids, RecordingEvent,
    RoomId, ServerMsg,
};
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one signalling step may take on a loaded machine.
const STEP: Duration = Duration::from_secs(15);

/// What a participant publishes: its source number (in the trailer) and how many receive it.
#[derive(Clone, Copy, Debug)]
pub struct Publishing {
    /// The source number in every payload's trailer.
    pub source: u16,
    /// Receivers of this publisher's media (for the expected counts).
    pub fanout: u64,
    /// Send the camera as Treff's three simulcast layers (Treff only).
    pub simulcast: bool,
}

/// What a participant heard of the recording of its meeting.
#[derive(Debug, Default)]
pub struct RecordingSeen {
    /// Capture runs (everyone said yes).
    pub capturing: AtomicBool,
    /// The output job ended (done, failed or discarded): a moderator hears it.
    pub job_ended: AtomicBool,
}

/// A joined Treff participant.
pub struct Participant {
    /// Its id in the room.
    pub id: ParticipantId,
    pc: Arc<RTCPeerConnection>,
    sink: Arc<Mutex<SplitSink<Ws, Message>>>,
    tasks: Tasks,
    outgoing: Outgoing,
    /// Whose video arrived.
    pub sources: Sources,
    /// Negotiation failures (offers that could not be answered).
    pub errors: Arc<StdMutex<Vec<String>>>,
    /// What it heard of a recording.
    pub recording: Arc<RecordingSeen>,
}

/// Creates a meeting through the API: its id and moderator key (the server has no organiser
/// password in the bench).
pub async fn create_meeting(http: SocketAddr) -> Result<NewMeeting> {
    let response = reqwest::Client::new()
        .post(format!("http://{http}{MEETINGS_PATH}"))
        .json(&CreateMeeting {
            organiser_password: None,
        })
        .send()
        .await?
        .error_for_status()?;
    Ok(response.json().await?)
}

/// A fresh meeting id: 16 random-looking bytes, like a real meeting link.
pub fn new_room() -> RoomId {
    RoomId::from_random(crate::random_bytes())
}

impl Participant {
    /// Connects, says `Hello`, joins `room` as `name` (its moderator with `moderator_key`) and
    /// starts answering offers; a publisher starts sending at once (its packets go nowhere until
    /// the transport is up).
    pub async fn join(
        http: SocketAddr,
        room: &RoomId,
        name: &str,
        moderator_key: Option<String>,
        publishing: Option<Publishing>,
        tally: &Arc<Tally>,
    ) -> Result<Self> {
        let simulcast = publishing.is_some_and(|p| p.simulcast);
        let pc = peer::new_peer_connection(None, simulcast).await?;
        let tasks = Tasks::default();
        // Random ids, as browsers make them.
        let stream_id = new_room().as_str().to_owned();
        let outgoing = peer::new_outgoing(&stream_id, simulcast);
        peer::add_sendonly(&pc, Arc::clone(&outgoing.audio), &outgoing.control, &tasks).await?;
        let camera =
            peer::add_sendonly(&pc, Arc::clone(&outgoing.video), &outgoing.control, &tasks).await?;
        peer::add_layers(&camera, &outgoing).await?;
        // The screen sender exists as in a browser; it is never switched on here.
        let screen = peer::new_outgoing(&stream_id, false);
        peer::add_sendonly(&pc, screen.video, &screen.control, &tasks).await?;
        let sources = Sources::default();
        peer::count_incoming(&pc, tally, &sources, &tasks);

        let mut ws = connect(http).await?;
        send(
            &mut ws,
            &ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
            },
        )
        .await?;
        match recv(&mut ws).await? {
            ServerMsg::Welcome { .. } => {}
            other => bail!("Hello was answered by {other:?}"),
        }
        let on = publishing.is_some();
        send(
            &mut ws,
            &ClientMsg::Join {
                room: room.clone(),
                name: name.into(),
                mic: on,
                cam: on,
                moderator_key,
                password: None,
            },
        )
        .await?;
        // Offers before `Joined` do not happen (the server offers after admitting), but skip
        // anything else that may come first.
        let id = loop {
            match recv(&mut ws).await? {
                ServerMsg::Joined { you, .. } => break you,
                ServerMsg::Error { code, message } => bail!("join refused: {code:?}: {message}"),
                _ => {}
            }
        };
        let (sink, stream) = ws.split();
        let sink = Arc::new(Mutex::new(sink));
        let errors = Arc::new(StdMutex::new(Vec::new()));
        let recording = Arc::new(RecordingSeen::default());
        tasks.spawn(signalling_loop(
            stream,
            Arc::clone(&sink),
            Arc::clone(&pc),
            on,
            Arc::clone(&errors),
            Arc::clone(&recording),
        ));
        if let Some(p) = publishing {
            tasks.spawn(outgoing.publish(p, tally));
        }
        Ok(Self {
            id,
            pc,
            sink,
            tasks,
            outgoing,
            sources,
            errors,
            recording,
        })
    }

    /// Sends a message on the signalling socket.
    pub async fn send(&self, msg: &ClientMsg) -> Result<()> {
        let text = serde_json::to_string(msg)?;
        self.sink.lock().await.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends `Leave` (the last one out ends the conference at once), then closes everything.
    pub async fn leave(self) {
        self.outgoing
            .control
            .running
            .store(false, Ordering::Relaxed);
        let text = serde_json::to_string(&ClientMsg::Leave).unwrap_or_default();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            let mut sink = self.sink.lock().await;
            let _ = sink.send(Message::text(text)).await;
            let _ = sink.close().await;
        })
        .await;
        self.tasks.abort_all();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.pc.close()).await;
    }
}

async fn connect(http: SocketAddr) -> Result<Ws> {
    let mut request = format!("ws://{http}/ws").into_client_request()?;
    // The server only accepts its own origin (what a browser that loaded its UI sends).
    request
        .headers_mut()
        .insert("Origin", HeaderValue::from_str(&format!("http://{http}"))?);
    let (ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(request))
        .await
        .context("WebSocket handshake timed out")??;
    Ok(ws)
}

async fn send(ws: &mut Ws, msg: &ClientMsg) -> Result<()> {
    ws.send(Message::text(serde_json::to_string(msg)?)).await?;
    Ok(())
}

async fn recv(ws: &mut Ws) -> Result<ServerMsg> {
    loop {
        let next = tokio::time::timeout(STEP, ws.next())
            .await
            .context("timed out waiting for the server")?;
        match next {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(text.as_str())?),
            Some(Ok(Message::Close(frame))) => bail!("the server closed the socket: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => bail!("the socket ended"),
        }
    }
}

/// Owns the socket's read half: answers every offer, says yes to a proposed recording, notes
/// what it hears of the recording, ignores the rest.
async fn signalling_loop(
    mut stream: SplitStream<Ws>,
    sink: Arc<Mutex<SplitSink<Ws, Message>>>,
    pc: Arc<RTCPeerConnection>,
    publishing: bool,
    errors: Arc<StdMutex<Vec<String>>>,
    recording: Arc<RecordingSeen>,
) {
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(text) = msg else { continue };
        let (sdp, publish) = match serde_json::from_str(text.as_str()) {
            Ok(ServerMsg::Offer { sdp, publish, .. }) => (sdp, publish),
            Ok(ServerMsg::Recording {
                recording: state,
                event,
            }) => {
                let capturing = state.is_some_and(|s| s.capturing);
                recording.capturing.store(capturing, Ordering::Relaxed);
                if matches!(event, RecordingEvent::Proposed { .. }) {
                    let yes = ClientMsg::Consent {
                        consent: Consent::Yes,
                    };
                    let text = serde_json::to_string(&yes).unwrap_or_default();
                    if sink.lock().await.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                continue;
            }
            Ok(ServerMsg::RecordingJob { job, .. }) => {
                if matches!(
                    job,
                    JobState::Done { .. } | JobState::Failed { .. } | JobState::Discarded
                ) {
                    recording.job_ended.store(true, Ordering::Relaxed);
                }
                continue;
            }
            _ => continue,
        };
        match negotiate(&pc, sdp, &publish, publishing).await {
            Ok(answer) => {
                let text =
                    serde_json::to_string(&ClientMsg::Answer { sdp: answer }).unwrap_or_default();
                if sink.lock().await.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!("negotiation failed: {e:#}");
                if let Ok(mut errors) = errors.lock() {
                    errors.push(format!("{e:#}"));
                }
            }
        }
    }
}

/// Applies an offer and returns the complete answer (candidates included): the publish m-lines
/// are answered `sendonly` when publishing, `inactive` otherwise; the screen always `inactive`.
async fn negotiate(
    pc: &RTCPeerConnection,
    sdp: String,
    mids: &PublishMids,
    publishing: bool,
) -> Result<String> {
    if pc.current_remote_description().await.is_some() {
        peer::transports_started(pc).await?;
    }
    pc.set_remote_description(RTCSessionDescription::offer(sdp)?)
        .await
        .context("set_remote_description(offer)")?;
    for t in pc.get_transceivers().await {
        let Some(mid) = t.mid() else { continue };
        let (expected, wanted) = if mid == mids.audio.as_str() {
            (RTPCodecType::Audio, publishing)
        } else if mid == mids.video.as_str() {
            (RTPCodecType::Video, publishing)
        } else if mid == mids.screen.as_str() {
            (RTPCodecType::Video, false)
        } else {
            continue;
        };
        if t.kind() != expected {
            bail!("publish mid {mid} is a {:?} m-line", t.kind());
        }
        let direction = if wanted {
            RTCRtpTransceiverDirection::Sendonly
        } else {
            RTCRtpTransceiverDirection::Inactive
        };
        if t.direction() != direction {
            t.set_direction(direction).await;
        }
    }
    let answer = pc.create_answer(None).await.context("create_answer")?;
    peer::set_local_and_gather(pc, answer).await
}
