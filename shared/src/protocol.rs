//! The signalling protocol between browser and server, carried as JSON text over `/ws`.
//!
//! Session: the client sends `Hello`; the server answers `Welcome` with the version it speaks, or
//! closes with [`close_code::UNSUPPORTED_PROTOCOL`]. Then `Join`; the server answers `Joined` and tells
//! everyone else `ParticipantJoined`. Media is negotiated with the server always the offerer: it sends
//! `Offer` whenever the set of tracks changes and the client replies `Answer`, so there is never glare.
//! ICE travels inside the SDP: the server is ICE-lite and learns the client's address from the client's
//! own connectivity checks, so the browser never needs to reveal its candidate addresses.
//!
//! Errors: a protocol error (malformed JSON, wrong order, oversized message) closes the socket with a
//! code from [`close_code`]; a user error (full room, bad name) is a `ServerMsg::Error` and the socket
//! stays open.

use crate::attachment::Attachment;
use crate::ids::{AttachmentId, HttpToken, MessageId, ParticipantId, RoomId};
use crate::privacy::MyData;
use crate::recording::{Consent, JobState, RecordingAction, RecordingEvent, RecordingState};
use serde::{Deserialize, Serialize};

/// The protocol version this build speaks. Bumped only for incompatible changes.
pub const PROTOCOL_VERSION: u32 = 1;

/// Messages from the browser to the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum ClientMsg {
    /// First message on every socket: the protocol version the client speaks.
    Hello {
        /// Must equal the server's [`PROTOCOL_VERSION`].
        protocol: u32,
    },
    /// Enter a room under a display name, with the initial state of mic and camera.
    Join {
        /// The meeting id from the link.
        room: RoomId,
        /// The name the participant chose (R2); trimmed and checked by `Limits::check_name`.
        name: String,
        /// Whether the microphone is on when entering.
        mic: bool,
        /// Whether the camera is on when entering.
        cam: bool,
        /// The secret from a moderator link (its URL fragment, so never in a request line): makes
        /// this participant a moderator, past lock, lobby and password.
        #[serde(default)]
        moderator_key: Option<String>,
        /// The meeting password, if the moderator set one.
        #[serde(default)]
        password: Option<String>,
    },
    /// Come back as the same participant after the socket dropped, within
    /// `Limits::resume_window_ms`: instead of `Join`, on a new socket after `Hello`. The server
    /// answers `Joined` (same id, the state as it is now, a fresh resume secret) and offers media
    /// again with an ICE restart; or `Error` with `ResumeRefused`, and the client joins anew.
    Resume {
        /// The meeting id.
        room: RoomId,
        /// The id from the last `Joined`.
        id: ParticipantId,
        /// The resume secret from the last `Joined` (held in memory only, never stored).
        secret: String,
    },
    /// The client's SDP answer to the server's latest `Offer`.
    Answer {
        /// The SDP text of the browser's local description.
        sdp: String,
    },
    /// The participant switched their own microphone or camera (R4: always in their own hand).
    SetMedia {
        /// Microphone on.
        mic: bool,
        /// Camera on.
        cam: bool,
        /// Sharing the screen (the presentation m-line carries it).
        #[serde(default)]
        screen: bool,
    },
    /// Leave the room; the server closes the socket after this. If this participant was the last one,
    /// the conference ends at once (a disconnect instead waits `Limits::empty_room_grace_ms`).
    Leave,
    /// A chat message to everyone, or privately to one participant (R3).
    Chat {
        /// The text; checked with `Limits::check_chat_text`. May be empty when a file is attached.
        text: String,
        /// `None` for everyone, or the one participant who gets it privately.
        #[serde(default)]
        to: Option<ParticipantId>,
        /// A file this participant uploaded beforehand and not yet sent.
        #[serde(default)]
        attachment: Option<AttachmentId>,
    },
    /// Raise or lower this participant's hand.
    RaiseHand {
        /// Raised.
        raised: bool,
    },
    /// A short-lived reaction everyone sees for a moment.
    React {
        /// Which one (a fixed set: no free text travels this way).
        reaction: Reaction,
    },
    /// A moderator's action; refused with `ErrorCode::NotModerator` from anyone else.
    Moderate {
        /// What to do.
        action: ModeratorAction,
    },
    /// A moderator proposes or stops a recording; refused with `ErrorCode::NotModerator` from
    /// anyone else.
    Recording {
        /// What to do.
        action: RecordingAction,
    },
    /// This participant's own answer about being recorded: to a proposal, as a newcomer, or a
    /// withdrawal (`No` after `Yes`). Nobody can answer for anyone else (R5).
    Consent {
        /// Yes or no.
        consent: Consent,
    },
    /// "My data" (R10): what the server holds about this participant right now. Answered with
    /// `ServerMsg::MyData`, about the asking participant only.
    MyData,
    /// Change this participant's display name (R2; rectification, R10). Checked like the name at
    /// `Join`; everyone sees the new name at once, on the tile and on the past messages.
    Rename {
        /// The new name.
        name: String,
    },
    /// Erase one of this participant's own chat messages for everyone (R10): it goes from every
    /// view and from the history, and its attached file is deleted from the server at once.
    EraseMessage {
        /// Which message.
        id: MessageId,
    },
    /// The video tiles this client shows now, with their size: the SFU sends each video the
    /// simulcast layer that fits its tile, and nothing for a video whose tile is not shown (not
    /// listed, or of zero size: hidden, scrolled away, the page in the background). Sent when the
    /// layout changes; until the first one, every video comes at the best layer its sender sends.
    Tiles {
        /// At most one entry per track; a client with more than the room can hold is cut off there.
        tiles: Vec<TileSize>,
    },
}

