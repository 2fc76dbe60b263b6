//! The room driven directly, without WebSockets or browsers, in simulated time where time matters.
//! This file holds the set-ups every test shares; the tests sit in one file per concern.

use super::*;
use std::sync::Arc;
use str0m::Rtc;
use treff_shared::{ChatMessage, ModeratorAction, RoomSettings};
use treff_shared::{RemoteTrack, TrackKind};

mod chat;
mod last_n;
mod media;
mod meeting;
mod moderation;
mod net;
mod privacy;
mod recording;
mod resume;

async fn room(max: usize) -> (Room, mpsc::Receiver<Vec<Datagram>>) {
    room_with(max, None).await
}

/// A test room whose recordings go to `recorder`.
async fn room_with(
    max: usize,
    recorder: Option<Arc<dyn Recorder>>,
) -> (Room, mpsc::Receiver<Vec<Datagram>>) {
    room_in(max, recorder, None).await
}

/// A test room whose session log may be put on hold in `holds`.
async fn room_holding(holds: Arc<Holds>) -> (Room, mpsc::Receiver<Vec<Datagram>>) {
    room_in(20, None, Some(holds)).await
}

async fn room_in(
    max: usize,
    recorder: Option<Arc<dyn Recorder>>,
    holds: Option<Arc<Holds>>,
) -> (Room, mpsc::Receiver<Vec<Datagram>>) {
    let socket = Arc::new(
        tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind"),
    );
    let candidate = socket.local_addr().expect("addr");
    let media = MediaContext {
        candidates: crate::sfu::Candidates {
            udp: crate::sfu::peer::Addresses::v4(Some(candidate)),
            tcp: Default::default(),
        },
        socket,
        routes: crate::sfu::Routes::default(),
        crypto: Arc::new(str0m::crypto::from_feature_flags()),
        drops: Arc::default(),
    };
    let limits = Limits {
        room_max_participants: max,
        ..Limits::default()
    };
    let (tx, rx) = mpsc::channel(16);
    let conference = Conference {
        id: RoomId::from_random([1; 16]),
        env: Environment {
            limits,
            attachment_dir: std::env::temp_dir()
                // One directory for every run: each test room's files go when its store is dropped.
                .join("treff-room-tests"),
            keys: test_keys(),
            recorder,
            holds,
            notice_version: Arc::from("test-1"),
            turn: None,
            metrics: Default::default(),
        },
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
        client: Client::default(),
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

/// Participant `id`'s socket ends `how`, as its session reports it.
fn socket_gone(room: &mut Room, now: Instant, id: ParticipantId, how: Gone) {
    let out = room
        .participants
        .get(&id)
        .map_or_else(|| mpsc::channel(1).0, |p| p.out.clone());
    room.command(now, Command::Disconnected { id, out, how });
}

/// A message from a joined participant, as its session would pass it on.
fn say(room: &mut Room, from: ParticipantId, msg: ClientMsg) {
    say_at(room, Instant::now(), from, msg);
}

fn say_at(room: &mut Room, now: Instant, from: ParticipantId, msg: ClientMsg) {
    room.command(now, Command::Client { from, msg });
}

fn offers(msgs: &[ServerMsg]) -> Vec<(&str, &Vec<RemoteTrack>)> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Offer { sdp, tracks, .. } => Some((sdp.as_str(), tracks)),
            _ => None,
        })
        .collect()
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

fn errors(msgs: &[ServerMsg]) -> Vec<ErrorCode> {
    msgs.iter()
        .filter_map(|m| match m {
            ServerMsg::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
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
fn anna_and_ben(room: &mut Room, t0: Instant) -> [(ParticipantId, mpsc::Receiver<Outgoing>); 2] {
    let mut both = ["Anna", "Ben"].map(|name| {
        let (id, rx) = join_at(room, t0, name);
        (id.expect("joins"), rx)
    });
    for (_, rx) in &mut both {
        drain(rx);
    }
    both
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

fn chat(text: &str, to: Option<ParticipantId>) -> ClientMsg {
    ClientMsg::Chat {
        text: text.into(),
        to,
        attachment: None,
    }
}

/// The texts of the chat history that the `Joined` among `msgs` carries.
fn history(msgs: &[ServerMsg]) -> Vec<String> {
    history_messages(msgs).into_iter().map(|c| c.text).collect()
}

/// The chat history that the `Joined` among `msgs` carries.
fn history_messages(msgs: &[ServerMsg]) -> Vec<ChatMessage> {
    msgs.iter()
        .find_map(|m| match m {
            ServerMsg::Joined { chat, .. } => Some(chat.clone()),
            _ => None,
        })
        .expect("a Joined")
}

/// Uploads `data` as participant with token `secret`, the way the HTTP handler does.
async fn upload(room: &mut Room, secret: &str, data: &[u8]) -> Attachment {
    upload_as(room, secret, &Client::default(), data).await
}

/// [`upload`] by a request that says `client` about its sender.
async fn upload_as(room: &mut Room, secret: &str, client: &Client, data: &[u8]) -> Attachment {
    let (reply, mut answer) = oneshot::channel();
    let size = data.len() as u64;
    api(
        room,
        secret,
        client,
        ApiRequest::BeginUpload { size, reply },
    );
    let ticket = answer.try_recv().expect("answered").expect("accepted");
    let body =
        futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::copy_from_slice(data))]);
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
    download_as(room, secret, &Client::default(), id)
}

/// [`may_download`] by a request that says `client` about its sender.
fn download_as(
    room: &mut Room,
    secret: &str,
    client: &Client,
    id: &AttachmentId,
) -> Result<(), ErrorCode> {
    let (reply, mut answer) = oneshot::channel();
    let id = id.clone();
    api(room, secret, client, ApiRequest::Download { id, reply });
    answer.try_recv().expect("answered").map(|_| ())
}

/// An `/api` request as its HTTP handler passes it on.
fn api(room: &mut Room, secret: &str, client: &Client, request: ApiRequest) {
    let secret = secret.to_owned();
    let client = client.clone();
    let command = Command::Api {
        secret,
        client,
        request,
    };
    room.command(Instant::now(), command);
}
