//! Chat over `/ws` against the real server: both ways with the stamped sender, a forged sender field
//! refused at the protocol boundary, and the grace period: a reload keeps the history, a room empty
//! for longer than the grace starts over with an empty chat.

mod support;

use std::time::Duration;
use support::{WsClient, new_room, start};
use tokio_tungstenite::tungstenite::Message;
use treff_shared::{ChatMessage, ClientMsg, Limits, ParticipantId, ServerMsg, close_code};

fn chat(text: &str, to: Option<ParticipantId>) -> ClientMsg {
    ClientMsg::Chat {
        text: text.into(),
        to,
        attachment: None,
    }
}

async fn next_chat(c: &mut WsClient, what: &str) -> ChatMessage {
    c.recv_until(what, |m| match m {
        ServerMsg::Chat { message } => Some(message.clone()),
        _ => None,
    })
    .await
}

/// A server whose empty rooms end after one second (the shortest grace it allows).
async fn short_grace() -> support::TestServer {
    let mut config = treff::Config::ephemeral();
    config.limits = Limits {
        empty_room_grace_ms: 1000,
        ..Limits::default()
    };
    start(config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_participants_chat_both_ways_and_a_forged_sender_is_refused() {
    let server = short_grace().await;
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    let (a, _) = anna.join(&room, "Anna", false, false).await;
    let mut ben = WsClient::connect_hello(&server).await;
    let (b, _) = ben.join(&room, "Ben", false, false).await;

    anna.send(&chat("Hallo Ben", None)).await;
    let at_ben = next_chat(&mut ben, "Anna's message").await;
    assert_eq!(
        (at_ben.from, at_ben.name.as_str(), at_ben.text.as_str()),
        (a, "Anna", "Hallo Ben")
    );
    assert_eq!(next_chat(&mut anna, "Anna's echo").await, at_ben);
    ben.send(&chat("Hallo Anna", Some(a))).await;
    let at_anna = next_chat(&mut anna, "Ben's private message").await;
    assert_eq!((at_anna.from, at_anna.to), (b, Some(a)));

    // A `from` field is not part of the protocol: the socket that tries it is closed, nobody else.
    let forged = format!(r#"{{"type":"Chat","text":"I am Anna","from":{}}}"#, a.0);
    ben.send_raw(Message::text(forged)).await;
    ben.expect_close_code(close_code::MALFORMED, "a Chat with a forged sender")
        .await;
    anna.send(&chat("still here", None)).await;
    assert_eq!(next_chat(&mut anna, "Anna's echo").await.text, "still here");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_keeps_the_chat_and_an_empty_room_past_the_grace_starts_over() {
    let server = short_grace().await;
    let room = new_room();
    let mut anna = WsClient::connect_hello(&server).await;
    anna.join(&room, "Anna", false, false).await;
    anna.send(&chat("remember me", None)).await;
    next_chat(&mut anna, "the echo").await;
    // A reload: the page closes its socket without `Leave` and joins again at once.
    anna.close_like_a_page().await;
    let mut again = WsClient::connect_hello(&server).await;
    let joined = again.join_full(&room, "Anna", false, false).await;
    let history: Vec<_> = joined.chat.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        history,
        ["remember me"],
        "within the grace period the conference goes on"
    );
    again.close_like_a_page().await;
    // Longer than the grace period: the conference ended and its chat was deleted.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let mut later = WsClient::connect_hello(&server).await;
    let joined = later.join_full(&room, "Anna", false, false).await;
    assert!(
        joined.chat.is_empty(),
        "a new conference under the same link"
    );
}
