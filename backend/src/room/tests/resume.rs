//! A dropped socket and the participant coming back on a new one (`resume`), in simulated time.

use super::*;

const SECOND: Duration = Duration::from_secs(1);

fn window(room: &Room) -> Duration {
    Duration::from_millis(room.limits.resume_window_ms)
}

/// The resume secret of the (latest) `Joined` in `msgs`.
fn resume_secret(msgs: &[ServerMsg]) -> String {
    msgs.iter()
        .rev()
        .find_map(|m| match m {
            ServerMsg::Joined { resume, .. } => Some(resume.clone()),
            _ => None,
        })
        .expect("a Joined")
}

/// A new socket of `id` asks to resume with `secret` at `now`.
fn resume(
    room: &mut Room,
    now: Instant,
    id: ParticipantId,
    secret: &str,
) -> (Result<ParticipantId, ErrorCode>, mpsc::Receiver<Outgoing>) {
    let (out, rx) = mpsc::channel(64);
    let (reply, mut answer) = oneshot::channel();
    let request = ResumeRequest {
        id,
        secret: secret.into(),
        client: Client::default(),
        out,
    };
    room.command(now, Command::Resume { request, reply });
    (answer.try_recv().expect("the room answers at once"), rx)
}

/// The `a=ice-ufrag` of an offer.
fn ice_ufrag(offer: &ServerMsg) -> String {
    let ServerMsg::Offer { sdp, .. } = offer else {
        panic!("not an offer: {offer:?}")
    };
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .expect("the offer has an ice-ufrag")
        .to_owned()
}

fn first_offer(msgs: &[ServerMsg]) -> ServerMsg {
    msgs.iter()
        .find(|m| matches!(m, ServerMsg::Offer { .. }))
        .cloned()
        .expect("an offer")
}

/// A room with Anna and Ben, joined at `t0`.
struct Pair {
    room: Room,
    t0: Instant,
    a: ParticipantId,
    b: ParticipantId,
    /// What Ben got on joining (his `Joined` and first offer).
    to_b: Vec<ServerMsg>,
    /// Their queues and the room's datagram queue, kept open: a closed queue is a gone socket.
    _queues: (
        mpsc::Receiver<Outgoing>,
        mpsc::Receiver<Outgoing>,
        mpsc::Receiver<Vec<Datagram>>,
    ),
}

async fn anna_and_ben_joined() -> Pair {
    let (mut room, d) = room(20).await;
    let t0 = Instant::now();
    let (a, a_rx) = join_at(&mut room, t0, "Anna");
    let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
    let to_b = drain(&mut b_rx);
    Pair {
        room,
        t0,
        a: a.expect("joins"),
        b: b.expect("joins"),
        to_b,
        _queues: (a_rx, b_rx, d),
    }
}

#[tokio::test]
async fn a_dropped_socket_comes_back_as_the_same_participant_with_everything() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let (a, mut a_rx) = join_at(&mut room, t0, "Anna");
    let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
    let (a, b) = (a.expect("joins"), b.expect("joins"));
    let first = drain(&mut b_rx);
    let secret = resume_secret(&first);
    let token = token_secret(&first);
    let first_ufrag = ice_ufrag(&first_offer(&first));
    say_at(&mut room, t0, b, ClientMsg::RaiseHand { raised: true });
    say_at(&mut room, t0, a, chat("before", None));
    drain(&mut a_rx);

    socket_gone(&mut room, t0, b, Gone::Dropped);
    assert_eq!(
        drain(&mut a_rx),
        [ServerMsg::Connection { id: b, away: true }]
    );
    // While Ben is away the meeting goes on; he is sent nothing and keeps his place.
    let t1 = t0 + 30 * SECOND;
    say_at(&mut room, t1, a, chat("while away", None));
    room.drive(t1);
    assert!(room.participants.contains_key(&b));

    let (resumed, mut b2_rx) = resume(&mut room, t1, b, &secret);
    assert_eq!(resumed, Ok(b));
    let to_a = drain(&mut a_rx);
    assert!(to_a.contains(&ServerMsg::Connection { id: b, away: false }));
    assert!(
        !to_a.iter().any(|m| matches!(
            m,
            ServerMsg::ParticipantLeft { .. } | ServerMsg::ParticipantJoined { .. }
        )),
        "no leave and no join for the others: {to_a:?}"
    );
    let back = drain(&mut b2_rx);
    let Some(ServerMsg::Joined {
        you, participants, ..
    }) = back.iter().find(|m| matches!(m, ServerMsg::Joined { .. }))
    else {
        panic!("Joined after resuming: {back:?}")
    };
    assert_eq!(*you, b);
    let ben = participants
        .iter()
        .find(|p| p.id == b)
        .expect("Ben is listed");
    assert!(ben.hand.is_some() && !ben.away, "his hand is still up");
    assert_eq!(history(&back), ["before", "while away"]);
    assert_eq!(token_secret(&back), token, "the same attachment rights");
    assert_ne!(resume_secret(&back), secret, "a fresh resume secret");
    // Media is offered again, with an ICE restart: his network may be another one now.
    let restart = first_offer(&back);
    assert_ne!(ice_ufrag(&restart), first_ufrag);
    assert_eq!(room.media.routes.peers(), 3, "old and restart ufrag routed");
    say_at(
        &mut room,
        t1,
        b,
        ClientMsg::Answer {
            sdp: answer_for(&restart),
        },
    );
    assert!(errors(&drain(&mut b2_rx)).is_empty());
    assert_eq!(room.media.routes.peers(), 2, "the old ufrag retired");
    let log = room.session_log.of(b);
    assert_eq!(
        log.iter().map(|e| e.event).collect::<Vec<_>>(),
        [LogEvent::Join, LogEvent::Resume]
    );
}

