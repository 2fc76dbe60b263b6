//! The capture task: turns what the room hands over while capture runs into segment files, and,
//! when the recording stops, into the manifest, `chat.txt` and `consent.json`.
//!
//! It runs on a blocking thread of its own (it writes files), reading the bounded channel of
//! [`CaptureMsg`]. Time is *capture time*: the milliseconds during which capture ran, paused spans
//! cut out, so the manifest's timeline is the output's.
//!
//! Invariants:
//! - A segment is one continuous run of one track: it opens at its first usable packet (video: its
//!   first keyframe, so every video segment starts with a picture) and closes when the track ends,
//!   capture pauses, the publisher's stream restarts (a new SSRC) or the recording stops.
//! - Within a segment, times come from RTP timestamps relative to its first packet; its place on
//!   the timeline from the wall clock at that packet.
//! - File names carry participant keys and track kinds, never names. Names are in the manifest,
//!   `chat.txt` and `consent.json` only, inside the recording folder (0600).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use treff_shared::TrackKind;

use super::capture::{CaptureMsg, CapturedPacket};
use super::manifest::{Manifest, Person, Segment};
use super::store::write_private;
use super::tracks::{IvfWriter, OggOpusWriter, Vp8Depacketizer, opus_samples};
use crate::room::ConsentRecord;

const VIDEO_CLOCK_PER_MS: u32 = 90;

/// What a finished capture left behind: the manifest, already written into the raw folder.
pub struct Captured {
    /// The manifest.
    pub manifest: Manifest,
}

/// Reads `rx` until the recording stops (or the room is gone), writing segments into `raw_dir`
/// and the chat text and consent record into `recording_dir`. Blocking: run it on a blocking thread.
pub fn run(
    mut rx: mpsc::Receiver<CaptureMsg>,
    raw_dir: &Path,
    recording_dir: &Path,
    damaged: Arc<AtomicBool>,
) -> std::io::Result<Captured> {
    let mut capture = Capture::new(raw_dir);
    let mut chat = String::new();
    let mut consent = None;
    while let Some(msg) = rx.blocking_recv() {
        match msg {
            CaptureMsg::Resume { at } => capture.resume(at),
            CaptureMsg::Pause { at } => capture.pause(at),
            CaptureMsg::Person { key, name } => capture.person(key, name),
            CaptureMsg::TrackEnded { key, kind, at } => capture.end_segment(key, kind, at),
            CaptureMsg::Rtp(packet) => capture.packet(&packet),
            CaptureMsg::Chat {
                sent_at_ms,
                name,
                text,
            } => {
                chat.push_str(&format!("{}  {name}: {text}\n", iso_time(sent_at_ms)));
            }
            CaptureMsg::Stop {
                at,
                consent: record,
            } => {
                capture.stop(at);
                consent = Some(record);
                break;
            }
        }
    }
    let mut manifest = capture.finish();
    manifest.damaged = damaged.load(Ordering::Relaxed);
    let json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
    write_private(&raw_dir.join("manifest.json"), &json)?;
    write_private(&recording_dir.join("chat.txt"), chat.as_bytes())?;
    let record = consent_json(&consent.unwrap_or_default(), &manifest);
    write_private(&recording_dir.join("consent.json"), record.as_bytes())?;
    Ok(Captured { manifest })
}

/// The segments of a capture as they are written.
struct Capture {
    dir: PathBuf,
    /// Since when capture runs, if it runs.
    running_since: Option<Instant>,
    /// Capture time of all closed spans.
    captured: Duration,
    persons: Vec<Person>,
    open: HashMap<(u32, TrackKind), Open>,
    /// Frame assembly of each video track.
    vp8: HashMap<(u32, TrackKind), Vp8Depacketizer>,
    done: Vec<Segment>,
    /// Segment files made so far (numbers the file names).
    files: u32,
}

struct Open {
    segment: Segment,
    ssrc: u32,
    /// RTP timestamp of the segment's first frame.
    rtp0: u32,
    writer: Writer,
}

enum Writer {
    Video(IvfWriter),
    Audio(OggOpusWriter),
}

