//! Simulcast through the SFU with a second WebRTC stack: a webrtc-rs publisher sends its camera as
//! three layers (rids `q`, `h`, `f`, each frame tagged with its layer), and what a receiver gets
//! is read from the tags of the packets that arrive: which layer, and whether the first packet of
//! each layer started a keyframe.

mod support;

use support::{JoinOptions, MEDIA, Publish, WebrtcParticipant, new_room, start_default};
use treff_shared::{ClientMsg, Layer, ServerMsg, TileSize, TrackKind};

#[tokio::test]
async fn a_receiver_gets_the_layer_its_tile_needs_switching_at_keyframes_and_nothing_when_hidden() {
    let server = start_default().await;
    let room = new_room();
    let mut anna = WebrtcParticipant::join_with(
        &server,
        &room,
        "Anna",
        JoinOptions {
            simulcast: true,
            ..Publish::BOTH.into()
        },
    )
    .await;
    let ben = WebrtcParticipant::join(&server, &room, "Ben", Publish::NOTHING).await;
    let anna_id = anna.id;
    let last_layer = |ben: &WebrtcParticipant| ben.video_runs_from(anna_id).last().cloned();

    // A client that never reported its tiles gets the best layer.
    ben.wait_until(MEDIA, "Anna's full layer", |ben| {
        last_layer(ben).is_some_and(|(tag, _)| tag == "Anna@f")
    })
    .await;

    let tile = |width, height| ClientMsg::Tiles {
        tiles: vec![TileSize {
            participant: anna_id,
            kind: TrackKind::Video,
            width,
            height,
        }],
    };
    for (width, layer) in [(300, "Anna@q"), (600, "Anna@h"), (1200, "Anna@f")] {
        ben.send(&tile(width, width * 9 / 16)).await;
        ben.wait_until(MEDIA, &format!("{layer} for a tile {width} wide"), |ben| {
            last_layer(ben).is_some_and(|(tag, _)| tag == layer)
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
    let last = last_layer(&ben);
    assert_eq!(last, Some(("Anna@q".to_owned(), true)));
    assert!(ben.errors().is_empty() && anna.errors().is_empty());
}
