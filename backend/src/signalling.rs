//! One signalling session per WebSocket: the handshake, the join, and relaying a joined participant's
//! messages to its room.
//!
//! A session is an actor with a reader (this loop), a bounded writer queue and a deadline for the
//! handshake. The error boundary is [`Fault`]: a protocol fault closes this one socket with a code
//! from `close_code`; a user error is a `ServerMsg::Error` and the session goes on. Nothing of the
//! messages' content (names, SDP) is logged.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use treff_shared::{
    ClientMsg, ErrorCode, Limits, PROTOCOL_VERSION, ParticipantId, ServerMsg, close_code,
};

use crate::rate::TokenBucket;
use crate::room::{Client, Command, Gone, JoinRequest, ResumeRequest};
use crate::rooms::Rooms;

mod liveness;

use liveness::{Due, Liveness};

/// A reason to close the socket: the close code and a short reason for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// WebSocket close code (`close_code`).
    pub code: u16,
    /// Reason text sent in the close frame (public, fixed strings only).
    pub reason: &'static str,
}

impl Fault {
    const MALFORMED: Self = Self {
        code: close_code::MALFORMED,
        reason: "malformed message",
    };
    const OUT_OF_ORDER: Self = Self {
        code: close_code::MALFORMED,
        reason: "message out of order",
    };
    const BINARY: Self = Self {
        code: close_code::MALFORMED,
        reason: "binary messages are not part of the protocol",
    };
    const VERSION: Self = Self {
        code: close_code::UNSUPPORTED_PROTOCOL,
        reason: "unsupported protocol version",
    };
    const TIMEOUT: Self = Self {
        code: close_code::TIMEOUT,
        reason: "no join in time",
    };
    /// Nothing, not even a pong, came for `Limits::peer_timeout_ms` (see `liveness`).
    const SILENT: Self = Self {
        code: close_code::TIMEOUT,
        reason: "no sign of life",
    };
    const RATE: Self = Self {
        code: close_code::RATE_LIMITED,
        reason: "too many messages",
    };
    /// The answer to the first offer was refused: this socket can never carry media.
    pub const REFUSED_SDP: Self = Self {
        code: close_code::MALFORMED,
        reason: "the SDP answer was refused",
    };
    /// The conference ended (normal closure: nothing went wrong).
    pub const ENDED: Self = Self {
        code: 1000,
        reason: "the conference ended",
    };
    /// The server is shutting down (SIGTERM or SIGINT): RFC 6455's "going away". The conference
    /// ended the normal way first (its receipt was sent); the page says the server is restarting.
    pub const GOING_AWAY: Self = Self {
        code: close_code::GOING_AWAY,
        reason: "the server is restarting",
    };
    /// The participant left (`Leave`): a normal closure.
    pub const LEFT: Self = Self {
        code: 1000,
        reason: "left the meeting",
    };
    /// The same participant resumed on another socket, which replaces this one.
    pub const REPLACED: Self = Self {
        code: close_code::REPLACED,
        reason: "resumed on another connection",
    };
    /// A moderator removed this participant.
    pub const REMOVED: Self = Self {
        code: 1000,
        reason: "removed by a moderator",
    };
    /// A moderator turned this newcomer away.
    pub const DENIED: Self = Self {
        code: 1000,
        reason: "not admitted",
    };
    /// RFC 6455's "message too big".
    const TOO_BIG: Self = Self {
        code: 1009,
        reason: "message too big",
    };
}

/// Why a display name was refused (at `Join` and at `Rename`).
pub const INVALID_NAME: &str = "the display name is empty, too long or has control characters";

/// What the writer sends: messages from the session and the room, then maybe a close reason.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A message for the browser.
    Msg(ServerMsg),
    /// Close the socket with this fault; nothing after it is sent.
    Close(Fault),
    /// A WebSocket ping (see `liveness`).
    Ping,
}

/// Where a session stands.
enum Phase {
    /// Waiting for `Hello`.
    Greeting,
    /// `Hello` done, waiting for `Join` (a refused join stays here).
    Lobby,
    /// In a room under this id.
    Joined {
        id: ParticipantId,
        room: mpsc::Sender<Command>,
    },
}