/// One video tile as the client shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileSize {
    /// Whose video.
    pub participant: ParticipantId,
    /// Camera or screen.
    pub kind: TrackKind,
    /// Width on the screen in device pixels (CSS pixels × `devicePixelRatio`); 0 when not shown.
    pub width: u32,
    /// Height likewise.
    pub height: u32,
    /// The tile is shown large (speaker view's featured tile): in a large room its camera is
    /// received whoever spoke last (last-N).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub featured: bool,
}

/// A simulcast layer: browsers send the camera as up to three encodings (RTP stream ids `q`, `h`,
/// `f`), each a quarter, half and the full width of the picture, and the SFU forwards each receiver
/// one of them. A video sent without simulcast (the screen, or a client that sends one encoding)
/// is its [`Layer::High`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// A quarter of the width: 320 × 180 from a 720p camera.
    Low,
    /// Half the width: 640 × 360.
    Medium,
    /// The full picture: 1280 × 720.
    High,
}

impl Layer {
    /// Every layer, lowest first: the order of the rids in the SDP and of the browser's encodings.
    pub const ALL: [Layer; 3] = [Layer::Low, Layer::Medium, Layer::High];

    /// Its RTP stream id (RFC 8851).
    pub fn rid(self) -> &'static str {
        match self {
            Layer::Low => "q",
            Layer::Medium => "h",
            Layer::High => "f",
        }
    }

    /// The layer of a rid, if it is one of ours.
    pub fn from_rid(rid: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.rid() == rid)
    }

    /// By how much the browser scales the camera picture down for it.
    pub fn scale_down(self) -> u32 {
        match self {
            Layer::Low => 4,
            Layer::Medium => 2,
            Layer::High => 1,
        }
    }

    /// The width it has from the 1280-pixel camera picture Treff asks for: the tile width up to
    /// which it is enough.
    pub fn width(self) -> u32 {
        CAMERA_WIDTH / self.scale_down()
    }

    /// The bitrate the browser may spend on it, in bits per second (the encoder's cap; the SFU
    /// plans receivers' downlinks with it). About what Jitsi and LiveKit spend on these sizes.
    pub fn max_bitrate(self) -> u32 {
        match self {
            Layer::Low => 120_000,
            Layer::Medium => 400_000,
            Layer::High => 1_500_000,
        }
    }
}