#[tokio::test]
async fn a_wrong_or_old_secret_is_refused_and_the_window_ends_in_a_leave() {
    let Pair {
        mut room,
        t0,
        a,
        b,
        to_b,
        _queues,
    } = anna_and_ben_joined().await;
    let secret = resume_secret(&to_b);
    socket_gone(&mut room, t0, b, Gone::Dropped);
    assert_eq!(
        resume(&mut room, t0, b, "not the secret").0,
        Err(ErrorCode::ResumeRefused)
    );
    assert_eq!(
        resume(&mut room, t0, a, &secret).0,
        Err(ErrorCode::ResumeRefused),
        "one participant's secret is not another's"
    );
    let (ok, mut b2_rx) = resume(&mut room, t0, b, &secret);
    assert_eq!(ok, Ok(b));
    let newer = resume_secret(&drain(&mut b2_rx));
    socket_gone(&mut room, t0, b, Gone::Dropped);
    assert_eq!(
        resume(&mut room, t0, b, &secret).0,
        Err(ErrorCode::ResumeRefused),
        "a secret is good for one resume"
    );

    // The window runs out: Ben leaves for real, and his secret is worth nothing.
    let end = t0 + window(&room);
    assert_eq!(room.away_deadline(), Some(end));
    room.drive(end - Duration::from_millis(1));
    assert!(room.participants.contains_key(&b));
    room.drive(end);
    assert!(!room.participants.contains_key(&b));
    assert_eq!(room.media.routes.peers(), 1);
    assert_eq!(
        resume(&mut room, end, b, &newer).0,
        Err(ErrorCode::ResumeRefused)
    );
}

#[tokio::test]
async fn a_second_socket_resuming_replaces_the_first() {
    let Pair {
        mut room,
        t0,
        b,
        to_b,
        _queues,
        ..
    } = anna_and_ben_joined().await;
    let old_out = room.participants[&b].out.clone();
    let (ok, mut b2_rx) = resume(&mut room, t0, b, &resume_secret(&to_b));
    assert_eq!(ok, Ok(b));
    drain(&mut b2_rx);
    // The old socket's end, reported late, changes nothing: Ben is on the new one.
    room.command(
        t0,
        Command::Disconnected {
            id: b,
            out: old_out,
            how: Gone::Dropped,
        },
    );
    assert!(room.participants[&b].away_since.is_none());
    say_at(&mut room, t0, b, chat("still here", None));
    let echo = drain(&mut b2_rx);
    assert!(
        echo.iter()
            .any(|m| matches!(m, ServerMsg::Chat { message } if message.text == "still here")),
        "the new socket carries on: {echo:?}"
    );
}

#[tokio::test]
async fn the_replaced_socket_is_told_so() {
    let (mut room, _d) = room(20).await;
    let t0 = Instant::now();
    let (b, mut b_rx) = join_at(&mut room, t0, "Ben");
    let b = b.expect("joins");
    let secret = resume_secret(&drain(&mut b_rx));
    let (ok, _b2_rx) = resume(&mut room, t0, b, &secret);
    assert_eq!(ok, Ok(b));
    let closes: Vec<_> = std::iter::from_fn(|| b_rx.try_recv().ok())
        .filter_map(|o| match o {
            Outgoing::Close(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(closes, [Fault::REPLACED]);
}

#[tokio::test]
async fn a_closed_socket_or_a_dead_one_is_a_leave_at_once() {
    let Pair {
        mut room,
        t0,
        a,
        b,
        _queues,
        ..
    } = anna_and_ben_joined().await;
    // Silent socket, but media came a moment ago: the person is there, waiting to resume.
    room.participants.get_mut(&b).expect("Ben").last_datagram = Some(t0);
    let later = t0 + Duration::from_millis(room.limits.peer_timeout_ms) - SECOND;
    socket_gone(&mut room, later, b, Gone::Silent);
    assert!(room.participants[&b].away_since.is_some());
    // A silent socket and media silent for the whole timeout: gone (the dead-peer timeout).
    let mut other = anna_and_ben_joined().await;
    let dead = other.t0 + Duration::from_millis(other.room.limits.peer_timeout_ms);
    other
        .room
        .participants
        .get_mut(&other.b)
        .expect("Ben")
        .last_datagram = Some(other.t0);
    socket_gone(&mut other.room, dead, other.b, Gone::Silent);
    assert!(!other.room.participants.contains_key(&other.b));
    assert!(other.room.participants.contains_key(&other.a));
    // A socket the client closed (reload, closed tab) is a leave.
    socket_gone(&mut room, later, a, Gone::Closed);
    assert!(!room.participants.contains_key(&a));
}
