//! Set-up shared by the recording output tests and benchmark: raw captures made the way the
//! capture makes them. ffmpeg encodes test pictures to VP8 and test tones to Opus; the VP8 frames
//! are cut into RTP payloads (RFC 7741) and reassembled by [`Vp8Depacketizer`], the Opus packets
//! timed by their TOC bytes, and both written by Treff's own track writers.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

use treff::recording::manifest::{Manifest, Person, Segment};
use treff::recording::tracks::{IvfWriter, OggOpusWriter, Vp8Depacketizer, opus_samples};
use treff_shared::TrackKind;

/// A directory of its own, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory under the system's temporary directory.
    pub fn new(name: &str) -> Self {
        let unique: u64 = rand_u64();
        let dir = std::env::temp_dir().join(format!("treff-{name}-{unique:016x}"));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    /// A sub-directory, created.
    pub fn sub(&self, name: &str) -> PathBuf {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).expect("create sub dir");
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("random");
    u64::from_le_bytes(b)
}

/// Runs ffmpeg with `args` (quietly, overwriting), panicking with its error output on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ffprobe` of `path` (`-show_streams -show_format`) as JSON.
pub fn probe(path: &Path) -> serde_json::Value {
    probe_args(&[
        "-show_streams",
        "-show_format",
        "-count_frames",
        path.to_str().expect("utf-8 path"),
    ])
}

/// `ffprobe -of json` with `args`.
pub fn probe_args(args: &[&str]) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ffprobe JSON")
}