/// Columns and rows of the UI's tile view for `n` tiles: as square as possible, so 1..=20 tiles fill
/// the screen without scrolling. Landscape screens use `(cols, rows)`, portrait ones the transpose.
/// (The SFU bench reports tiles of this size.)
pub fn grid_shape(n: usize) -> (usize, usize) {
    let n = n.max(1);
    let mut cols = 1;
    while cols * cols < n {
        cols += 1;
    }
    (cols, n.div_ceil(cols))
}

/// The camera width Treff asks the browser for (720p); its layers are derived from it.
pub const CAMERA_WIDTH: u32 = 1280;

/// The bitrate cap of a shared screen, sent as one high-quality encoding (text must stay sharp).
pub const SCREEN_MAX_BITRATE: u32 = 2_500_000;

/// What a moderator can do. Deliberately nothing that turns anyone's microphone or camera on (R4):
/// a moderator can only ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", deny_unknown_fields)]
pub enum ModeratorAction {
    /// Make another participant a moderator too.
    MakeModerator {
        /// Whom.
        id: ParticipantId,
    },
    /// Turn off a participant's microphone.
    Mute {
        /// Whose.
        id: ParticipantId,
    },
    /// Turn off everyone's microphone but the moderator's own.
    MuteAll,
    /// Turn off a participant's camera.
    StopVideo {
        /// Whose.
        id: ParticipantId,
    },
    /// Ask a participant to switch their microphone on; they decide.
    AskToUnmute {
        /// Whom.
        id: ParticipantId,
    },
    /// Remove a participant from the meeting.
    Remove {
        /// Whom.
        id: ParticipantId,
        /// Also refuse them for the rest of this meeting.
        ban: bool,
    },
    /// End the meeting for everyone: the conference ends and everything of it is deleted.
    EndForAll,
    /// Lock or unlock the room: while locked nobody new can join or knock (moderator links excepted).
    SetLock {
        /// Locked.
        locked: bool,
    },
    /// Switch the lobby on or off: while on, newcomers wait until a moderator admits them. Switching
    /// it off admits everyone waiting.
    SetLobby {
        /// On.
        enabled: bool,
    },
    /// Set or clear the meeting password (kept hashed, in memory only).
    SetPassword {
        /// The new password, or `None` for none.
        password: Option<String>,
    },
    /// Let a waiting newcomer in.
    Admit {
        /// The id the newcomer got when knocking.
        id: ParticipantId,
    },
    /// Turn a waiting newcomer away.
    Deny {
        /// The id the newcomer got when knocking.
        id: ParticipantId,
    },
}

/// Messages from the server to the browser.
/// One entry of an RTCPeerConnection's `iceServers`: a TURN server with a short-lived credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IceServer {
    /// `turn:` / `turns:` URLs.
    pub urls: Vec<String>,
    /// `<expiry>:<opaque id>` (the TURN REST convention).
    pub username: String,
    /// base64(HMAC-SHA1(shared secret, username)).
    pub credential: String,
}