/// Runs one WebSocket to its end. `client` is what the upgrade request said about the client
/// (memory only: the room's session log and a moderator's ban hold on to it until the conference
/// ends; it is never logged).
pub async fn session(socket: WebSocket, rooms: Rooms, limits: Limits, client: Client) {
    let (sink, mut stream) = socket.split();
    let (out, out_rx) = mpsc::channel::<Outgoing>(limits.ws_send_queue);
    let writer = tokio::spawn(write_loop(sink, out_rx, rooms.metrics().clone()));

    let mut phase = Phase::Greeting;
    // `ws_messages_per_second` over a one-second window: a burst of an SDP answer plus a few clicks
    // passes, a flood does not.
    let per_second = limits.ws_messages_per_second;
    let mut rate = TokenBucket::new(Instant::now(), per_second, f64::from(per_second.max(1)));
    let join_deadline = tokio::time::Instant::now() + Duration::from_millis(limits.join_timeout_ms);
    let mut liveness = Liveness::new(
        Instant::now(),
        Duration::from_millis(limits.ws_ping_interval_ms),
        Duration::from_millis(limits.peer_timeout_ms),
    );

    let mut left = false;
    // A broken connection unless the client closes it or a fault ends it.
    let mut gone = Gone::Dropped;
    let fault = loop {
        let joined = matches!(phase, Phase::Joined { .. });
        let next = tokio::select! {
            next = stream.next() => next,
            () = tokio::time::sleep_until(join_deadline), if !joined => break Some(Fault::TIMEOUT),
            () = tokio::time::sleep_until(liveness.deadline().into()) => {
                match liveness.poll(Instant::now()) {
                    Some(Due::Dead) => break Some(Fault::SILENT),
                    // A full queue: the client is not reading; the timeout will tell.
                    Some(Due::Ping) => {
                        let _ = out.try_send(Outgoing::Ping);
                    }
                    None => {}
                }
                continue;
            }
        };
        liveness.heard(Instant::now());
        let text = match next {
            None => break None,
            Some(Ok(Message::Close(frame))) => {
                // 1000 and 1001 (or none) are a goodbye: a reload, a closed tab. Anything else
                // is trouble the client may come back from.
                if frame.is_none_or(|f| matches!(f.code, 1000 | 1001)) {
                    gone = Gone::Closed;
                }
                break None;
            }
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Binary(_))) => break Some(Fault::BINARY),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            // tungstenite reports an over-limit message or frame as a capacity error; anything else
            // is a broken connection with nobody left to tell.
            Some(Err(e)) => {
                let says_too_big =
                    |text: String| text.contains("too long") || text.contains("Space limit");
                let too_big = says_too_big(e.to_string())
                    || std::error::Error::source(&e).is_some_and(|s| says_too_big(s.to_string()));
                break too_big.then_some(Fault::TOO_BIG);
            }
        };
        if !rate.take(Instant::now()) {
            break Some(Fault::RATE);
        }
        let Ok(msg) = serde_json::from_str::<ClientMsg>(&text) else {
            break Some(Fault::MALFORMED);
        };
        match handle(&mut phase, msg, &rooms, &limits, &out, &client).await {
            Ok(Flow::Continue) => {}
            Ok(Flow::Leave) => {
                left = true;
                break None;
            }
            Err(fault) => break Some(fault),
        }
    };

    if let Phase::Joined { id, room } = &phase {
        let how = match fault {
            Some(Fault::SILENT) => Gone::Silent,
            // The server ends it for a protocol fault: no coming back on this footing.
            Some(_) => Gone::Closed,
            None => gone,
        };
        let gone = Command::Disconnected {
            id: *id,
            out: out.clone(),
            how,
        };
        let _ = room.send(gone).await;
    }
    if let Some(fault) = fault {
        rooms.metrics().closed(fault.code);
        tracing::info!(
            code = fault.code,
            reason = fault.reason,
            "closing a websocket for a protocol fault"
        );
        // A full queue means the client is not reading: it gets no reason, just the end.
        let _ = out.try_send(Outgoing::Close(fault));
    } else if left && !matches!(phase, Phase::Joined { .. }) {
        // A joined participant's socket is closed by the room, after its last messages (the
        // deletion receipt, if they were the last).
        let _ = out.try_send(Outgoing::Close(Fault::LEFT));
    }
    drop(out);
    let _ = writer.await;
}

/// Whether the session goes on.
enum Flow {
    Continue,
    Leave,
}