/// `(codec_type, codec_name)` of every stream in an [`probe`] result.
pub fn codecs(probe: &serde_json::Value) -> Vec<(String, String)> {
    probe["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|s| {
            (
                s["codec_type"].as_str().unwrap_or_default().to_owned(),
                s["codec_name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A time or number ffprobe gives as a string.
pub fn seconds(v: &serde_json::Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).expect("a time")
}

/// `(time, value)` of every frame of an lavfi `graph` for the metadata `tag` (`-inf` where
/// ffmpeg says so, e.g. the level of silence).
pub fn frames_of(graph: &str, tag: &str) -> Vec<(f64, f64)> {
    let entries = format!("frame=pts_time:frame_tags={tag}");
    let p = probe_args(&["-f", "lavfi", "-i", graph, "-show_entries", &entries]);
    p["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|f| {
            let value = f["tags"][tag]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(f64::NEG_INFINITY);
            (seconds(&f["pts_time"]), value)
        })
        .collect()
}

/// Per-frame `stat` of ffmpeg's `signalstats` of a video file, e.g. `YAVG` (average luma, 0 to
/// 255) or `VAVG` (average red-difference chroma, 128 for grey): (time, value).
pub fn signal(video: &Path, stat: &str) -> Vec<(f64, f64)> {
    let path = video.to_str().expect("utf-8 path");
    frames_of(
        &format!("movie={path},signalstats"),
        &format!("lavfi.signalstats.{stat}"),
    )
}

/// Per-frame average luma of a video file: (time, YAVG of 0 to 255).
pub fn luma(video: &Path) -> Vec<(f64, f64)> {
    signal(video, "YAVG")
}

/// Per-5 ms RMS level of a file's audio: (time, dBFS).
pub fn loudness(file: &Path) -> Vec<(f64, f64)> {
    let path = file.to_str().expect("utf-8 path");
    frames_of(
        &format!("amovie={path},asetnsamples=n=240,astats=metadata=1:reset=1"),
        "lavfi.astats.Overall.RMS_level",
    )
}

/// Encodes `ms` milliseconds of the lavfi `source` with ffmpeg's `output` arguments into a file
/// with `extension` in a fresh directory (removed when the returned guard is dropped).
fn encode(source: &str, ms: u64, output: &[&str], extension: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new("encode");
    let encoded = dir.0.join(format!("encoded.{extension}"));
    let duration = format!("{}.{:03}", ms / 1000, ms % 1000);
    let mut args = vec!["-f", "lavfi", "-i", source, "-t", &duration];
    args.extend_from_slice(output);
    args.push(encoded.to_str().expect("utf-8 path"));
    ffmpeg(&args);
    (dir, encoded)
}

/// VP8 frames ffmpeg encoded from `source` (a lavfi video source, e.g.
/// `testsrc=size=640x360:rate=25`) for `ms` milliseconds with `filter` applied (or `null`), a key
/// frame every `gop` frames: each frame with its time in milliseconds.
pub fn vp8_frames(source: &str, filter: &str, ms: u64, gop: u32) -> Vec<(u64, Vec<u8>)> {
    let gop = gop.to_string();
    let (_dir, encoded) = encode(
        source,
        ms,
        &[
            "-vf",
            filter,
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "600k",
            "-g",
            &gop,
            "-f",
            "ivf",
        ],
        "ivf",
    );
    let bytes = std::fs::read(&encoded).expect("read encoded");
    let le32 = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let (den, num) = (u64::from(le32(16)), u64::from(le32(20)));
    let mut frames = Vec::new();
    let mut at = 32;
    while at + 12 <= bytes.len() {
        let size = le32(at) as usize;
        let pts = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().expect("8 bytes"));
        frames.push((
            pts * num * 1000 / den,
            bytes[at + 12..at + 12 + size].to_vec(),
        ));
        at += 12 + size;
    }
    frames
}

/// Opus packets of 20 ms (stereo, 48 kHz) ffmpeg encoded from `source` (a lavfi audio source,
/// e.g. `sine=frequency=440`) for `ms` milliseconds with `filter` applied (or `anull`).
pub fn opus_packets(source: &str, filter: &str, ms: u64) -> Vec<Vec<u8>> {
    let (_dir, encoded) = encode(
        source,
        ms,
        &[
            "-af",
            filter,
            "-ar",
            "48000",
            "-ac",
            "2",
            "-c:a",
            "libopus",
            "-b:a",
            "64k",
            "-frame_duration",
            "20",
        ],
        "ogg",
    );
    let file = std::fs::File::open(&encoded).expect("open encoded");
    let mut reader = ogg::PacketReader::new(std::io::BufReader::new(file));
    let mut packets = Vec::new();
    while let Some(p) = reader.read_packet().expect("read ogg") {
        packets.push(p.data);
    }
    // OpusHead and OpusTags are headers, not audio.
    packets.split_off(2)
}

/// What a clip of `ms` milliseconds sends: VP8 frames of `picture` (a lavfi source at 25 fps) with
/// `filter`, a key frame every 10 frames, and 20 ms Opus packets of `sound` with `sound_filter`.
pub fn clip_media(
    picture: &str,
    filter: &str,
    sound: &str,
    sound_filter: &str,
    ms: u64,
) -> (Vec<bytes::Bytes>, Vec<bytes::Bytes>) {
    let video = vp8_frames(picture, filter, ms, 10)
        .into_iter()
        .map(|(_, frame)| frame.into())
        .collect();
    let audio = opus_packets(sound, sound_filter, ms)
        .into_iter()
        .map(Into::into)
        .collect();
    (video, audio)
}

/// A dark, still picture and silence for `ms`: a participant who is recorded without being the
/// subject of a check (real VP8 and Opus all the same).
pub fn quiet_media(ms: u64) -> (Vec<bytes::Bytes>, Vec<bytes::Bytes>) {
    clip_media(
        "color=c=0x202020:size=320x240:rate=25",
        "null",
        "anullsrc=r=48000:cl=stereo",
        "anull",
        ms,
    )
}

/// A camera or screen segment file: [`vp8_frames`] of `source`, sent through RTP payloads and
/// written by [`IvfWriter`]. Returns the number of frames written.
pub fn video_file(path: &Path, source: &str, filter: &str, ms: u64) -> usize {
    // RTP as a browser sends it: a random timestamp and sequence base, payloads of at most
    // 1100 bytes, a descriptor with a 15-bit PictureID, the marker on each frame's last packet.
    let ts_base = rand_u64() as u32;
    let mut seq = rand_u64() % 60_000;
    let mut depacketizer = Vp8Depacketizer::default();
    let mut writer = IvfWriter::create(path).expect("create ivf");
    let mut rtp0 = None;
    let mut written = 0;
    let mut picture_id: u16 = 0;
    for (pts_ms, frame) in vp8_frames(source, filter, ms, 120) {
        let ts = ts_base.wrapping_add((pts_ms * 90) as u32);
        let chunks: Vec<&[u8]> = frame.chunks(1100).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let start = if i == 0 { 0x10 } else { 0 };
            let mut payload = vec![
                0x80 | start,
                0x80,
                0x80 | (picture_id >> 8) as u8,
                picture_id as u8,
            ];
            payload.extend_from_slice(chunk);
            let marker = i + 1 == chunks.len();
            if let Some(f) = depacketizer.push(seq, ts, marker, &payload) {
                // As the capture does: a segment starts at a key frame, times relative to it.
                let rtp0 = *rtp0.get_or_insert_with(|| {
                    assert!(f.keyframe, "the first frame is a key frame");
                    f.timestamp
                });
                let pts_ms = u64::from(f.timestamp.wrapping_sub(rtp0) / 90);
                writer.write_frame(pts_ms, &f.data).expect("write frame");
                written += 1;
            }
            seq += 1;
        }
        picture_id = (picture_id + 1) & 0x7fff;
    }
    writer.finish().expect("finish ivf");
    written
}

