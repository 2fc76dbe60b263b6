//! The recording output job end to end on real media: raw captures written by Treff's own track
//! writers from ffmpeg-encoded VP8 and Opus (see `recording_support`), rendered by
//! `recording::output::render`, and checked with `ffprobe`: streams and durations, the place of
//! a late segment on the timeline, and audio/video sync at a marked instant.

mod recording_support;

use std::path::Path;

use recording_support::{
    TempDir, audio_file, codecs, loudness, luma, manifest, meeting, probe, seconds, segment,
    video_file,
};
use treff::recording::output::{AUDIO_FILE, Rendered, VIDEO_FILE, render};
use treff_shared::TrackKind;

/// Renders `m` from `raw` into a fresh `out` beside it, checking the progress reports.
fn render_checked(raw: &Path, m: &treff::recording::manifest::Manifest, out: &Path) -> Rendered {
    let mut reports = Vec::new();
    let rendered = render(raw, m, out, |p| reports.push(p)).expect("render");
    assert!(
        reports.windows(2).all(|w| w[0] <= w[1]),
        "progress rises: {reports:?}"
    );
    assert_eq!(reports.last(), Some(&100));
    assert!(
        !out.join(".render").exists(),
        "the working directory is removed"
    );
    rendered
}

#[test]
fn recording_tracks_written_are_read_by_ffprobe() {
    let dir = TempDir::new("tracks");
    let ivf = dir.0.join("camera.ivf");
    let frames = video_file(&ivf, "testsrc=size=640x360:rate=25", "null", 2_000);
    assert_eq!(frames, 50, "every frame came through the depacketizer");
    let p = probe(&ivf);
    let s = &p["streams"][0];
    assert_eq!(s["codec_name"], "vp8");
    assert_eq!(
        (s["width"].as_u64(), s["height"].as_u64()),
        (Some(640), Some(360))
    );
    assert_eq!(s["nb_read_frames"], "50");
    assert_eq!(s["time_base"], "1/1000");

    let ogg = dir.0.join("mic.ogg");
    audio_file(&ogg, "sine=frequency=440:sample_rate=48000", "anull", 2_000);
    let p = probe(&ogg);
    let s = &p["streams"][0];
    assert_eq!(s["codec_name"], "opus");
    assert_eq!(s["channels"], 2);
    let duration = seconds(&p["format"]["duration"]);
    assert!((duration - 2.0).abs() < 0.05, "ogg duration {duration}");
    // The whole file decodes without an error (CRC, framing).
    recording_support::ffmpeg(&["-i", ogg.to_str().expect("utf-8"), "-f", "null", "-"]);
}

#[test]
fn recording_of_a_meeting_with_a_screen_share_renders_to_mp4_and_m4a() {
    let dir = TempDir::new("meeting");
    let (raw, out) = (dir.sub("raw"), dir.sub("out"));
    // Names that would break or inject into a filter graph if they were part of it.
    let names = ["O'Brien: 100% \\ \"x\"", "[in]; movie=/etc/passwd"];
    let m = meeting(&raw, &names, 6_000, 3_000);
    assert_eq!(m.segments.len(), 5);

    let rendered = render_checked(&raw, &m, &out);
    assert_eq!(rendered.duration_ms, 6_000);
    let names: Vec<&str> = rendered.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec![VIDEO_FILE, AUDIO_FILE]);
    for (name, size) in &rendered.files {
        assert_eq!(
            std::fs::metadata(out.join(name)).expect("file").len(),
            *size
        );
    }

    let mp4 = probe(&out.join(VIDEO_FILE));
    assert_eq!(
        codecs(&mp4),
        vec![
            ("video".into(), "h264".into()),
            ("audio".into(), "aac".into())
        ]
    );
    let v = &mp4["streams"][0];
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert_eq!(v["pix_fmt"], "yuv420p");
    for stream in mp4["streams"].as_array().expect("streams") {
        let d = seconds(&stream["duration"]);
        assert!((d - 6.0).abs() <= 1.0, "stream duration {d}");
    }
    let d = seconds(&mp4["format"]["duration"]);
    assert!((d - 6.0).abs() <= 1.0, "mp4 duration {d}");

    let m4a = probe(&out.join(AUDIO_FILE));
    assert_eq!(codecs(&m4a), vec![("audio".into(), "aac".into())]);
    let d = seconds(&m4a["format"]["duration"]);
    assert!((d - 6.0).abs() <= 1.0, "m4a duration {d}");
}

