//! Recording end to end (R5, R6): two webrtc-rs participants send real VP8 and Opus (clips
//! ffmpeg encoded in the set-up) through the real server while a recording runs, pauses on a
//! withdrawal and resumes; the output job's files are fetched through the recordings API with the
//! moderator key and checked with `ffprobe`: codecs, durations against the captured span (the
//! pause cut out), a flash and a tone sent at the same instant still together, and the chat text
//! holding exactly the public messages sent while capture ran.

mod recording_support;
mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use recording_support::{
    TempDir, clip_media, codecs, loudness, probe, quiet_media, seconds, signal,
};
use support::{
    Clip, JoinOptions, MEDIA, Publish, WebrtcParticipant, new_meeting, recording_file,
    start_default,
};
use tokio::time::Instant;
use treff_shared::meeting::NewMeeting;
use treff_shared::recording::OUTPUT_FILES;
use treff_shared::{ClientMsg, Consent, RecordingAction, RecordingEvent, ServerMsg, TrackKind};

/// How long a clip lasts before it loops.
const CLIP_MS: u64 = 3_000;

/// The moderator's clip: black, a magenta flash of two frames at 1 s into each loop, and a 1 kHz
/// tone starting at the same instant (for half a second); silence otherwise. Magenta, because the
/// output's own tiles and names are grey and white: a change of layout can brighten a frame, but
/// only the flash colours it.
fn marked_clip() -> Arc<Clip> {
    let (video, audio) = clip_media(
        "color=c=black:size=320x240:rate=25",
        "drawbox=x=0:y=0:w=iw:h=ih:color=magenta:t=fill:enable='between(t,0.99,1.07)'",
        "sine=frequency=1000:sample_rate=48000",
        "volume=volume=0:enable='not(between(t,1,1.5))'",
        CLIP_MS,
    );
    Clip::new(video, audio)
}

fn say(text: &str, to: Option<treff_shared::ParticipantId>) -> ClientMsg {
    ClientMsg::Chat {
        text: text.into(),
        to,
        attachment: None,
    }
}

/// Waits until a chat message with `text` reached `p` (the server stamped and stored it).
async fn chat_seen(p: &mut WebrtcParticipant, text: &str) {
    p.wait_event(&format!("chat {text:?}"), |m| match m {
        ServerMsg::Chat { message } if message.text == text => Some(()),
        _ => None,
    })
    .await;
}

/// Downloads `file` of `recording` into `dir`: refused without the moderator key, served with it.
async fn download(
    server: &treff::Server,
    meeting: &NewMeeting,
    recording: &str,
    file: &str,
    dir: &Path,
) -> std::path::PathBuf {
    let refused = recording_file(server, meeting, recording, file, None).await;
    assert_eq!(refused.status(), 401, "{file} without the moderator key");
    let key = Some(meeting.moderator_key.as_str());
    let response = recording_file(server, meeting, recording, file, key).await;
    assert_eq!(response.status(), 200, "{file} with the moderator key");
    let path = dir.join(file);
    std::fs::write(&path, response.bytes().await.expect("the body")).expect("write");
    path
}

/// Times at which `series` rises above `threshold`.
fn rising(series: &[(f64, f64)], threshold: f64) -> Vec<f64> {
    series
        .windows(2)
        .filter(|w| w[0].1 <= threshold && w[1].1 > threshold)
        .map(|w| w[1].0)
        .collect()
}

