//! Recordings: the raw capture of a meeting while everyone present consents, the output job that
//! turns it into MP4, M4A and chat text with ffmpeg, and the finished recordings on disk (R5, R6).
//!
//! Layout:
//! - [`capture`]: what the room hands to a capture while it runs, over a bounded channel.
//! - [`manifest`]: what a raw capture consists of (the contract between capture and output).
//! - [`raw`]: the capture task: segment files, manifest, chat text and consent record.
//! - [`jobs`]: the recordings service: starts captures, runs output jobs one at a time.
//! - [`store`]: recordings on disk (layout, state, retention sweep).
//! - [`tracks`]: the track files of a raw capture: VP8 reassembly, IVF and Ogg Opus writers.
//! - [`layout`]: where each tile goes in the output video, scene by scene (pure).
//! - [`output`]: the output job's rendering: the ffmpeg filter graph, the run and its progress.

pub mod capture;
pub mod jobs;
pub mod layout;
pub mod manifest;
pub mod output;
pub mod raw;
pub mod store;
pub mod tracks;