async fn handle(
    phase: &mut Phase,
    msg: ClientMsg,
    rooms: &Rooms,
    limits: &Limits,
    out: &mpsc::Sender<Outgoing>,
    client: &Client,
) -> Result<Flow, Fault> {
    let reply = |msg: ServerMsg| {
        // The queue holds `ws_send_queue` messages; a client that let it fill before even joining
        // is not reading, and the closed writer ends the session.
        let _ = out.try_send(Outgoing::Msg(msg));
    };
    let user_error = ServerMsg::error;
    match (&*phase, msg) {
        (Phase::Greeting, ClientMsg::Hello { protocol }) if protocol == PROTOCOL_VERSION => {
            reply(ServerMsg::Welcome {
                protocol: PROTOCOL_VERSION,
            });
            *phase = Phase::Lobby;
        }
        (Phase::Greeting, ClientMsg::Hello { .. }) => return Err(Fault::VERSION),
        (Phase::Greeting, _) | (_, ClientMsg::Hello { .. }) => return Err(Fault::OUT_OF_ORDER),
        (
            Phase::Lobby,
            ClientMsg::Join {
                room,
                name,
                mic,
                cam,
                moderator_key,
                password,
            },
        ) => {
            let Ok(name) = limits.check_name(&name) else {
                reply(user_error(ErrorCode::InvalidName, INVALID_NAME));
                return Ok(Flow::Continue);
            };
            let request = JoinRequest {
                name,
                mic,
                cam,
                moderator_key,
                password,
                client: client.clone(),
                out: out.clone(),
            };
            match join(rooms, &room, request).await {
                // Joined, or waiting in the lobby under this id: either way the room decides what
                // the session's messages may do from now on.
                Ok((id, room)) => *phase = Phase::Joined { id, room },
                Err(code) => reply(user_error(code, join_refusal(code))),
            }
        }
        (Phase::Lobby, ClientMsg::Resume { room, id, secret }) => {
            let request = ResumeRequest {
                id,
                secret,
                client: client.clone(),
                out: out.clone(),
            };
            match resume(rooms, &room, request).await {
                Ok(room) => *phase = Phase::Joined { id, room },
                Err(code) => reply(user_error(code, "cannot resume; join anew")),
            }
        }
        (Phase::Lobby, ClientMsg::Leave) => return Ok(Flow::Leave),
        (Phase::Lobby, _) => reply(user_error(ErrorCode::NotJoined, "join a meeting first")),
        (Phase::Joined { .. }, ClientMsg::Join { .. } | ClientMsg::Resume { .. }) => {
            reply(user_error(
                ErrorCode::AlreadyJoined,
                "this connection is already in a meeting",
            ));
        }
        (Phase::Joined { id, room }, msg) => {
            let leave = matches!(msg, ClientMsg::Leave);
            if room.send(Command::Client { from: *id, msg }).await.is_err() || leave {
                return Ok(Flow::Leave);
            }
        }
    }
    Ok(Flow::Continue)
}

/// Asks the room to take a participant. A room that ended between lookup and join drops the request;
/// then a fresh room is opened under the same id (a few tries bound the loop).
async fn join(
    rooms: &Rooms,
    room_id: &treff_shared::RoomId,
    request: JoinRequest,
) -> Result<(ParticipantId, mpsc::Sender<Command>), ErrorCode> {
    for _ in 0..3 {
        let room = rooms.get_or_open(room_id)?;
        let (reply, answer) = oneshot::channel();
        let cmd = Command::Join {
            request: request.clone(),
            reply,
        };
        if room.send(cmd).await.is_err() {
            continue;
        }
        match answer.await {
            Ok(Ok(id)) => return Ok((id, room)),
            Ok(Err(code)) => return Err(code),
            Err(_) => continue,
        }
    }
    Err(ErrorCode::ServerFull)
}

/// Asks the room, if it is still open, to take this socket as participant `request.id` again.
async fn resume(
    rooms: &Rooms,
    room_id: &treff_shared::RoomId,
    request: ResumeRequest,
) -> Result<mpsc::Sender<Command>, ErrorCode> {
    let room = rooms.get(room_id).ok_or(ErrorCode::ResumeRefused)?;
    let (reply, answer) = oneshot::channel();
    room.send(Command::Resume { request, reply })
        .await
        .map_err(|_| ErrorCode::ResumeRefused)?;
    match answer.await {
        Ok(Ok(_)) => Ok(room),
        Ok(Err(code)) => Err(code),
        Err(_) => Err(ErrorCode::ResumeRefused),
    }
}

/// The English explanation of a refused join (the UI shows its own translation).
fn join_refusal(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::RoomFull => "the meeting is full",
        ErrorCode::ServerFull => "the server holds too many meetings",
        ErrorCode::RoomLocked => "the meeting is locked",
        ErrorCode::PasswordRequired => "the meeting needs a password",
        ErrorCode::WrongPassword => "the password is wrong",
        ErrorCode::TooManyAttempts => "too many wrong passwords; wait a moment",
        ErrorCode::Banned => "you were removed from this meeting",
        ErrorCode::UnknownMeeting => "this server has no such meeting",
        _ => "could not join",
    }
}

/// Writes queued messages until the queue closes or a close is queued, then a close frame. Every
/// message passes here, whoever sent it (session or room): refusals by a limit are counted here
/// for the operator (a close for a limit where the session decides it: its queue may be full).
async fn write_loop(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut queue: mpsc::Receiver<Outgoing>,
    metrics: crate::metrics::Metrics,
) {
    let fault = loop {
        match queue.recv().await {
            Some(Outgoing::Msg(m)) => {
                if let ServerMsg::Error { code, .. } = &m {
                    metrics.refused(*code);
                }
                let Ok(text) = serde_json::to_string(&m) else {
                    continue;
                };
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            Some(Outgoing::Ping) => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
            Some(Outgoing::Close(f)) => break Some(f),
            None => break None,
        }
    };
    let frame = fault.map(|f| CloseFrame {
        code: f.code,
        reason: Utf8Bytes::from_static(f.reason),
    });
    let _ = sink.send(Message::Close(frame)).await;
    let _ = sink.close().await;
}
