//! Simulcast through the SFU with a second WebRTC stack: a webrtc-rs publisher sends its camera as
//! three layers (rids `q`, `h`, `f`, each frame tagged with its layer), and what a receiver gets
//! is read from the tags of the packets that arrive: which layer, and whether the first packet of
//! each layer started a keyframe. A receiver's downlink is made slow by a relay with a bottleneck
//! (`support::Relay`): the SFU's estimate of it then decides.

mod support;

use std::time::Duration;

use support::{JoinOptions, MEDIA, Publish, Relay, WebrtcParticipant, new_room, start_default};
use treff_shared::{ClientMsg, Layer, ParticipantId, ServerMsg, TileSize, TrackKind};

/// The tag of the last layer of `from`'s camera that reached `rx`, and whether it started at a
/// keyframe.
fn last_layer(rx: &WebrtcParticipant, from: ParticipantId) -> Option<(String, bool)> {
    rx.video_runs_from(from).last().cloned()
}

/// Anna joins publishing her camera in three layers.
async fn anna_in_three_layers(
    server: &treff::Server,
    room: &treff_shared::RoomId,
) -> WebrtcParticipant {
    let options = JoinOptions {
        simulcast: true,
        ..Publish::BOTH.into()
    };
    WebrtcParticipant::join_with(server, room, "Anna", options).await
}

#[tokio::test]
async fn a_receiver_gets_the_layer_its_tile_needs_switching_at_keyframes_and_nothing_when_hidden() {
    let server = start_default().await;
    let room = new_room();
    let mut anna = anna_in_three_layers(&server, &room).await;
    let ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::NOTHING).await;
    let anna_id = anna.id;

    // A client that never reported its tiles gets the best layer.
    ben.wait_until(MEDIA, "Anna's full layer", |ben| {
        last_layer(ben, anna_id).is_some_and(|(tag, _)| tag == "Anna@f")
    })
    .await;

    let tile = |width, height| ClientMsg::Tiles {
        tiles: vec![TileSize {
            participant: anna_id,
            kind: TrackKind::Video,
            width,
            height,
            featured: false,
        }],
    };
    for (width, layer) in [(300, "Anna@q"), (600, "Anna@h"), (1200, "Anna@f")] {
        ben.send(&tile(width, width * 9 / 16)).await;
        ben.wait_until(MEDIA, &format!("{layer} for a tile {width} wide"), |ben| {
            last_layer(ben, anna_id).is_some_and(|(tag, _)| tag == layer)
        })
        .await;
    }
    let runs = ben.video_runs_from(anna_id);
    assert!(
        runs.iter().all(|(_, key)| *key),
        "every layer starts at a keyframe: {runs:?}"
    );
    let tags: Vec<&str> = runs.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tags,
        ["Anna@f", "Anna@q", "Anna@h", "Anna@f"],
        "one switch per change, none back and forth"
    );

    // Hidden: nothing comes, and Anna is told nobody watches her camera.
    ben.send(&tile(0, 0)).await;
    anna.wait_event("nobody watches the camera", |m| match m {
        ServerMsg::Layers { active } if active.is_empty() => Some(()),
        _ => None,
    })
    .await;
    let stopped = ben.packets_from(anna_id, TrackKind::Video);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        ben.packets_from(anna_id, TrackKind::Video),
        stopped,
        "no video for a hidden tile"
    );
    assert!(
        ben.packets_from(anna_id, TrackKind::Audio) > 0,
        "audio is never cut"
    );

    // Shown small again: the low layer is resumed at Anna's and comes, from a keyframe.
    ben.send(&tile(200, 112)).await;
    anna.wait_event("the low layer is wanted again", |m| match m {
        ServerMsg::Layers { active } if *active == [Layer::Low] => Some(()),
        _ => None,
    })
    .await;
    ben.wait_until(MEDIA, "the low layer again", |ben| {
        ben.packets_from(anna_id, TrackKind::Video) > stopped
    })
    .await;
    let last = last_layer(&ben, anna_id);
    assert_eq!(last, Some(("Anna@q".to_owned(), true)));
    assert!(ben.errors().is_empty() && anna.errors().is_empty());
}

#[tokio::test]
async fn a_receiver_on_a_slow_link_gets_the_low_layer_and_the_best_again_when_the_link_recovers() {
    // 400 kbit/s: the full layer (1.4 Mbit/s) and the half (550 kbit/s) do not pass, the quarter
    // (72 kbit/s) and the voice do.
    const LINK: u64 = 400_000;
    let server = start_default().await;
    let room = new_room();
    let anna = anna_in_three_layers(&server, &room).await;
    let relay = Relay::start(LINK).await;
    let options = JoinOptions {
        relay: Some(std::sync::Arc::clone(&relay)),
        ..Publish::NOTHING.into()
    };
    // Ben never reports tiles, so only his downlink can hold him back from the full layer.
    let ben = WebrtcParticipant::join_with(&server, &room, "Ben", options).await;
    let anna_id = anna.id;
    let on_low =
        |ben: &WebrtcParticipant| last_layer(ben, anna_id).is_some_and(|(tag, _)| tag == "Anna@q");
    ben.wait_until(
        Duration::from_secs(20),
        "the low layer on a slow link",
        on_low,
    )
    .await;
    assert!(relay.dropped() > 0, "the link was the bottleneck");
    // It stays there: no swinging up and down while the link stays slow.
    let runs = ben.video_runs_from(anna_id).len();
    let packets = ben.packets_from(anna_id, TrackKind::Video);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        on_low(&ben),
        "still the low layer: {:?}",
        ben.video_runs_from(anna_id)
    );
    assert_eq!(
        ben.video_runs_from(anna_id).len(),
        runs,
        "no switch meanwhile"
    );
    assert!(
        ben.packets_from(anna_id, TrackKind::Video) > packets + 50,
        "the low layer keeps coming"
    );

    // The link recovers: the estimator finds out by probing, and the full layer comes back.
    relay.set_rate(u64::MAX);
    ben.wait_until(Duration::from_secs(30), "the full layer again", |ben| {
        last_layer(ben, anna_id).is_some_and(|(tag, _)| tag == "Anna@f")
    })
    .await;
    let runs = ben.video_runs_from(anna_id);
    assert!(
        runs.iter().all(|(_, key)| *key),
        "every switch at a keyframe: {runs:?}"
    );
    assert!(ben.errors().is_empty() && anna.errors().is_empty());
}
