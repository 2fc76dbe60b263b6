//! ICE over TCP at the media TCP port (issue 13): a participant's offer carries a passive TCP
//! candidate; a connection whose first frame is a STUN check for that participant's ufrag is bound
//! to its peer, and the peer answers over it, whatever the reads split or join (RFC 4571 framing);
//! a connection that sends garbage is closed while the others go on; a participant who leaves takes
//! their connections with them.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use str0m::ice::{StunMessage, TransId};
use support::{WsClient, new_room, start_default};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use treff_shared::ServerMsg;

/// The offer's ICE credentials and its TCP candidate's port, and the answer's ufrag.
struct Ice {
    ufrag: String,
    pwd: String,
    tcp_port: u16,
    client_ufrag: String,
}

/// The value of SDP attribute `name` (e.g. `a=ice-ufrag:`).
fn attribute(sdp: &str, name: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim_end().strip_prefix(name).map(str::to_owned))
        .unwrap_or_else(|| panic!("the SDP has {name}"))
}

fn ice_of(sdp: &str, answer: &str) -> Ice {
    let tcp = sdp
        .lines()
        .find(|l| {
            l.starts_with("a=candidate:") && l.contains(" tcp ") && l.contains("tcptype passive")
        })
        .expect("the offer has a passive TCP candidate");
    // a=candidate:<foundation> <component> tcp <prio> <ip> <port> typ host tcptype passive
    let tcp_port = tcp
        .split_whitespace()
        .nth(5)
        .and_then(|p| p.parse().ok())
        .expect("a port in the candidate");
    Ice {
        ufrag: attribute(sdp, "a=ice-ufrag:"),
        pwd: attribute(sdp, "a=ice-pwd:"),
        tcp_port,
        client_ufrag: attribute(answer, "a=ice-ufrag:"),
    }
}

/// A STUN binding request as a browser's ICE agent sends it (controlling, with integrity and
/// fingerprint), RFC 4571-framed.
fn framed_check(ice: &Ice) -> Vec<u8> {
    let username = format!("{}:{}", ice.ufrag, ice.client_ufrag);
    let request = StunMessage::binding_request(&username, TransId::new(), true, 7, 1_000, true);
    let mut buffer = [0u8; 512];
    let n = request
        .to_bytes(Some(ice.pwd.as_bytes()), &mut buffer, |key, parts| {
            let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("any key length");
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().into()
        })
        .expect("a STUN request");
    treff::sfu::tcp::frame(&buffer[..n]).expect("short")
}

/// Reads one RFC 4571 frame (within 5 s), or `None` at the end of the stream.
async fn read_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let read = async {
        let mut len = [0u8; 2];
        stream.read_exact(&mut len).await.ok()?;
        let mut packet = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut packet).await.ok()?;
        Some(packet)
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("a frame or the end within 5 s")
}

/// Reads frames until `n` STUN binding successes came; returns how many DTLS records came between
/// (once ICE is connected the server starts DTLS over the same connection). Panics on anything else.
async fn answers(stream: &mut TcpStream, n: usize) -> usize {
    let (mut successes, mut dtls) = (0, 0);
    while successes < n {
        let frame = read_frame(stream)
            .await
            .unwrap_or_else(|| panic!("the end after {successes} of {n} answers"));
        if StunMessage::parse(&frame).is_ok_and(|m| m.is_successful_binding_response()) {
            successes += 1;
        } else if frame.first().is_some_and(|b| (20..64).contains(b)) {
            dtls += 1;
        } else {
            panic!(
                "neither a STUN answer nor DTLS: {:?}",
                &frame[..frame.len().min(8)]
            );
        }
    }
    dtls
}

