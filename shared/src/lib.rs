//! Treff's wire protocol and the types both sides need.
//!
//! Layout:
//! - [`ids`]: the id newtypes (`RoomId`, `ParticipantId`) and their validation.
//! - [`protocol`]: `ClientMsg` and `ServerMsg`, one serde enum per direction, plus close and error codes.
//! - [`attachment`]: the HTTP API of chat attachments (paths, headers, file-name hygiene).
//! - [`meeting`]: the HTTP API that creates meetings (and their moderator keys).
//! - [`limits`]: every limit of the system in one `Limits` struct, each default with its reason.
//! - [`recording`]: consent to a recording, its state, its output job and the recordings API.
//! - [`privacy`]: the session log's entries, the "My data" answer (R7, R10) and the operator's part of
//!   the privacy notice.
//!
//! This crate does no I/O, so the browser (wasm) and the server compile the very same definitions.
//! Conventions (see DESIGN.md): variants and fields are added and deprecated, never reused; the first
//! client message is `Hello`; the server stamps identity, never trusting a client's claim of it.

pub mod attachment;
pub mod ids;
pub mod limits;
pub mod meeting;
pub mod privacy;
pub mod protocol;
pub mod recording;

pub use attachment::{ApiError, Attachment, sanitize_file_name};
pub use ids::{AttachmentId, HttpToken, MessageId, ParticipantId, RoomId, RoomIdError};
pub use limits::Limits;
pub use privacy::{LogEntry, LogEvent, MyData, PrivacyNotice};
pub use protocol::{
    CAMERA_WIDTH, ChatMessage, ClientMsg, DeletionReceipt, ErrorCode, IceServer, Layer,
    ModeratorAction, PROTOCOL_VERSION, ParticipantInfo, PublishMids, Reaction, RemoteTrack,
    RoomSettings, SCREEN_MAX_BITRATE, ServerMsg, TileSize, TrackKind, close_code, grid_shape,
};
pub use recording::{
    Consent, ConsentAnswer, JobState, RecordingAction, RecordingEvent, RecordingFile,
    RecordingState, RecordingSummary,
};