/// When the picture first turns bright (average luma above 100 of 255).
fn first_flash(mp4: &Path) -> f64 {
    luma(mp4)
        .into_iter()
        .find(|(_, y)| *y > 100.0)
        .map(|(t, _)| t)
        .expect("a bright frame")
}

/// When the sound first gets loud (RMS above -30 dBFS).
fn first_sound(mp4: &Path) -> f64 {
    loudness(mp4)
        .into_iter()
        .find(|(_, db)| *db > -30.0)
        .map(|(t, _)| t)
        .expect("a loud moment")
}

#[test]
fn recording_keeps_a_flash_and_a_tone_at_the_same_instant_within_100_ms() {
    let dir = TempDir::new("sync");
    let (raw, out) = (dir.sub("raw"), dir.sub("out"));
    // Both segments start at 1.5 s on the timeline; 2 s into them comes a white flash (two
    // frames) and the onset of a 1 kHz tone: the mark is at 3.5 s.
    video_file(
        &raw.join("1-camera-1.ivf"),
        "color=c=black:size=640x360:rate=25",
        "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,1.99,2.07)'",
        4_000,
    );
    audio_file(
        &raw.join("1-audio-2.ogg"),
        "sine=frequency=1000:sample_rate=48000",
        "volume=volume=0:enable='lt(t,2)'",
        4_000,
    );
    let m = manifest(
        5_500,
        &["Ann"],
        vec![
            segment(1, TrackKind::Video, "1-camera-1.ivf", 1_500, 5_500),
            segment(1, TrackKind::Audio, "1-audio-2.ogg", 1_500, 5_500),
        ],
    );
    render_checked(&raw, &m, &out);
    let mp4 = out.join(VIDEO_FILE);
    let flash = first_flash(&mp4);
    let tone = first_sound(&mp4);
    assert!((flash - 3.5).abs() <= 0.05, "flash at {flash}");
    assert!((tone - 3.5).abs() <= 0.05, "tone at {tone}");
    assert!(
        (flash - tone).abs() <= 0.1,
        "A/V offset {} ms",
        (tone - flash) * 1000.0
    );
}

#[test]
fn recording_shows_a_segment_starting_at_3_s_at_3_s() {
    let dir = TempDir::new("late");
    let (raw, out) = (dir.sub("raw"), dir.sub("out"));
    // A bright picture and a tone, both from the first instant of their segments.
    video_file(
        &raw.join("2-camera-1.ivf"),
        "color=c=white:size=640x360:rate=25",
        "null",
        2_000,
    );
    audio_file(
        &raw.join("2-audio-2.ogg"),
        "sine=frequency=1000:sample_rate=48000",
        "anull",
        2_000,
    );
    let m = manifest(
        5_000,
        &["Ann", "Ben"],
        vec![
            segment(2, TrackKind::Video, "2-camera-1.ivf", 3_000, 5_000),
            segment(2, TrackKind::Audio, "2-audio-2.ogg", 3_000, 5_000),
        ],
    );
    render_checked(&raw, &m, &out);
    let mp4 = out.join(VIDEO_FILE);
    let frames = luma(&mp4);
    assert!(
        frames
            .iter()
            .filter(|(t, _)| *t < 2.95)
            .all(|(_, y)| *y < 40.0),
        "black before 3 s"
    );
    let flash = first_flash(&mp4);
    assert!((flash - 3.0).abs() <= 0.04, "picture from {flash}");
    let tone = first_sound(&mp4);
    assert!((tone - 3.0).abs() <= 0.05, "sound from {tone}");
    let m4a = out.join(AUDIO_FILE);
    let tone = first_sound(&m4a);
    assert!((tone - 3.0).abs() <= 0.05, "m4a sound from {tone}");
}