impl Capture {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            running_since: None,
            captured: Duration::ZERO,
            persons: Vec::new(),
            open: HashMap::new(),
            vp8: HashMap::new(),
            done: Vec::new(),
            files: 0,
        }
    }

    /// Capture time at `at`, in milliseconds.
    fn ms(&self, at: Instant) -> u64 {
        let running = self
            .running_since
            .map_or(Duration::ZERO, |since| at.saturating_duration_since(since));
        u64::try_from((self.captured + running).as_millis()).unwrap_or(u64::MAX)
    }

    fn resume(&mut self, at: Instant) {
        if self.running_since.is_none() {
            self.running_since = Some(at);
        }
    }

    fn pause(&mut self, at: Instant) {
        self.close_all(at);
        if let Some(since) = self.running_since.take() {
            self.captured += at.saturating_duration_since(since);
        }
    }

    fn stop(&mut self, at: Instant) {
        self.pause(at);
    }

    fn person(&mut self, key: u32, name: String) {
        match self.persons.iter_mut().find(|p| p.key == key) {
            Some(p) => p.name = name,
            None => self.persons.push(Person { key, name }),
        }
    }

    fn packet(&mut self, p: &CapturedPacket) {
        if self.running_since.is_none() {
            return;
        }
        let key = (p.key, p.kind);
        if self.open.get(&key).is_some_and(|o| o.ssrc != p.ssrc) {
            self.end_segment(p.key, p.kind, p.at);
        }
        let video = p.kind != TrackKind::Audio;
        if video {
            self.video_packet(p);
        } else {
            self.audio_packet(p);
        }
    }

    fn video_packet(&mut self, p: &CapturedPacket) {
        let key = (p.key, p.kind);
        let frame = self
            .vp8
            .entry(key)
            .or_default()
            .push(p.seq, p.timestamp, p.marker, &p.payload);
        let Some(frame) = frame else {
            return;
        };
        if !self.open.contains_key(&key) {
            // A video segment starts at a keyframe, so it starts with a picture.
            if !frame.keyframe {
                return;
            }
            let Some(writer) =
                self.new_file(p, "ivf", |path| IvfWriter::create(path).map(Writer::Video))
            else {
                return;
            };
            self.open_segment(p, frame.timestamp, writer);
        }
        let Some(open) = self.open.get_mut(&key) else {
            return;
        };
        let pts = u64::from(frame.timestamp.wrapping_sub(open.rtp0) / VIDEO_CLOCK_PER_MS);
        if let Writer::Video(ivf) = &mut open.writer
            && ivf.write_frame(pts, &frame.data).is_err()
        {
            self.end_segment(p.key, p.kind, p.at);
        }
    }

    fn audio_packet(&mut self, p: &CapturedPacket) {
        let key = (p.key, p.kind);
        if !self.open.contains_key(&key) {
            let Some(writer) = self.new_file(p, "ogg", |path| {
                OggOpusWriter::create(path, 2).map(Writer::Audio)
            }) else {
                return;
            };
            self.open_segment(p, p.timestamp, writer);
        }
        let Some(open) = self.open.get_mut(&key) else {
            return;
        };
        let start = u64::from(p.timestamp.wrapping_sub(open.rtp0));
        let granule = start + opus_samples(&p.payload);
        if let Writer::Audio(ogg) = &mut open.writer
            && ogg.write_packet(granule, &p.payload).is_err()
        {
            self.end_segment(p.key, p.kind, p.at);
        }
    }

    /// Creates the next segment file for `p`'s track; a failure leaves the track out (logged once
    /// per file, without the path).
    fn new_file(
        &mut self,
        p: &CapturedPacket,
        extension: &str,
        create: impl FnOnce(&Path) -> std::io::Result<Writer>,
    ) -> Option<(String, Writer)> {
        self.files += 1;
        let kind = match p.kind {
            TrackKind::Audio => "audio",
            TrackKind::Video => "camera",
            TrackKind::Screen => "screen",
        };
        let file = format!("{}-{kind}-{}.{extension}", p.key, self.files);
        match create(&self.dir.join(&file)) {
            Ok(writer) => Some((file, writer)),
            Err(e) => {
                tracing::error!(error = %e, "a recording segment could not be created");
                None
            }
        }
    }

    fn open_segment(&mut self, p: &CapturedPacket, rtp0: u32, (file, writer): (String, Writer)) {
        let start_ms = self.ms(p.at);
        self.open.insert(
            (p.key, p.kind),
            Open {
                segment: Segment {
                    person: p.key,
                    kind: p.kind,
                    file,
                    start_ms,
                    end_ms: start_ms,
                },
                ssrc: p.ssrc,
                rtp0,
                writer,
            },
        );
    }

    fn end_segment(&mut self, key: u32, kind: TrackKind, at: Instant) {
        let end_ms = self.ms(at);
        if let Some(open) = self.open.remove(&(key, kind)) {
            self.close(open, end_ms);
        }
        self.vp8.remove(&(key, kind));
    }

    fn close_all(&mut self, at: Instant) {
        let end_ms = self.ms(at);
        let open: Vec<Open> = self.open.drain().map(|(_, o)| o).collect();
        for o in open {
            self.close(o, end_ms);
        }
        self.vp8.clear();
    }

    fn close(&mut self, open: Open, end_ms: u64) {
        let finished = match open.writer {
            Writer::Video(ivf) => ivf.finish(),
            Writer::Audio(ogg) => ogg.finish(),
        };
        if let Err(e) = finished {
            tracing::error!(error = %e, "a recording segment could not be finished");
            return;
        }
        let mut segment = open.segment;
        segment.end_ms = end_ms.max(segment.start_ms);
        self.done.push(segment);
    }

    fn finish(mut self) -> Manifest {
        self.done.sort_by_key(|s| s.start_ms);
        let used: Vec<u32> = self.done.iter().map(|s| s.person).collect();
        Manifest {
            duration_ms: u64::try_from(self.captured.as_millis()).unwrap_or(u64::MAX),
            participants: self
                .persons
                .into_iter()
                .filter(|p| used.contains(&p.key))
                .collect(),
            segments: self.done,
            damaged: false,
        }
    }
}

/// The consent record as `consent.json`: the record itself, with readable times beside the
/// millisecond ones, and the capture spans on the output's timeline.
fn consent_json(record: &ConsentRecord, manifest: &Manifest) -> String {
    let events: Vec<serde_json::Value> = record
        .events
        .iter()
        .map(|e| {
            serde_json::json!({
                "time": iso_time(e.at_ms),
                "at_ms": e.at_ms,
                "name": e.name,
                "event": e.event,
            })
        })
        .collect();
    let capture: Vec<serde_json::Value> = record
        .capture
        .iter()
        .map(|s| {
            serde_json::json!({
                "from": iso_time(s.start_ms),
                "to": s.end_ms.map(iso_time),
                "start_ms": s.start_ms,
                "end_ms": s.end_ms,
            })
        })
        .collect();
    let json = serde_json::json!({
        "proposed": iso_time(record.proposed_at_ms),
        "stopped": record.stopped_at_ms.map(iso_time),
        "rule": "captured only while every participant present had said yes",
        "events": events,
        "capture": capture,
        "duration_ms": manifest.duration_ms,
        "damaged": manifest.damaged,
    });
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

/// RFC 3339 UTC time of `ms` since the Unix epoch.
fn iso_time(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