/// A microphone segment file: [`opus_packets`] of `source`, written by [`OggOpusWriter`] with
/// the granule positions the capture gives them.
pub fn audio_file(path: &Path, source: &str, filter: &str, ms: u64) {
    let mut writer = OggOpusWriter::create(path, 2).expect("create ogg");
    let mut rtp = 0u64;
    for p in opus_packets(source, filter, ms) {
        // As the capture does: granule = RTP time since the first packet plus this one's length.
        let granule = rtp + opus_samples(&p);
        writer.write_packet(granule, &p).expect("write packet");
        rtp += opus_samples(&p);
    }
    writer.finish().expect("finish ogg");
}

/// A segment of the manifest.
pub fn segment(person: u32, kind: TrackKind, file: &str, start_ms: u64, end_ms: u64) -> Segment {
    Segment {
        person,
        kind,
        file: file.to_string(),
        start_ms,
        end_ms,
    }
}

/// A manifest of `names` (keys 1, 2, …) and `segments`.
pub fn manifest(duration_ms: u64, names: &[&str], segments: Vec<Segment>) -> Manifest {
    Manifest {
        duration_ms,
        participants: names
            .iter()
            .zip(1..)
            .map(|(name, key)| Person {
                key,
                name: (*name).to_string(),
            })
            .collect(),
        segments,
        damaged: false,
    }
}

/// A meeting in `raw`: each of `names` with camera (640x360, 25 fps) and microphone for the whole
/// `duration_ms`, and the first one sharing a screen (1280x720, 5 fps) from `screen_from_ms` on.
pub fn meeting(raw: &Path, names: &[&str], duration_ms: u64, screen_from_ms: u64) -> Manifest {
    let pictures = [
        "testsrc",
        "testsrc2",
        "smptehdbars",
        "rgbtestsrc",
        "yuvtestsrc",
    ];
    let mut segments = Vec::new();
    for (i, key) in (1..=names.len() as u32).enumerate() {
        let camera = format!("{key}-camera-{}.ivf", 2 * key - 1);
        let source = format!("{}=size=640x360:rate=25", pictures[i % pictures.len()]);
        video_file(&raw.join(&camera), &source, "null", duration_ms);
        segments.push(segment(key, TrackKind::Video, &camera, 0, duration_ms));
        let mic = format!("{key}-audio-{}.ogg", 2 * key);
        let tone = format!("sine=frequency={}:sample_rate=48000", 220 * key);
        audio_file(&raw.join(&mic), &tone, "volume=0.2", duration_ms);
        segments.push(segment(key, TrackKind::Audio, &mic, 0, duration_ms));
    }
    let screen = "1-screen-99.ivf";
    video_file(
        &raw.join(screen),
        "testsrc2=size=1280x720:rate=5",
        "null",
        duration_ms - screen_from_ms,
    );
    segments.push(segment(
        1,
        TrackKind::Screen,
        screen,
        screen_from_ms,
        duration_ms,
    ));
    manifest(duration_ms, names, segments)
}
