//! Signalling over `/ws` against the real server: joining and presence, the Origin check, protocol
//! errors that close only the offending socket, transport limits (join timeout, message rate), and
//! user errors that keep it open.

mod support;

use futures_util::SinkExt;
use std::time::Duration;
use support::{Closed, WsClient, new_room, own_origin, start, start_default, try_connect};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use treff_shared::{
    ClientMsg, ErrorCode, ParticipantId, ParticipantInfo, RoomId, ServerMsg, close_code,
};

fn info(id: ParticipantId, name: &str, mic: bool, cam: bool) -> ParticipantInfo {
    ParticipantInfo {
        id,
        name: name.into(),
        mic,
        cam,
        hand: None,
        moderator: false,
        screen: false,
        away: false,
    }
}

fn expect_error(code: ErrorCode) -> impl FnMut(&ServerMsg) -> Option<()> {
    move |m| match m {
        ServerMsg::Error { code: got, .. } if *got == code => Some(()),
        ServerMsg::Error { code: got, message } => {
            panic!("expected Error {code:?}, got Error {got:?}: {message}")
        }
        ServerMsg::Joined { .. } => panic!("expected Error {code:?}, but the Join succeeded"),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_join_see_each_other_and_leave() {
    let server = start_default().await;
    let room = new_room();

    let mut anna = WsClient::connect_hello(&server).await;
    let (a, list) = anna.join(&room, "Anna", false, false).await;
    assert_eq!(
        list,
        vec![info(a, "Anna", false, false)],
        "alone: Joined lists only me"
    );

    let mut ben = WsClient::connect_hello(&server).await;
    let (b, list) = ben.join(&room, "Ben", true, false).await;
    assert_ne!(a, b, "participants get distinct ids");
    assert_eq!(
        list,
        vec![info(a, "Anna", false, false), info(b, "Ben", true, false)],
        "Joined lists everyone in join order, myself last"
    );

    let joined = anna
        .recv_until("ParticipantJoined(Ben)", |m| match m {
            ServerMsg::ParticipantJoined { participant } => Some(participant.clone()),
            _ => None,
        })
        .await;
    assert_eq!(joined, info(b, "Ben", true, false));

    ben.send(&ClientMsg::SetMedia {
        mic: false,
        cam: true,
        screen: false,
    })
    .await;
    let state = anna
        .recv_until("MediaState(Ben)", |m| match m {
            ServerMsg::MediaState {
                id,
                mic,
                cam,
                screen: false,
            } => Some((*id, *mic, *cam)),
            _ => None,
        })
        .await;
    assert_eq!(
        state,
        (b, false, true),
        "SetMedia is relayed with the sender's id"
    );

    anna.send(&ClientMsg::SetMedia {
        mic: true,
        cam: false,
        screen: false,
    })
    .await;
    let state = ben
        .recv_until("MediaState(Anna)", |m| match m {
            ServerMsg::MediaState {
                id,
                mic,
                cam,
                screen: false,
            } => Some((*id, *mic, *cam)),
            _ => None,
        })
        .await;
    assert_eq!(state, (a, true, false));

    anna.send(&ClientMsg::Leave).await;
    let left = ben
        .recv_until("ParticipantLeft(Anna)", |m| match m {
            ServerMsg::ParticipantLeft { id } => Some(*id),
            _ => None,
        })
        .await;
    assert_eq!(left, a);
    // "Leave the room; the server closes the socket after this", with a normal closure.
    anna.expect_close_code(1000, "a Leave ends the socket normally")
        .await;

    // A newcomer now sees only Ben.
    let mut cleo = WsClient::connect_hello(&server).await;
    let (c, list) = cleo.join(&room, "Cleo", false, false).await;
    assert_eq!(
        list,
        vec![info(b, "Ben", false, true), info(c, "Cleo", false, false)],
        "the one who left is gone, Ben's latest media state is kept"
    );

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_without_leave_is_announced_as_reconnecting_and_a_closed_page_as_a_leave() {
    let server = start_default().await;
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    let (_a, _) = anna.join(&room, "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    let (b, _) = ben.join(&room, "Ben", false, false).await;

    let mut cara = WsClient::connect_hello(&server).await;
    let (c, _) = cara.join(&room, "Cara", false, false).await;

    // TCP closes without a close frame (a network gone, a crashed tab): Ben may come back.
    drop(ben);
    let away = anna
        .recv_until("Connection(Ben away) after his disconnect", |m| match m {
            ServerMsg::Connection { id, away: true } => Some(*id),
            ServerMsg::ParticipantLeft { .. } => panic!("a dropped socket is no leave"),
            _ => None,
        })
        .await;
    assert_eq!(away, b);
    // A page closed (close frame 1001): Cara left.
    cara.close_like_a_page().await;
    let left = anna
        .recv_until("ParticipantLeft(Cara) after her page closed", |m| match m {
            ServerMsg::ParticipantLeft { id } => Some(*id),
            _ => None,
        })
        .await;
    assert_eq!(left, c);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_checked_and_trimmed() {
    let server = start_default().await;
    let room = new_room();
    let mut c = WsClient::connect_hello(&server).await;

    for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
        c.send(&ClientMsg::Join {
            room: room.clone(),
            name: bad.into(),
            mic: false,
            cam: false,
            moderator_key: None,
            password: None,
        })
        .await;
        c.recv_until(
            &format!("Error(InvalidName) for {bad:?}"),
            expect_error(ErrorCode::InvalidName),
        )
        .await;
    }
    // The socket stayed open through all of that; a good name (padded) joins, trimmed.
    let (me, list) = c.join(&room, "  Anna  ", false, false).await;
    assert_eq!(list, vec![info(me, "Anna", false, false)]);

    // Joining twice on one socket is a user error too.
    c.send(&ClientMsg::Join {
        room: room.clone(),
        name: "Again".into(),
        mic: false,
        cam: false,
        moderator_key: None,
        password: None,
    })
    .await;
    c.recv_until(
        "Error(AlreadyJoined)",
        expect_error(ErrorCode::AlreadyJoined),
    )
    .await;
    server.shutdown().await;
}

// ----- Origin check ---------------------------------------------------------------------------

fn assert_refused(result: Result<WsClient, tungstenite::Error>, what: &str) {
    assert_refused_with(result, 403, what);
}

/// The upgrade was refused with HTTP `status`; returns the response body.
fn assert_refused_with(
    result: Result<WsClient, tungstenite::Error>,
    status: u16,
    what: &str,
) -> String {
    match result {
        Ok(_) => panic!("{what}: the upgrade was accepted, expected HTTP {status}"),
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), status, "{what}: status");
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned()
        }
        Err(e) => panic!("{what}: expected an HTTP {status} response, got {e}"),
    }
}

/// `c` is still in its meeting: a chat message of its own comes back to it.
async fn still_chats(c: &mut WsClient) {
    c.send(&ClientMsg::Chat {
        text: "still here".into(),
        to: None,
        attachment: None,
    })
    .await;
    c.recv_until("the own message", |m| match m {
        ServerMsg::Chat { message } if message.text == "still here" => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_answering_is_removed_and_the_others_see_it_leave() {
    let mut config = treff::Config::ephemeral();
    // Shortened: the defaults are a ping every 10 s and 30 s of silence.
    config.limits.ws_ping_interval_ms = 100;
    config.limits.peer_timeout_ms = 800;
    let server = start(config).await;
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    let (anna_id, _) = anna.join(&room, "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    ben.join(&room, "Ben", false, false).await;
    // Anna's socket stays open but she reads nothing from now on, so she answers no ping (a laptop
    // whose lid closed). Ben reads, so his pongs go out, and he stays.
    let started = Instant::now();
    ben.recv_until_within(Duration::from_secs(5), "Anna's leave", |m| match m {
        ServerMsg::ParticipantLeft { id } if *id == anna_id => Some(()),
        _ => None,
    })
    .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_secs(3),
        "left after {took:?}, the timeout is 800 ms"
    );
    // Ben, who answered, is still in.
    still_chats(&mut ben).await;
    drop(anna);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_per_address_limit_get_503_and_nobody_else_notices() {
    let mut config = treff::Config::ephemeral();
    config.limits.ws_max_connections_per_address = 2;
    let server = start(config).await;
    let origin = own_origin(server.http_addr);
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    anna.join(&room, "Anna", false, false).await;
    let second = WsClient::connect_hello(&server).await;
    let body = assert_refused_with(
        try_connect(server.http_addr, Some(&origin)).await,
        503,
        "a third socket from one address",
    );
    assert!(body.contains("too_many_connections"), "{body}");
    // Anna's meeting goes on.
    still_chats(&mut anna).await;
    // A closed socket gives its place back.
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(5);
    while try_connect(server.http_addr, Some(&origin)).await.is_err() {
        assert!(Instant::now() < deadline, "the place never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_requires_the_servers_own_origin() {
    let mut config = treff::Config::ephemeral();
    config.allowed_origins = vec!["https://meet.example".into()];
    let server = start(config).await;
    let addr = server.http_addr;

    assert_refused(
        try_connect(addr, Some("http://evil.example")).await,
        "a foreign Origin",
    );
    assert_refused(try_connect(addr, None).await, "a missing Origin");
    // Same host, other port: a different origin.
    let other_port = format!("http://{}:{}", addr.ip(), addr.port().wrapping_add(1));
    assert_refused(
        try_connect(addr, Some(&other_port)).await,
        "the server's host on another port",
    );

    let mut ok = try_connect(addr, Some(&own_origin(addr)))
        .await
        .expect("the server's own origin is accepted");
    ok.hello().await;

    let mut extra = try_connect(addr, Some("https://meet.example"))
        .await
        .expect("an origin in allowed_origins is accepted");
    extra.hello().await;

    server.shutdown().await;
}

// ----- Protocol errors close only the offending socket ----------------------------------------

/// A room with two well-behaved participants: `witness` watches, `third` keeps talking.
struct Witnessed {
    server: support::TestServer,
    room: RoomId,
    witness: WsClient,
    third: WsClient,
    third_id: ParticipantId,
}

async fn witnessed_room() -> Witnessed {
    let server = start_default().await;
    let room = new_room();
    let mut witness = WsClient::connect_hello(&server).await;
    witness.join(&room, "Witness", false, false).await;
    let mut third = WsClient::connect_hello(&server).await;
    let (third_id, _) = third.join(&room, "Third", false, false).await;
    Witnessed {
        server,
        room,
        witness,
        third,
        third_id,
    }
}

impl Witnessed {
    /// A victim that has joined, and the witness has seen it arrive.
    async fn joined_victim(&mut self) -> (WsClient, ParticipantId) {
        let mut v = WsClient::connect_hello(&self.server).await;
        let (id, _) = v.join(&self.room, "Victim", false, false).await;
        self.witness
            .recv_until("ParticipantJoined(Victim)", |m| match m {
                ServerMsg::ParticipantJoined { participant } if participant.id == id => Some(()),
                _ => None,
            })
            .await;
        (v, id)
    }

    /// The room still works for everybody else: the witness sees the victim leave, and a
    /// `SetMedia` of the third participant.
    async fn still_works(mut self, victim: Option<ParticipantId>, mic: bool) {
        if let Some(victim) = victim {
            self.witness
                .recv_until("ParticipantLeft(Victim)", |m| match m {
                    ServerMsg::ParticipantLeft { id } if *id == victim => Some(()),
                    ServerMsg::ParticipantLeft { id } => {
                        panic!("ParticipantLeft({id}), but only the victim {victim} should go")
                    }
                    _ => None,
                })
                .await;
        }
        self.third
            .send(&ClientMsg::SetMedia {
                mic,
                cam: false,
                screen: false,
            })
            .await;
        let third = self.third_id;
        self.witness
            .recv_until(
                "MediaState(Third) after the victim was closed",
                |m| match m {
                    ServerMsg::MediaState { id, mic: got, .. } if *id == third && *got == mic => {
                        Some(())
                    }
                    ServerMsg::ParticipantLeft { id } => {
                        panic!("ParticipantLeft({id}): a bystander was removed")
                    }
                    _ => None,
                },
            )
            .await;
        self.server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_message_type_closes_only_that_socket() {
    let mut room = witnessed_room().await;
    let (mut victim, id) = room.joined_victim().await;
    victim.send_raw(Message::text(r#"{"type":"Nope"}"#)).await;
    victim
        .expect_close_code(close_code::MALFORMED, "unknown message type")
        .await;
    room.still_works(Some(id), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_closes_only_that_socket() {
    let mut room = witnessed_room().await;
    let (mut victim, id) = room.joined_victim().await;
    victim.send_raw(Message::text(r#"{"type": "SetMe"#)).await;
    victim
        .expect_close_code(close_code::MALFORMED, "invalid JSON")
        .await;
    room.still_works(Some(id), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_frame_closes_only_that_socket() {
    let mut room = witnessed_room().await;
    let (mut victim, id) = room.joined_victim().await;
    victim
        .send_raw(Message::binary(br#"{"type":"Leave"}"#.to_vec()))
        .await;
    victim
        .expect_close_code(close_code::MALFORMED, "binary frame")
        .await;
    room.still_works(Some(id), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_stamp_its_own_identity() {
    // `deny_unknown_fields`: an extra `id` on SetMedia is malformed, not ignored.
    let mut room = witnessed_room().await;
    let (mut victim, id) = room.joined_victim().await;
    let forged = format!(
        r#"{{"type":"SetMedia","mic":true,"cam":true,"id":{}}}"#,
        room.third_id.0
    );
    victim.send_raw(Message::text(forged)).await;
    victim
        .expect_close_code(close_code::MALFORMED, "SetMedia with a forged id")
        .await;
    room.still_works(Some(id), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_before_hello_closes_the_socket() {
    let room = witnessed_room().await;
    let mut victim = WsClient::connect(&room.server).await;
    victim
        .send(&ClientMsg::Join {
            room: room.room.clone(),
            name: "Eager".into(),
            mic: false,
            cam: false,
            moderator_key: None,
            password: None,
        })
        .await;
    victim
        .expect_close_code(close_code::MALFORMED, "Join before Hello")
        .await;
    room.still_works(None, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_protocol_version_is_refused() {
    let server = start_default().await;
    let mut c = WsClient::connect(&server).await;
    c.send(&ClientMsg::Hello { protocol: 999 }).await;
    c.expect_close_code(close_code::UNSUPPORTED_PROTOCOL, "Hello{protocol: 999}")
        .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_closes_that_socket() {
    let mut config = treff::Config::ephemeral();
    config.limits.ws_max_message_bytes = 1024;
    config.limits.ws_max_frame_bytes = 1024;
    let server = start(config).await;
    let room = new_room();
    let mut witness = WsClient::connect_hello(&server).await;
    witness.join(&room, "Witness", false, false).await;
    let mut victim = WsClient::connect_hello(&server).await;
    let (vid, _) = victim.join(&room, "Victim", false, false).await;

    // Small messages are fine...
    victim
        .send(&ClientMsg::SetMedia {
            mic: true,
            cam: false,
            screen: false,
        })
        .await;
    witness
        .recv_until("MediaState(Victim)", |m| match m {
            ServerMsg::MediaState { id, .. } if *id == vid => Some(()),
            _ => None,
        })
        .await;

    // ...a 4 KiB one (valid JSON of a real message type) is not.
    victim
        .send(&ClientMsg::Answer {
            sdp: "v=0\r\n".repeat(800),
        })
        .await;
    let closed = victim.expect_closed().await;
    // Close code 1009 (too big) from the WebSocket layer, 4001 from the app, or a dropped
    // connection are all acceptable: the socket must end.
    eprintln!("oversized message: socket ended with {closed:?}");
    if let Closed::Frame(Some(code)) = closed {
        assert!(
            code == 1009 || code == close_code::MALFORMED || code == 1002,
            "unexpected close code {code} for an oversized message"
        );
    }
    witness
        .recv_until("ParticipantLeft(Victim)", |m| match m {
            ServerMsg::ParticipantLeft { id } if *id == vid => Some(()),
            _ => None,
        })
        .await;
    server.shutdown().await;
}

// ----- Transport limits: join timeout and message rate ----------------------------------------

/// The join timeout of [`idle_sockets_are_closed_after_the_join_timeout`].
const JOIN_TIMEOUT: Duration = Duration::from_millis(300);

/// `c` (opened at `opened`) must still be open `JOIN_TIMEOUT / 2` after opening, then be closed with
/// `TIMEOUT` no earlier than the timeout and well within 2 s.
async fn expect_join_timeout(mut c: WsClient, opened: Instant, what: &str) {
    let probe = opened + JOIN_TIMEOUT / 2;
    if let Ok(next) = tokio::time::timeout_at(probe, futures_util::StreamExt::next(&mut c.ws)).await
    {
        panic!(
            "{what}: the socket got {next:?} after {:?}, well before the join timeout of {JOIN_TIMEOUT:?}",
            opened.elapsed()
        );
    }
    c.expect_close_code(close_code::TIMEOUT, what).await;
    let after = opened.elapsed();
    assert!(
        after >= JOIN_TIMEOUT,
        "{what}: closed after {after:?}, before the join timeout of {JOIN_TIMEOUT:?}"
    );
    assert!(
        after < Duration::from_secs(2),
        "{what}: closed only after {after:?} (join timeout {JOIN_TIMEOUT:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_are_closed_after_the_join_timeout() {
    let mut config = treff::Config::ephemeral();
    config.limits.join_timeout_ms = JOIN_TIMEOUT.as_millis() as u64;
    let server = start(config).await;
    let room = new_room();

    // One that joins in time: the deadline does not apply to it.
    let mut member = WsClient::connect_hello(&server).await;
    member.join(&room, "Member", false, false).await;

    let opened = Instant::now();
    let silent = WsClient::connect(&server).await;
    let mut greeter = WsClient::connect(&server).await;
    greeter.hello().await;
    tokio::join!(
        expect_join_timeout(silent, opened, "a socket that sends nothing"),
        expect_join_timeout(greeter, opened, "a socket that sends Hello but never Join"),
    );

    // Past the deadline the member is still in: it sees a newcomer arrive.
    let mut late = WsClient::connect_hello(&server).await;
    let (l, _) = late.join(&room, "Late", false, false).await;
    member
        .recv_until(
            "ParticipantJoined(Late) after the join timeout",
            |m| match m {
                ServerMsg::ParticipantJoined { participant } if participant.id == l => Some(()),
                _ => None,
            },
        )
        .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_closed_and_a_slow_one_is_not() {
    const PER_SECOND: u32 = 5;
    let mut config = treff::Config::ephemeral();
    config.limits.ws_messages_per_second = PER_SECOND;
    let server = start(config).await;
    let room = new_room();
    let mut slow = WsClient::connect_hello(&server).await;
    let (s, _) = slow.join(&room, "Slow", false, false).await;
    let mut flood = WsClient::connect_hello(&server).await;
    let (f, _) = flood.join(&room, "Flood", false, false).await;

    let flooding = async {
        // 4 x the per-second budget at once. The server may close mid-way; then sending fails.
        for i in 0..4 * PER_SECOND {
            let text = serde_json::to_string(&ClientMsg::SetMedia {
                mic: i % 2 == 0,
                cam: false,
                screen: false,
            })
            .expect("ClientMsg serialises");
            if flood.ws.send(Message::text(text)).await.is_err() {
                break;
            }
        }
        flood
            .expect_close_code(close_code::RATE_LIMITED, "a flood of SetMedia")
            .await;
    };
    let slow_but_steady = async {
        // 4 messages a second for 2 s: over the per-second count in total, under the rate. Each is
        // a `Join` again, answered by a user error, so every one proves the socket still works.
        let mut flooder_left = false;
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            slow.send(&ClientMsg::Join {
                room: room.clone(),
                name: "Slow".into(),
                mic: false,
                cam: false,
                moderator_key: None,
                password: None,
            })
            .await;
            slow.recv_until("Error(AlreadyJoined) for a slow client", |m| match m {
                ServerMsg::ParticipantLeft { id } if *id == f => {
                    flooder_left = true;
                    None
                }
                m => expect_error(ErrorCode::AlreadyJoined)(m),
            })
            .await;
        }
        if !flooder_left {
            slow.recv_until("ParticipantLeft(Flood)", |m| match m {
                ServerMsg::ParticipantLeft { id } if *id == f => Some(()),
                _ => None,
            })
            .await;
        }
    };
    tokio::join!(flooding, slow_but_steady);

    // The slow client is still in the room: a newcomer sees it.
    let mut next = WsClient::connect_hello(&server).await;
    let (_, list) = next.join(&room, "Next", false, false).await;
    assert_eq!(
        list.iter().map(|p| p.id).collect::<Vec<_>>()[..1],
        [s],
        "the slow client is still in the room, the flooder is gone: {list:?}"
    );
    assert_eq!(list.len(), 2, "slow client and newcomer only: {list:?}");
    server.shutdown().await;
}

// ----- User errors keep the socket open ------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_room_is_a_user_error_and_the_socket_stays_open() {
    let mut config = treff::Config::ephemeral();
    config.limits.room_max_participants = 2;
    let server = start(config).await;
    let room = new_room();

    let mut anna = WsClient::connect_hello(&server).await;
    let (a, _) = anna.join(&room, "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    let (b, _) = ben.join(&room, "Ben", false, false).await;

    let mut cleo = WsClient::connect_hello(&server).await;
    let join = ClientMsg::Join {
        room: room.clone(),
        name: "Cleo".into(),
        mic: false,
        cam: false,
        moderator_key: None,
        password: None,
    };
    cleo.send(&join).await;
    cleo.recv_until("Error(RoomFull)", expect_error(ErrorCode::RoomFull))
        .await;
    // Still open: a second attempt is answered the same way, not by a close.
    cleo.send(&join).await;
    cleo.recv_until("Error(RoomFull) again", expect_error(ErrorCode::RoomFull))
        .await;

    // Nobody inside heard of Cleo.
    ben.send(&ClientMsg::SetMedia {
        mic: true,
        cam: true,
        screen: false,
    })
    .await;
    anna.recv_until("MediaState(Ben)", |m| match m {
        ServerMsg::ParticipantJoined { participant } if participant.id != b => {
            panic!(
                "ParticipantJoined({}) although the room is full",
                participant.id
            )
        }
        ServerMsg::MediaState { id, .. } if *id == b => Some(()),
        _ => None,
    })
    .await;

    // When Anna leaves there is room again, on the same socket.
    anna.send(&ClientMsg::Leave).await;
    ben.recv_until("ParticipantLeft(Anna)", |m| match m {
        ServerMsg::ParticipantLeft { id } if *id == a => Some(()),
        _ => None,
    })
    .await;
    let (c, list) = cleo.join(&room, "Cleo", false, false).await;
    assert_eq!(
        list.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![b, c],
        "after Anna left, Cleo joins next to Ben"
    );
    server.shutdown().await;
}
