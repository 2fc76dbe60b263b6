//! The recordings service: starts a capture when a room proposes a recording, and turns each
//! stopped capture into its output files, one job at a time, in the background.
//!
//! Invariants:
//! - One output job runs at a time (ffmpeg at low priority, see `output`): a server that records
//!   several meetings does not let their encoders fight the SFU for the CPU.
//! - A job always ends with the raw tracks removed: after the output exists, or after it failed
//!   (then the recording is marked failed and its moderators are told).
//! - A capture that never ran (someone never said yes) leaves nothing: its folder, chat text and
//!   consent record included, is deleted at once and the moderators are told it was discarded.
//! - Progress goes to the room's moderators while the room lasts; afterwards the recordings list
//!   shows the result.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::mpsc;
use treff_shared::{JobState, RoomId};

use super::capture::{CaptureHandle, JobNotifier, Recorder};
use super::manifest::Manifest;
use super::output;
use super::raw;
use super::store::{RAW_DIR, Status, Store, summary};
use crate::metrics::{InState, Metrics};

/// The name of a capture's thread.
pub const CAPTURE_THREAD: &str = "treff-capture";

/// A stopped capture waiting to be turned into output.
struct Job {
    id: String,
    dir: PathBuf,
    manifest: Manifest,
    notify: JobNotifier,
    /// Counts the job under its state in `/metrics`.
    state: InState,
}

/// Starts captures and queues their output jobs. Cheap to clone.
#[derive(Clone)]
pub struct Recordings {
    store: Arc<Store>,
    jobs: mpsc::UnboundedSender<Job>,
    metrics: Metrics,
}

impl Recordings {
    /// The service over `store`, counting its jobs in `metrics`; spawns the job worker on the
    /// current runtime.
    pub fn new(store: Arc<Store>, metrics: Metrics) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(work(queue, metrics.clone()));
        Self {
            store,
            jobs,
            metrics,
        }
    }
}

impl Recorder for Recordings {
    fn start(
        &self,
        room: &RoomId,
        notify: JobNotifier,
    ) -> std::io::Result<(String, CaptureHandle)> {
        let (id, raw_dir) = self.store.create(room, SystemTime::now())?;
        let dir = raw_dir
            .parent()
            .map(PathBuf::from)
            .ok_or_else(|| std::io::Error::other("a raw folder has a recording folder"))?;
        let (handle, rx) = CaptureHandle::channel();
        let damaged = handle.damaged_flag();
        let jobs = self.jobs.clone();
        let job_id = id.clone();
        let (store, room) = (self.store.clone(), room.clone());
        let metrics = self.metrics.clone();
        let mut state = metrics.recording_job();
        tokio::spawn(async move {
            let capture_dir = dir.clone();
            // A thread of its own, named, so that its CPU time can be told apart from the
            // forwarding's (the load bench's recorded rows do).
            let (done, captured) = tokio::sync::oneshot::channel();
            let spawned = std::thread::Builder::new()
                .name(CAPTURE_THREAD.into())
                .spawn(move || {
                    let _ = done.send(raw::run(
                        rx,
                        &capture_dir.join(RAW_DIR),
                        &capture_dir,
                        damaged,
                    ));
                });
            let captured = match spawned {
                Ok(_) => captured.await,
                Err(e) => Ok(Err(e)),
            };
            match captured {
                Ok(Ok(captured)) if captured.manifest.duration_ms == 0 => {
                    if let Err(e) = store.delete(&room, &job_id) {
                        tracing::warn!(error = %e, "a recording that captured nothing could not be deleted");
                    }
                    tracing::info!("a recording captured nothing and was discarded");
                    drop(state);
                    metrics.recording_ended("discarded");
                    notify(job_id, JobState::Discarded);
                }
                Ok(Ok(captured)) => {
                    state.enter("queued");
                    notify(job_id.clone(), JobState::Queued);
                    let job = Job {
                        id: job_id,
                        dir,
                        manifest: captured.manifest,
                        notify,
                        state,
                    };
                    // The worker lives as long as the server; a send fails only at shutdown,
                    // and then the start-up sweep of the next run cleans up.
                    let _ = jobs.send(job);
                }
                _ => {
                    let outcome = fail(&dir, &job_id, &notify, "the capture could not be written");
                    drop(state);
                    metrics.recording_ended(outcome);
                }
            }
        });
        Ok((id, handle))
    }
}

/// Runs the queued jobs, one at a time.
async fn work(mut queue: mpsc::UnboundedReceiver<Job>, metrics: Metrics) {
    while let Some(job) = queue.recv().await {
        let Job {
            id,
            dir,
            manifest,
            notify,
            mut state,
        } = job;
        state.enter("processing");
        let notify = Arc::new(notify);
        notify(id.clone(), JobState::Processing { percent: 0 });
        let _ = Store::update(&dir, |m| m.status = Status::Processing);
        let progress = notify.clone();
        let progress_id = id.clone();
        let job_dir = dir.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            let mut last = 0;
            output::render(&job_dir.join(RAW_DIR), &manifest, &job_dir, |percent| {
                if percent > last {
                    last = percent;
                    progress(progress_id.clone(), JobState::Processing { percent });
                }
            })
            .map(|rendered| (rendered, manifest.damaged))
        })
        .await;
        let _ = std::fs::remove_dir_all(dir.join(RAW_DIR));
        let outcome = match rendered {
            Ok(Ok((rendered, damaged))) => {
                let updated = Store::update(&dir, |m| {
                    m.status = Status::Done;
                    m.duration_ms = rendered.duration_ms;
                    m.damaged = damaged;
                });
                let summary = updated.ok().and_then(|_| summary(&dir, &id));
                tracing::info!(duration_ms = rendered.duration_ms, "a recording is ready");
                match summary {
                    Some(recording) => {
                        notify(id, JobState::Done { recording });
                        "done"
                    }
                    None => fail(
                        &dir,
                        &id,
                        &notify,
                        "the recording's files could not be listed",
                    ),
                }
            }
            Ok(Err(e)) => fail(&dir, &id, &notify, e.reason()),
            Err(_) => fail(&dir, &id, &notify, "the output job stopped unexpectedly"),
        };
        drop(state);
        metrics.recording_ended(outcome);
    }
}

/// Marks a recording failed, removes its raw tracks, and says so. `reason` goes to the log and the
/// moderators: a fixed sentence, never a path or ffmpeg's output. Returns the job's outcome,
/// "failed".
fn fail(dir: &std::path::Path, id: &str, notify: &JobNotifier, reason: &str) -> &'static str {
    let _ = std::fs::remove_dir_all(dir.join(RAW_DIR));
    let _ = Store::update(dir, |m| m.status = Status::Failed);
    tracing::warn!(%reason, "a recording failed");
    notify(
        id.to_owned(),
        JobState::Failed {
            reason: reason.to_owned(),
        },
    );
    "failed"
}