/// Joins one participant over the WebSocket, answers the first offer (with a str0m client's answer:
/// the server's ICE agent answers checks only from the ufrag the answer names) and returns them with
/// the ICE details.
async fn participant(server: &treff::Server) -> (WsClient, Ice) {
    let mut ws = WsClient::connect_hello(server).await;
    ws.join(&new_room(), "Tcp", true, true).await;
    let sdp = ws
        .recv_until("the first offer", |m| match m {
            ServerMsg::Offer { sdp, .. } => Some(sdp.clone()),
            _ => None,
        })
        .await;
    let mut client = str0m::Rtc::builder()
        .clear_codecs()
        .enable_opus(true, false)
        .enable_vp8(true)
        .build(std::time::Instant::now());
    let answer = client
        .sdp_api()
        .accept_offer(str0m::change::SdpOffer::from_sdp_string(&sdp).expect("an offer"))
        .expect("str0m accepts the offer")
        .to_sdp_string();
    ws.send(&treff_shared::ClientMsg::Answer {
        sdp: answer.clone(),
    })
    .await;
    (ws, ice_of(&sdp, &answer))
}

#[tokio::test]
async fn checks_split_or_joined_in_any_way_are_answered_over_the_connection() {
    let server = start_default().await;
    let (_ws, ice) = participant(&server).await;
    let tcp: SocketAddr = server
        .media_tcp_addr
        .expect("TCP candidates are on by default");
    assert_eq!(
        ice.tcp_port,
        tcp.port(),
        "the offer announces the media TCP port"
    );

    let mut stream = TcpStream::connect(tcp).await.expect("connect");
    // The first check in three pieces (one inside the length), then two more in one write.
    let first = framed_check(&ice);
    for piece in [&first[..1], &first[1..7], &first[7..]] {
        stream.write_all(piece).await.expect("write");
        stream.flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let two: Vec<u8> = [framed_check(&ice), framed_check(&ice)].concat();
    stream.write_all(&two).await.expect("write");
    let dtls = answers(&mut stream, 3).await;
    assert!(
        dtls > 0,
        "the server's DTLS handshake starts over the connection too"
    );
    assert_eq!(server.routes.connections(), 1);
}

#[tokio::test]
async fn a_connection_sending_garbage_is_closed_and_the_others_go_on() {
    let server = start_default().await;
    let (_ws, ice) = participant(&server).await;
    let tcp = server.media_tcp_addr.expect("TCP on");
    let mut good = TcpStream::connect(tcp).await.expect("connect");
    good.write_all(&framed_check(&ice)).await.expect("write");
    answers(&mut good, 1).await;

    // A frame that is no STUN check, and one naming nobody: both closed, nothing answered.
    for garbage in [
        treff::sfu::tcp::frame(b"GET / HTTP/1.1\r\n\r\n").expect("short"),
        framed_check(&Ice {
            ufrag: "nobody".into(),
            pwd: "x".repeat(24),
            tcp_port: 0,
            client_ufrag: ice.client_ufrag.clone(),
        }),
    ] {
        let mut bad = TcpStream::connect(tcp).await.expect("connect");
        bad.write_all(&garbage).await.expect("write");
        assert_eq!(read_frame(&mut bad).await, None, "closed without an answer");
    }
    // Raw bytes without framing: the "length" asks for more than is sent; closed after the grace.
    let mut silent = TcpStream::connect(tcp).await.expect("connect");
    silent.write_all(b"\xff\xffhello").await.expect("write");
    let closed = tokio::time::timeout(
        treff::sfu::tcp::FIRST_CHECK_WITHIN + Duration::from_secs(2),
        silent.read(&mut [0u8; 16]),
    )
    .await
    .expect("closed within the first-check grace");
    assert!(matches!(closed, Ok(0) | Err(_)));

    // The bound connection still works.
    good.write_all(&framed_check(&ice)).await.expect("write");
    answers(&mut good, 1).await;
    assert_eq!(server.routes.connections(), 1);
}

#[tokio::test]
async fn a_participant_who_leaves_takes_their_connection_along() {
    let server = start_default().await;
    let (mut ws, ice) = participant(&server).await;
    let mut stream = TcpStream::connect(server.media_tcp_addr.expect("TCP on"))
        .await
        .expect("connect");
    stream.write_all(&framed_check(&ice)).await.expect("write");
    answers(&mut stream, 1).await;

    ws.send(&treff_shared::ClientMsg::Leave).await;
    // Whatever was still queued may arrive; then the end.
    while let Some(frame) = read_frame(&mut stream).await {
        assert!(!frame.is_empty());
    }
    assert_eq!(server.routes.connections(), 0);
}