///
/// On the wire every message is internally tagged: `{"type": "Joined", ...fields}`. The browser's
/// build (the only wasm32 user of this crate) derives the enum externally tagged instead and its
/// decoder (`frontend/src/json.rs`, `decode_tagged`) moves the tag out of the object first: serde's
/// internally tagged decoder buffers every message in a generic `Content` tree and instantiates each
/// field's decoder for it, which was about 90 kB of the wasm (14 kB after brotli).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), serde(tag = "type"))]
#[serde(deny_unknown_fields)]
pub enum ServerMsg {
    /// Answer to `Hello`: the version the server speaks.
    Welcome {
        /// The server's [`PROTOCOL_VERSION`].
        protocol: u32,
    },
    /// Answer to `Join`: who you are and who is already here (yourself included).
    Joined {
        /// The id the server gave this participant.
        you: ParticipantId,
        /// Everyone in the room, in order of joining, this participant last.
        participants: Vec<ParticipantInfo>,
        /// The conference's chat so far that this participant may see (everything sent to everyone).
        #[serde(default)]
        chat: Vec<ChatMessage>,
        /// The credential for `/api` requests (attachments) while this participant is present.
        token: HttpToken,
        /// Lock, lobby and password state of the room.
        #[serde(default)]
        settings: RoomSettings,
        /// The recording, if one exists: the newcomer is asked at once, and nothing of them is
        /// captured before their yes.
        #[serde(default)]
        recording: Option<RecordingState>,
        /// The secret for `Resume` after a dropped socket; replaced by every `Joined`.
        #[serde(default)]
        resume: String,
        /// How long after a dropped socket `Resume` is accepted, in milliseconds.
        #[serde(default)]
        resume_window_ms: u64,
        /// The operator's TURN server with credentials made for this participant, for the peer
        /// connection's `iceServers`; empty (and absent on the wire) without one: then the browser
        /// contacts nobody but the server.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ice_servers: Vec<IceServer>,
    },
    /// The lobby is on: this newcomer waits until a moderator admits (then `Joined`) or denies them
    /// (then `Error` with `EntryDenied`).
    Waiting,
    /// To moderators: a newcomer is waiting in the lobby.
    Knocking {
        /// The newcomer (name and the id they will have once admitted).
        participant: ParticipantInfo,
    },
    /// To moderators: a newcomer no longer waits (admitted, denied, or gone).
    KnockEnded {
        /// Whose knock.
        id: ParticipantId,
    },
    /// A participant became a moderator.
    RoleChanged {
        /// Who.
        id: ParticipantId,
        /// Moderator now.
        moderator: bool,
    },
    /// The room's lock, lobby or password changed.
    Settings {
        /// The new state.
        settings: RoomSettings,
    },
    /// A moderator turned this participant's microphone or camera off; the client switches the
    /// device off. The server forwards nothing of it until the participant switches it on again.
    TurnedOff {
        /// The microphone was turned off.
        mic: bool,
        /// The camera was turned off.
        cam: bool,
    },
    /// A moderator asks this participant to switch their microphone on; only they can.
    UnmuteAsked,
    /// A moderator removed this participant; the socket closes after this.
    Removed {
        /// They may not come back to this meeting.
        banned: bool,
    },
    /// Someone entered the room.
    ParticipantJoined {
        /// Who, with their mic and camera state.
        participant: ParticipantInfo,
    },
    /// Someone left the room (or was disconnected).
    ParticipantLeft {
        /// Who left.
        id: ParticipantId,
    },
    /// A participant's socket dropped and the server waits for them to resume (`away`), or they
    /// are back: their tile shows "reconnecting" meanwhile, not a leave and a join.
    Connection {
        /// Who.
        id: ParticipantId,
        /// Reconnecting now.
        away: bool,
    },
    /// A participant's mic or camera changed.
    MediaState {
        /// Whose.
        id: ParticipantId,
        /// Microphone on.
        mic: bool,
        /// Camera on.
        cam: bool,
        /// Sharing the screen.
        #[serde(default)]
        screen: bool,
    },
    /// A new SDP offer from the server; the client must reply `Answer`.
    Offer {
        /// The SDP text.
        sdp: String,
        /// The m-lines on which the client publishes its own microphone and camera.
        publish: PublishMids,
        /// The m-lines that carry other participants' media to this client.
        tracks: Vec<RemoteTrack>,
    },
    /// A participant raised or lowered their hand.
    Hand {
        /// Whose.
        id: ParticipantId,
        /// When it was raised (server time, milliseconds since the Unix epoch), `None` when lowered.
        /// Hands are taken in this order.
        raised_at_ms: Option<u64>,
    },
    /// A participant reacted; the UI shows it for a few seconds.
    Reacted {
        /// Who.
        id: ParticipantId,
        /// What.
        reaction: Reaction,
    },
    /// A chat message this participant may see: to everyone, or private from or to them.
    Chat {
        /// The message, stamped by the server.
        message: ChatMessage,
    },
    /// The conference ended while this participant was in it; everything of it is deleted. The socket
    /// closes after this.
    Ended {
        /// What was deleted, in counts only.
        receipt: DeletionReceipt,
        /// It ended because the server is shutting down (and will be back): the page says so.
        #[serde(default)]
        restarting: bool,
    },
    /// The recording changed: proposed, answered, paused or resumed by someone's coming or going,
    /// or stopped (then `recording` is `None`).
    Recording {
        /// Its state now; `None` once it stopped.
        recording: Option<RecordingState>,
        /// What happened.
        event: RecordingEvent,
    },
    /// The answer to `ClientMsg::MyData`: everything the server holds about this participant.
    MyData {
        /// What it holds.
        data: MyData,
    },
    /// A participant changed their display name (to everyone, the participant included).
    Renamed {
        /// Who.
        id: ParticipantId,
        /// The new name.
        name: String,
    },
    /// Its author erased a chat message (to everyone who could see it).
    MessageErased {
        /// Which.
        id: MessageId,
    },
    /// To moderators: how the output job of a stopped recording is doing.
    RecordingJob {
        /// The recording's id.
        id: String,
        /// Queued, processing, done (with its files) or failed.
        job: JobState,
    },
    /// To a publisher: the layers of its camera someone receives (or the recording takes). The
    /// client pauses the others (`active: false` on their encodings), so an unwatched layer costs
    /// no uplink; a layer someone starts to want again is resumed by the next of these. Until the
    /// first one, every layer is sent.
    Layers {
        /// The wanted layers, lowest first; empty when nobody watches the camera.
        active: Vec<Layer>,
    },
    /// Last-N, in a room of more than `Limits::last_n_above`: the participants whose camera is on
    /// but is not sent to this receiver, because others spoke more lately. Sent whenever the set
    /// changes; empty when everyone's camera is received again. Their voices are still sent.
    LastN {
        /// Whose camera is withheld.
        without_video: Vec<ParticipantId>,
    },
    /// A user error: the request was refused, the connection stays open.
    Error {
        /// Machine-readable reason; the UI translates it.
        code: ErrorCode,
        /// English explanation for logs of the client and for developers.
        message: String,
    },
}

