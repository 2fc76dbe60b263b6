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

/// A camera or screen segment file: `source` (a lavfi video source, e.g.
/// `testsrc=size=640x360:rate=25`) for `ms` milliseconds, with `filter` applied (or `null`),
/// encoded to VP8, sent through RTP payloads and written by [`IvfWriter`]. Returns the number of
/// frames written.
pub fn video_file(path: &Path, source: &str, filter: &str, ms: u64) -> usize {
    let encoded = path.with_extension("ffmpeg.ivf");
    let duration = format!("{}.{:03}", ms / 1000, ms % 1000);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-t",
        &duration,
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
        "120",
        "-f",
        "ivf",
        encoded.to_str().expect("utf-8 path"),
    ]);
    let bytes = std::fs::read(&encoded).expect("read encoded");
    std::fs::remove_file(&encoded).expect("remove encoded");
    let den = u64::from(u32::from_le_bytes(
        bytes[16..20].try_into().expect("4 bytes"),
    ));
    let num = u64::from(u32::from_le_bytes(
        bytes[20..24].try_into().expect("4 bytes"),
    ));

    // RTP as a browser sends it: a random timestamp and sequence base, payloads of at most
    // 1100 bytes, a descriptor with a 15-bit PictureID, the marker on each frame's last packet.
    let ts_base = rand_u64() as u32;
    let mut seq = rand_u64() % 60_000;
    let mut depacketizer = Vp8Depacketizer::default();
    let mut writer = IvfWriter::create(path).expect("create ivf");
    let mut rtp0 = None;
    let mut written = 0;
    let mut at = 32;
    let mut picture_id: u16 = 0;
    while at + 12 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let pts = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().expect("8 bytes"));
        let frame = &bytes[at + 12..at + 12 + size];
        at += 12 + size;
        let ts = ts_base.wrapping_add((pts * num * 90_000 / den) as u32);
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

/// A microphone segment file: `source` (a lavfi audio source, e.g. `sine=frequency=440`) for
/// `ms` milliseconds with `filter` applied (or `anull`), encoded to Opus in 20 ms packets and
/// written by [`OggOpusWriter`] with the granule positions the capture gives them.
pub fn audio_file(path: &Path, source: &str, filter: &str, ms: u64) {
    let encoded = path.with_extension("ffmpeg.ogg");
    let duration = format!("{}.{:03}", ms / 1000, ms % 1000);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-t",
        &duration,
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
        encoded.to_str().expect("utf-8 path"),
    ]);
    let file = std::fs::File::open(&encoded).expect("open encoded");
    let mut reader = ogg::PacketReader::new(std::io::BufReader::new(file));
    let mut writer = OggOpusWriter::create(path, 2).expect("create ogg");
    let mut packets = 0;
    let mut rtp = 0u64;
    while let Some(p) = reader.read_packet().expect("read ogg") {
        packets += 1;
        if packets <= 2 {
            continue; // OpusHead, OpusTags
        }
        // As the capture does: granule = RTP time since the first packet plus this one's length.
        let granule = rtp + opus_samples(&p.data);
        writer.write_packet(granule, &p.data).expect("write packet");
        rtp += opus_samples(&p.data);
    }
    writer.finish().expect("finish ogg");
    std::fs::remove_file(&encoded).expect("remove encoded");
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
