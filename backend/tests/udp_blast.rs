//! Hostile traffic at the media port while a meeting runs: 100,000 random and malformed datagrams
//! (garbage, STUN binding requests with random usernames and with a real ufrag but no valid
//! integrity, DTLS- and RTP-looking bytes) from 64 loopback addresses. The server must not panic,
//! the meeting's forwarding must keep its rate, and the demux table must not grow beyond its bound.

mod support;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::Duration;

use str0m::ice::{StunMessage, TransId};
use support::{MEDIA, Publish, WebrtcParticipant, new_room, start_default};
use tokio::time::Instant;
use treff_shared::TrackKind;

const DATAGRAMS: usize = 100_000;
const SOURCES: u8 = 64;
/// How long the forwarding rate is measured, before the blast and from its start.
const WINDOW: Duration = Duration::from_secs(3);

/// A binding request naming `username`, with a MESSAGE-INTEGRITY that is not the real one.
fn binding_request(username: &str) -> Vec<u8> {
    let mut buf = vec![0u8; 1500];
    let msg = StunMessage::binding_request(username, TransId::new(), true, 7, 100, false);
    let n = msg
        .to_bytes(Some(b"not the password"), &mut buf, |_, _| [0u8; 20])
        .expect("a binding request serialises");
    buf.truncate(n);
    buf
}

/// Datagram `i` of the blast, from the random bytes `noise`.
fn hostile(i: usize, noise: &[u8], ufrag: &str) -> Vec<u8> {
    let len = 1 + usize::from(noise[0]) * 4;
    let mut bytes = noise[..len.min(noise.len())].to_vec();
    match i % 6 {
        0 => bytes,
        1 => binding_request(&format!("{:x}:{:x}", noise[1], noise[2])),
        // Our ufrag, as an attacker who saw the SDP would use it: bad integrity, bounded learning.
        2 => binding_request(&format!("{ufrag}:{:x}", noise[3])),
        3 => {
            let mut m = binding_request(&format!("{ufrag}:x"));
            m.truncate(usize::from(noise[4]) % m.len());
            m
        }
        4 => {
            bytes[0] = 20 + noise[5] % 44;
            bytes
        }
        _ => {
            bytes[0] = 128 + noise[6] % 64;
            bytes
        }
    }
}

/// Sends the blast from `SOURCES` loopback addresses (127.0.0.2 and up) to `to`; returns how many
/// datagrams the kernel took, and how long it took.
fn blast(to: SocketAddr, ufrag: &str) -> (usize, Duration) {
    let started = std::time::Instant::now();
    let sockets: Vec<UdpSocket> = (0..SOURCES)
        .map(|k| {
            UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 2 + k), 0)).expect("bind a loopback source")
        })
        .collect();
    let mut noise = vec![0u8; 1024];
    let mut sent = 0;
    for i in 0..DATAGRAMS {
        if i % 64 == 0 {
            getrandom::fill(&mut noise).expect("random bytes");
        }
        let d = hostile(i, &noise[(i % 64) * 8..], ufrag);
        if sockets[i % sockets.len()].send_to(&d, to).is_ok() {
            sent += 1;
        }
        // Paced a little, so the blast lasts about a second rather than filling the socket's
        // receive buffer in a burst (which would measure the kernel, not the server).
        if i % 1000 == 999 {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    (sent, started.elapsed())
}

/// Packets Ben received from Anna (audio and video).
fn received(ben: &WebrtcParticipant, anna: &WebrtcParticipant) -> u64 {
    ben.packets_from(anna.id, TrackKind::Audio) + ben.packets_from(anna.id, TrackKind::Video)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_udp_blast_does_not_hurt_a_running_meeting() {
    let server = start_default().await;
    let room = new_room();
    let anna = WebrtcParticipant::join(&server, &room, "Anna", Publish::BOTH).await;
    let ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::BOTH).await;
    ben.wait_until(MEDIA, "Ben receives Anna's media", |b| {
        b.packets_from(anna.id, TrackKind::Video) > 60
    })
    .await;
    let ufrag = ben
        .latest_offer()
        .and_then(|o| {
            o.sdp
                .lines()
                .find_map(|l| l.strip_prefix("a=ice-ufrag:").map(str::to_owned))
        })
        .expect("Ben's offer names the server's ufrag");
    let addresses = server.routes.addresses();

    let start = received(&ben, &anna);
    tokio::time::sleep(WINDOW).await;
    let before = received(&ben, &anna) - start;

    let unrouted = server.drops.unrouted.load(Ordering::Relaxed);
    let to = server.media_addr;
    let started = Instant::now();
    let at_start = received(&ben, &anna);
    let blaster = tokio::task::spawn_blocking(move || blast(to, &ufrag));
    // At least the window, and as long as the blast lasts.
    tokio::time::sleep(WINDOW).await;
    let (sent, blasting) = blaster.await.expect("the blaster finishes");
    let measured = started.elapsed();
    let during = received(&ben, &anna) - at_start;
    let dropped = server.drops.unrouted.load(Ordering::Relaxed) - unrouted;

    let rate = |packets: u64, over: Duration| packets as f64 / over.as_secs_f64();
    let (rate_before, rate_during) = (rate(before, WINDOW), rate(during, measured));
    println!(
        "blast: {sent} datagrams in {blasting:?}, {dropped} unrouted; Ben received {rate_before:.0} \
         packets/s before and {rate_during:.0} packets/s from the blast's start ({measured:?})"
    );
    assert!(
        dropped >= sent as u64 / 2,
        "the server read the blast: {dropped} of {sent} counted as unrouted"
    );
    assert!(
        rate_during >= rate_before * 0.9,
        "forwarding kept its rate: {rate_during:.0} packets/s during the blast, {rate_before:.0} before"
    );
    // Only checks naming a registered ufrag teach addresses, at most 8 per peer.
    assert!(
        server.routes.addresses() <= addresses.max(2) + 8,
        "the table stays bounded: {} addresses",
        server.routes.addresses()
    );
    assert_eq!(server.routes.peers(), 2);
    // Media still flows after it.
    let after = received(&ben, &anna);
    ben.wait_until(MEDIA, "media after the blast", |b| {
        received(b, &anna) > after + 50
    })
    .await;
    ben.assert_no_errors();
    anna.assert_no_errors();
    ben.close().await;
    anna.close().await;
}