impl ServerMsg {
    /// A user error for one participant: the code the UI translates, a short English reason for
    /// people reading the wire.
    pub fn error(code: ErrorCode, message: &str) -> Self {
        Self::Error {
            code,
            message: message.to_owned(),
        }
    }
}

/// A participant as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInfo {
    /// Server-assigned id.
    pub id: ParticipantId,
    /// Display name as the participant chose it.
    pub name: String,
    /// Microphone on.
    pub mic: bool,
    /// Camera on.
    pub cam: bool,
    /// When the hand was raised (server time, ms since the Unix epoch), `None` when it is down.
    #[serde(default)]
    pub hand: Option<u64>,
    /// A moderator of the meeting.
    #[serde(default)]
    pub moderator: bool,
    /// Sharing the screen.
    #[serde(default)]
    pub screen: bool,
    /// The socket dropped and the server waits for them to resume.
    #[serde(default)]
    pub away: bool,
}

/// The access settings of a room, as everyone sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSettings {
    /// Nobody new can join or knock.
    pub locked: bool,
    /// Newcomers wait for a moderator.
    pub lobby: bool,
    /// A password is needed to join.
    pub password: bool,
}

/// The reactions there are. A closed set, so a reaction can carry no personal data or content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    /// 👍
    ThumbsUp,
    /// 👏
    Clap,
    /// 😂
    Laugh,
    /// ❤️
    Heart,
    /// 😮
    Surprised,
    /// 🎉
    Celebrate,
}

