//! IPv6 (issue 13): the media sockets take IPv6 and dual-stack addresses, and the announced
//! candidates follow them. webrtc-rs participants (the independent stack) gather `::1` or
//! `127.0.0.1` only, so media can only flow the way the test means it to.

mod support;

use std::net::SocketAddr;

use support::*;
use treff_shared::TrackKind;

/// A server whose media sockets (UDP and TCP) are bound to `media`.
async fn with_media_on(media: &str) -> TestServer {
    let media: SocketAddr = media.parse().expect("an address");
    start(treff::Config {
        media_bind: media,
        media_tcp_bind: media,
        ..treff::Config::ephemeral()
    })
    .await
}

/// Two webrtc-rs participants, each gathering only IPv6 (`true`) or only IPv4 loopback, in a new
/// room, both publishing; returns once each has an offer with the other one's tracks.
async fn meet(server: &TestServer, who: [(&str, bool); 2]) -> [WebrtcParticipant; 2] {
    let room = new_room();
    let mut pair = Vec::new();
    for (name, ipv6) in who {
        let options = JoinOptions {
            ipv6,
            ..Publish::BOTH.into()
        };
        pair.push(WebrtcParticipant::join_with(server, &room, name, options).await);
    }
    let ids = [pair[0].id, pair[1].id];
    for (p, other) in pair.iter_mut().zip(ids.into_iter().rev()) {
        p.wait_offer("with the other one's tracks", |o| {
            o.tracks.iter().any(|t| t.participant == other)
        })
        .await;
    }
    pair.try_into()
        .unwrap_or_else(|_| unreachable!("two joined"))
}

/// Checks that neither saw an error, then ends the call and the server.
async fn end(server: TestServer, pair: [WebrtcParticipant; 2]) {
    for p in pair {
        p.assert_no_errors();
        p.close().await;
    }
    server.shutdown().await;
}

/// Waits until each of `pair` receives the other one's video and audio.
async fn media_flows_between(pair: [&WebrtcParticipant; 2]) {
    for (rx, tx) in [(pair[0], pair[1]), (pair[1], pair[0])] {
        rx.wait_until_beside(
            MEDIA,
            &format!("{} to receive {}'s video and audio", rx.name, tx.name),
            |p| {
                p.packets_from(tx.id, TrackKind::Video) > 20
                    && p.packets_from(tx.id, TrackKind::Audio) > 20
            },
            &[tx],
        )
        .await;
    }
}

/// The candidates of the latest offer `p` got, as (protocol, address, port), without repeats.
fn candidates(p: &WebrtcParticipant) -> Vec<(String, String, u16)> {
    let offer = p.latest_offer().expect("an offer");
    let mut found: Vec<(String, String, u16)> = offer
        .sdp
        .lines()
        .filter_map(|l| l.strip_prefix("a=candidate:"))
        .map(|c| {
            // foundation component protocol priority address port typ host ...
            let f: Vec<&str> = c.split_whitespace().collect();
            (
                f[2].to_lowercase(),
                f[4].to_owned(),
                f[5].parse().expect("a port"),
            )
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

fn candidate(proto: &str, addr: &str, port: u16) -> (String, String, u16) {
    (proto.to_owned(), addr.to_owned(), port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_flows_over_ipv6_loopback() {
    let server = with_media_on("[::1]:0").await;
    let [anna, ben] = meet(&server, [("Anna", true), ("Ben", true)]).await;

    let tcp = server.media_tcp_addr.expect("TCP is announced").port();
    assert_eq!(
        candidates(&anna),
        [
            candidate("tcp", "::1", tcp),
            candidate("udp", "::1", server.media_addr.port())
        ],
        "the IPv6 sockets' addresses, nothing else"
    );

    media_flows_between([&anna, &ben]).await;
    end(server, [anna, ben]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dual_stack_socket_carries_an_ipv4_and_an_ipv6_participant() {
    let server = with_media_on("[::]:0").await;
    let [four, six] = meet(&server, [("Vier", false), ("Sechs", true)]).await;

    // No public address configured on `[::]`: both loopbacks are announced, on the one port.
    let (udp, tcp) = (
        server.media_addr.port(),
        server.media_tcp_addr.expect("TCP is announced").port(),
    );
    assert_eq!(
        candidates(&four),
        [
            candidate("tcp", "127.0.0.1", tcp),
            candidate("tcp", "::1", tcp),
            candidate("udp", "127.0.0.1", udp),
            candidate("udp", "::1", udp),
        ]
    );

    // The IPv4 participant reaches the IPv6 socket (as ::ffff:127.0.0.1, which the socket reads as
    // 127.0.0.1: `src/sfu/udp.rs`): media flows both ways between the two families.
    media_flows_between([&four, &six]).await;
    end(server, [four, six]).await;
}