/// When the MP4's picture turns magenta (its average red-difference chroma rises above halfway
/// between the greyest and the most coloured frame) and when its sound turns loud (RMS over 5 ms
/// rises above -30 dBFS).
fn flashes_and_tones(mp4: &Path) -> (Vec<f64>, Vec<f64>) {
    let chroma = signal(mp4, "VAVG");
    let (grey, coloured) = chroma
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    assert!(
        coloured - grey > 10.0,
        "the flash is visible: chroma {grey}..{coloured}"
    );
    (
        rising(&chroma, (grey + coloured) / 2.0),
        rising(&loudness(mp4), -30.0),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_of_real_media_becomes_mp4_m4a_chat_and_consent_with_the_pause_cut() {
    let (video, audio) = quiet_media(CLIP_MS);
    let (marked, quiet) = (marked_clip(), Clip::new(video, audio));
    let server = start_default().await;
    let meeting = new_meeting(&server).await;
    let mut anna = WebrtcParticipant::join_with(
        &server,
        &meeting.room,
        "Anna",
        JoinOptions {
            publish: Publish::BOTH,
            moderator_key: Some(meeting.moderator_key.clone()),
            clip: Some(marked),
            ..Publish::BOTH.into()
        },
    )
    .await;
    let mut ben = WebrtcParticipant::join_with(
        &server,
        &meeting.room,
        "Ben",
        JoinOptions {
            clip: Some(quiet),
            ..Publish::BOTH.into()
        },
    )
    .await;
    let (a, b) = (anna.id, ben.id);
    for (p, from) in [(&anna, b), (&ben, a)] {
        p.wait_until(MEDIA, "media from the other", |p| {
            p.packets_from(from, TrackKind::Video) > 25
                && p.packets_from(from, TrackKind::Audio) > 25
        })
        .await;
    }

    ben.send(&say("before the recording", None)).await;
    chat_seen(&mut anna, "before the recording").await;
    anna.send(&ClientMsg::Recording {
        action: RecordingAction::Propose,
    })
    .await;
    for p in [&mut anna, &mut ben] {
        p.wait_event("the proposal", |m| match m {
            ServerMsg::Recording {
                event: RecordingEvent::Proposed { .. },
                ..
            } => Some(()),
            _ => None,
        })
        .await;
        p.send(&ClientMsg::Consent {
            consent: Consent::Yes,
        })
        .await;
    }
    let started = anna.wait_capturing(true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    ben.send(&say("first span", None)).await;
    anna.send(&say("only for Ben", Some(b))).await;
    chat_seen(&mut anna, "first span").await;
    chat_seen(&mut ben, "only for Ben").await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Ben withdraws: capture pauses for 3 s, and what is said then is not captured.
    ben.send(&ClientMsg::Consent {
        consent: Consent::No,
    })
    .await;
    let paused = anna.wait_capturing(false).await;
    anna.send(&say("while paused", None)).await;
    chat_seen(&mut ben, "while paused").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    ben.send(&ClientMsg::Consent {
        consent: Consent::Yes,
    })
    .await;
    let resumed = anna.wait_capturing(true).await;
    anna.send(&say("second span", None)).await;
    chat_seen(&mut ben, "second span").await;
    tokio::time::sleep(Duration::from_secs(6)).await;

    anna.send(&ClientMsg::Recording {
        action: RecordingAction::Stop,
    })
    .await;
    anna.wait_event("the stop", |m| match m {
        ServerMsg::Recording {
            recording: None,
            event: RecordingEvent::Stopped { .. },
        } => Some(()),
        _ => None,
    })
    .await;
    let stopped = Instant::now();
    ben.send(&say("after the recording", None)).await;
    chat_seen(&mut anna, "after the recording").await;
    let captured = (paused - started + (stopped - resumed)).as_secs_f64();

    let recording = anna.wait_recording_done().await;
    let listed: Vec<&str> = recording.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(listed, OUTPUT_FILES, "every output file is listed");
    let duration = recording.duration_ms as f64 / 1000.0;
    assert!(
        (duration - captured).abs() <= 1.0,
        "output of {duration} s for {captured:.2} s captured (the 3 s pause cut out)"
    );

    let out = TempDir::new("recording-download");
    let mut files = Vec::new();
    for name in OUTPUT_FILES {
        files.push(download(&server, &meeting, &recording.id, name, &out.0).await);
    }
    let [mp4, m4a, chat, consent] = &files[..] else {
        unreachable!("four files")
    };

    let video = probe(mp4);
    assert_eq!(
        codecs(&video),
        [("video", "h264"), ("audio", "aac")].map(|(t, c)| (t.to_owned(), c.to_owned()))
    );
    let audio = probe(m4a);
    assert_eq!(codecs(&audio), [("audio".to_owned(), "aac".to_owned())]);
    for (what, p) in [("mp4", &video), ("m4a", &audio)] {
        let d = seconds(&p["format"]["duration"]);
        assert!(
            (d - captured).abs() <= 1.0,
            "{what} lasts {d} s for {captured:.2} s captured"
        );
    }

    // Every flash has its tone within 100 ms, across the pause and the segments after it.
    let (flashes, tones) = flashes_and_tones(mp4);
    assert!(flashes.len() >= 2, "flashes at {flashes:?}");
    eprintln!("captured {captured:.2} s; flashes at {flashes:?}; tones at {tones:?}");
    for flash in &flashes {
        let offset = tones
            .iter()
            .map(|t| t - flash)
            .min_by(|x, y| x.abs().total_cmp(&y.abs()))
            .expect("a tone");
        assert!(
            offset.abs() <= 0.1,
            "A/V offset {:.0} ms at the flash at {flash} s (flashes {flashes:?}, tones {tones:?})",
            offset * 1000.0
        );
    }

    let text = std::fs::read_to_string(chat).expect("chat.txt is UTF-8");
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.split_once("  ").expect("time, two spaces, message").1)
        .collect();
    assert_eq!(
        lines,
        ["Ben: first span", "Anna: second span"],
        "only public messages sent while capture ran"
    );

    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(consent).expect("consent.json")).expect("JSON");
    let answers = |who: &str| -> Vec<String> {
        record["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["name"] == who && e["event"] != "present")
            .map(|e| e["event"].as_str().expect("an event").to_owned())
            .collect()
    };
    assert_eq!(answers("Anna"), ["proposed", "yes"], "{record}");
    assert_eq!(answers("Ben"), ["yes", "withdrew", "yes"], "{record}");
    assert_eq!(
        record["capture"].as_array().map(Vec::len),
        Some(2),
        "two capture spans: {record}"
    );
    assert!(
        walk(server.recordings_dir())
            .iter()
            .all(|p| !p.contains("/raw")),
        "the raw tracks are removed once the output exists: {:?}",
        walk(server.recordings_dir())
    );

    anna.leave().await;
    ben.leave().await;
    server.shutdown().await;
}

/// Every path under `dir`.
fn walk(dir: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        paths.push(path.display().to_string());
        if path.is_dir() {
            paths.extend(walk(&path));
        }
    }
    paths
}