impl Reaction {
    /// All reactions, in the order the UI offers them.
    pub const ALL: [Reaction; 6] = [
        Reaction::ThumbsUp,
        Reaction::Clap,
        Reaction::Laugh,
        Reaction::Heart,
        Reaction::Surprised,
        Reaction::Celebrate,
    ];

    /// The emoji shown.
    pub fn emoji(self) -> &'static str {
        match self {
            Reaction::ThumbsUp => "👍",
            Reaction::Clap => "👏",
            Reaction::Laugh => "😂",
            Reaction::Heart => "❤️",
            Reaction::Surprised => "😮",
            Reaction::Celebrate => "🎉",
        }
    }
}

/// A chat message as the server stamped it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    /// Order within the conference.
    pub id: MessageId,
    /// Who sent it: the server's record, never the client's claim.
    pub from: ParticipantId,
    /// The sender's name when it was sent (the sender may have left since).
    pub name: String,
    /// `None` for everyone; the addressee of a private message.
    pub to: Option<ParticipantId>,
    /// The checked text.
    pub text: String,
    /// Server time of sending, milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
    /// An attached file.
    pub attachment: Option<Attachment>,
}

/// The content-free record of a conference's end: what was deleted, in numbers, and when (DESIGN.md,
/// "a checkable purge"). No names, no text, no file names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionReceipt {
    /// When the conference started, milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// When it ended and was deleted.
    pub ended_at_ms: u64,
    /// How many people took part (joins, counted once per join).
    pub participants: u64,
    /// Chat messages deleted.
    pub messages: u64,
    /// Attachment files deleted from disk.
    pub files: u64,
    /// Bytes of those files.
    pub bytes: u64,
}

/// The client's own sending m-lines, identified by their `mid`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishMids {
    /// Where the microphone track goes.
    pub audio: String,
    /// Where the camera track goes.
    pub video: String,
    /// Where a shared screen goes (the client sends nothing on it while not sharing).
    pub screen: String,
}

/// An m-line that carries another participant's track to this client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteTrack {
    /// The SDP media id of the m-line.
    pub mid: String,
    /// Whose media it carries.
    pub participant: ParticipantId,
    /// Audio or video.
    pub kind: TrackKind,
}

/// The kind of a media track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackKind {
    /// Microphone audio.
    Audio,
    /// Camera video.
    Video,
    /// A shared screen (shown large, as the presentation).
    Screen,
}

impl TrackKind {
    /// Every kind, in the order a participant's m-lines are made.
    pub const ALL: [TrackKind; 3] = [TrackKind::Audio, TrackKind::Video, TrackKind::Screen];
}

