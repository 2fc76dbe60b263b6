//! What a stopped recording's raw capture consists of: the contract between the capture (which
//! writes it) and the output job (which reads it). Stored as `manifest.json` in the recording's raw
//! directory, next to the segment files.
//!
//! The output timeline is *capture time*: milliseconds of capture since the first capture started,
//! with paused spans cut out. A segment is one continuous run of one track (a microphone, a camera
//! or a screen) within the capture: it ends when the device goes off, capture pauses, or its owner
//! leaves, and a new one starts when it comes back. Within a segment, frame times come from RTP and
//! are relative to the segment's start; the segment's place on the timeline comes from the wall
//! clock at its first packet.

use serde::{Deserialize, Serialize};
use treff_shared::TrackKind;

/// The raw capture of one recording.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Length of the output: all capture spans together, in milliseconds.
    pub duration_ms: u64,
    /// Everyone whose media was captured, in order of first appearance.
    pub participants: Vec<Person>,
    /// The segment files, in the order they started.
    pub segments: Vec<Segment>,
    /// The capture was damaged (the disk could not keep up and packets were lost); the output is
    /// made all the same and marked.
    #[serde(default)]
    pub damaged: bool,
}

/// A participant as the recording names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Index used by [`Segment::person`].
    pub key: u32,
    /// Display name (drawn under their camera in the video).
    pub name: String,
}

/// One continuous run of one track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Whose track ([`Person::key`]).
    pub person: u32,
    /// Microphone (Ogg Opus file), camera or screen (IVF, VP8).
    pub kind: TrackKind,
    /// File name inside the raw directory.
    pub file: String,
    /// Where it starts on the output timeline, in milliseconds.
    pub start_ms: u64,
    /// Where it ends on the output timeline, in milliseconds.
    pub end_ms: u64,
}
