//! The room's side of a capture: what it hands to the capture task while capture runs, over a
//! bounded channel, so that writing files never stalls forwarding.
//!
//! Invariants:
//! - The room sends media and chat only while capture runs (every present participant said yes);
//!   while paused it sends nothing but the pause and resume marks. So nothing of anyone is written
//!   before their yes, and nothing of a paused span.
//! - The channel is bounded. When it is full (the disk cannot keep up), the message is dropped and
//!   the recording is marked damaged; the meeting goes on untouched.
//! - Names travel only to the capture task (for the tiles of the video, the chat text and the
//!   consent record), never to a log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::mpsc;
use treff_shared::TrackKind;

use crate::room::ConsentRecord;

/// Messages a capture's channel holds at most: about 2 s of a full room's media.
pub const CAPTURE_QUEUE: usize = 8192;

/// What the room tells the capture task.
#[derive(Debug)]
pub enum CaptureMsg {
    /// Capture runs from `at` on (the first time, or after a pause).
    Resume {
        /// When.
        at: Instant,
    },
    /// Capture pauses at `at`: every segment ends there, the span is cut from the output.
    Pause {
        /// When.
        at: Instant,
    },
    /// Someone's media may follow: their key and their name for the recording.
    Person {
        /// The key [`CaptureMsg::Rtp`] uses (the participant id's number).
        key: u32,
        /// Their display name now.
        name: String,
    },
    /// A track stopped for now (device off, or its owner left): its segment ends.
    TrackEnded {
        /// Whose.
        key: u32,
        /// Which.
        kind: TrackKind,
        /// When.
        at: Instant,
    },
    /// A packet the SFU forwarded while capture runs.
    Rtp(CapturedPacket),
    /// A chat message to everyone, sent while capture runs.
    Chat {
        /// Server time of sending, ms since the Unix epoch.
        sent_at_ms: u64,
        /// The sender's name.
        name: String,
        /// The text (and an attachment's name, if any: the file itself is not recorded).
        text: String,
    },
    /// The recording stopped at `at`: close the files and hand them to the output job.
    Stop {
        /// When.
        at: Instant,
        /// Who consented when, for `consent.json`.
        consent: ConsentRecord,
    },
}

/// One RTP packet of one track, as the capture needs it.
#[derive(Debug)]
pub struct CapturedPacket {
    /// Whose ([`CaptureMsg::Person`]).
    pub key: u32,
    /// Which track.
    pub kind: TrackKind,
    /// The publisher's SSRC (a new one starts a new stream, so a new segment).
    pub ssrc: u32,
    /// Extended sequence number.
    pub seq: u64,
    /// RTP timestamp.
    pub timestamp: u32,
    /// RTP marker bit (the last packet of a video frame).
    pub marker: bool,
    /// The payload (shared with the forwarded copies, not copied).
    pub payload: Arc<[u8]>,
    /// When it arrived.
    pub at: Instant,
}

/// Starts captures: the recordings service, or a test's stand-in that keeps the receiving end.
pub trait Recorder: Send + Sync {
    /// Starts the capture of a new recording of `room`; `notify` hears how its output job goes.
    /// Returns the recording's id and the handle the room sends to.
    fn start(
        &self,
        room: &treff_shared::RoomId,
        notify: JobNotifier,
    ) -> std::io::Result<(String, CaptureHandle)>;
}

/// Where the output job reports its progress, with the recording's id (the room passes it on to
/// its moderators while it lasts).
pub type JobNotifier = Box<dyn Fn(String, treff_shared::JobState) + Send + Sync>;

/// The room's handle on a running capture.
#[derive(Debug, Clone)]
pub struct CaptureHandle {
    tx: mpsc::Sender<CaptureMsg>,
    damaged: Arc<AtomicBool>,
}

impl CaptureHandle {
    /// A handle and the receiving end the capture task (or a test) reads.
    pub fn channel() -> (Self, mpsc::Receiver<CaptureMsg>) {
        let (tx, rx) = mpsc::channel(CAPTURE_QUEUE);
        let handle = Self {
            tx,
            damaged: Arc::default(),
        };
        (handle, rx)
    }

    /// Hands a message over without waiting; a full queue marks the recording damaged.
    pub fn send(&self, msg: CaptureMsg) {
        if self.tx.try_send(msg).is_err() && !self.damaged.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the recording cannot keep up and is marked damaged; the meeting goes on"
            );
        }
    }

    /// Sends the final message: waits for room in the queue (on a task of its own, so the room does
    /// not wait), because without it the capture is never turned into files.
    pub fn finish(self, msg: CaptureMsg) {
        tokio::spawn(async move {
            // The capture task is gone only if it failed; it said so then.
            let _ = self.tx.send(msg).await;
        });
    }

    /// Whether something was lost on the way to the capture task.
    pub fn is_damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// The flag the capture task reads when it writes the manifest.
    pub fn damaged_flag(&self) -> Arc<AtomicBool> {
        self.damaged.clone()
    }
}