/// Reasons for a `ServerMsg::Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The room has `Limits::room_max_participants` people in it.
    RoomFull,
    /// The server holds `Limits::max_rooms` rooms and cannot open another.
    ServerFull,
    /// The display name is empty, too long or has control characters.
    InvalidName,
    /// This socket already joined a room.
    AlreadyJoined,
    /// The message needs a joined room first.
    NotJoined,
    /// The SDP answer could not be applied.
    InvalidSdp,
    /// A chat message with neither text nor attachment.
    ChatEmpty,
    /// A chat message longer than `Limits::chat_max_chars`.
    ChatTooLong,
    /// More chat messages than `Limits::chat_burst` / `chat_messages_per_minute` allow; wait a moment.
    ChatRateLimited,
    /// The conference's chat holds `Limits::chat_history_max_messages` messages.
    ChatFull,
    /// A private message to someone who is not (or no longer) in the room.
    UnknownRecipient,
    /// The attachment is unknown, not this participant's upload, or already sent.
    UnknownAttachment,
    /// `/api`: the request has no valid participant credential.
    Unauthorized,
    /// `/api`: no such attachment for this participant (or the conference has ended).
    NotFound,
    /// `/api`: the file is larger than `Limits::attachment_max_bytes`.
    FileTooLarge,
    /// `/api`: the conference's attachments would exceed `Limits::conference_attachments_max_bytes`.
    StorageFull,
    /// `/api`: this participant's attachments would exceed `Limits::participant_attachments_max_bytes`.
    UploadQuota,
    /// `/ws`: the server holds `Limits::ws_max_connections` sockets, or this address
    /// `Limits::ws_max_connections_per_address`; try again later.
    TooManyConnections,
    /// `/api`: the upload has no `Content-Length` or a malformed file-name header.
    BadUpload,
    /// More reactions than `Limits::reactions_per_minute` allow; they are dropped for a moment.
    ReactionRateLimited,
    /// Only a moderator may do that.
    NotModerator,
    /// The moderator's action named someone who is not in the room (or not waiting).
    UnknownParticipant,
    /// The room is locked: nobody new can join.
    RoomLocked,
    /// The meeting has a password and the join carried none.
    PasswordRequired,
    /// The password is wrong.
    WrongPassword,
    /// Too many wrong passwords for this meeting: wait before the next try.
    TooManyAttempts,
    /// A moderator turned this newcomer away.
    EntryDenied,
    /// This participant was removed from the meeting and may not come back.
    Banned,
    /// The server only opens meetings it created (organiser protection) and this is none of them.
    UnknownMeeting,
    /// `/api/meetings`: the organiser password is missing or wrong.
    OrganiserPasswordRequired,
    /// A recording was proposed while one exists already.
    RecordingExists,
    /// There is no recording to stop or to answer.
    NoRecording,
    /// The server has no place for recordings (recording is switched off in its configuration).
    RecordingUnavailable,
    /// The chat message is unknown or not this participant's own (only the author erases it).
    UnknownMessage,
    /// `Resume` named nobody waiting to resume here, or a wrong secret, or came after the window:
    /// join anew.
    ResumeRefused,
}

/// WebSocket close codes for protocol errors (the 4000-4999 range is for applications).
pub mod close_code {
    /// The client's `Hello` named a protocol version this server does not speak.
    pub const UNSUPPORTED_PROTOCOL: u16 = 4000;
    /// A message was not valid JSON of a `ClientMsg`, or came out of order (anything before `Hello`).
    pub const MALFORMED: u16 = 4001;
    /// `Hello` and `Join` did not arrive within `Limits::join_timeout_ms`.
    pub const TIMEOUT: u16 = 4002;
    /// The client sent faster than `Limits::ws_messages_per_second`.
    pub const RATE_LIMITED: u16 = 4003;
    /// The client read too slowly and its queue (`Limits::ws_send_queue`) overflowed.
    pub const SLOW_CONSUMER: u16 = 4004;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The same participant resumed on another socket, which replaces this one.
    pub const REPLACED: u16 = 4005;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_stay_square_enough() {
        assert_eq!(grid_shape(1), (1, 1));
        assert_eq!(grid_shape(2), (2, 1));
        assert_eq!(grid_shape(4), (2, 2));
        assert_eq!(grid_shape(5), (3, 2));
        assert_eq!(grid_shape(10), (4, 3));
        assert_eq!(grid_shape(20), (5, 4));
    }

    #[test]
    fn layers_are_named_by_their_rids_and_halve_the_width() {
        for layer in Layer::ALL {
            assert_eq!(Layer::from_rid(layer.rid()), Some(layer));
        }
        assert_eq!(Layer::from_rid("x"), None);
        let widths: Vec<u32> = Layer::ALL.iter().map(|l| l.width()).collect();
        assert_eq!(widths, [320, 640, 1280]);
    }
}
