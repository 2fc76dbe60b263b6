//! The in-room controller: owns the signalling socket, the peer connection and the local tracks, and
//! turns server messages and the person's clicks into the reactive [`RoomUi`] state the room renders.
//!
//! Invariants:
//! - Server events are handled strictly one after another by a single task fed by a channel, so an
//!   `Offer` is fully answered before the next message (another offer included) is looked at.
//! - Every browser resource is released by [`Session::shutdown`], which is idempotent and runs on
//!   leave, on refusal, on connection loss and when the room component is unmounted.
//! - After shutdown nothing is sent and no state is touched: every await point re-checks `closed`.
//! - Mic and camera are `true` in the UI as soon as the person switches them on (the button reacts at
//!   once); the server hears about it with `SetMedia` when the device actually runs, and hears the
//!   way back to `false` if the device failed.
//! - Leaving releases camera and microphone at once but keeps the socket until the server closes it
//!   (or [`LEAVE_WAIT`] passes): when the person was the last one, the server's `Ended` with the
//!   deletion receipt comes just before that close.
//!
//! The chat and attachment traffic is in [`chat`]; raised hands and reactions are in [`gestures`];
//! the lobby, roles, room settings and moderators' actions and requests are in [`moderation`]; the
//! recording and the person's consent in [`recording`].

mod chat;
mod gestures;
mod moderation;
mod reconnect;
mod recording;
mod screen;
mod speakers;
mod tiles;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use std::time::Duration;

use futures_channel::mpsc;
use futures_util::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::{
    ClientMsg, DeletionReceipt, ErrorCode, HttpToken, IceServer, MessageId, MyData,
    PROTOCOL_VERSION, ParticipantId, ParticipantInfo, PublishMids, RemoteTrack, RoomId, ServerMsg,
    TrackKind, close_code,
};
use wasm_bindgen::JsValue;
use web_sys::{MediaStream, MediaStreamTrack};

use crate::attachments::Upload;
use crate::chat::ChatUi;
use crate::gestures::{Announcement, FloatingReaction};
use crate::media::{self, Device, LocalTracks, MediaError};
use crate::moderation::ModerationUi;
use crate::peer::{Peer, Route};
use crate::recording::RecordingUi;
use crate::signalling::{Signalling, WsEvent};
use crate::stage::StageUi;

/// What the person chose on the pre-join screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinSettings {
    /// The checked display name.
    pub name: String,
    /// Microphone on when entering.
    pub mic: bool,
    /// Camera on when entering.
    pub cam: bool,
    /// Chosen microphone (`deviceId`), `None` for the default.
    pub mic_device: Option<String>,
    /// Chosen camera (`deviceId`), `None` for the default.
    pub cam_device: Option<String>,
    /// The meeting password, when the meeting asked for one.
    pub password: Option<String>,
}

/// A participant as the tiles show them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    /// Server-assigned id.
    pub id: ParticipantId,
    /// Display name.
    pub name: String,
    /// Microphone on.
    pub mic: bool,
    /// Camera on.
    pub cam: bool,
    /// When the hand was raised (server time, ms), `None` while it is down.
    pub hand: Option<u64>,
    /// Sharing their screen.
    pub screen: bool,
    /// Their connection dropped; the server waits for them to resume.
    pub away: bool,
    /// The server does not send us their camera now (last-N: others spoke more lately).
    pub withheld: bool,
}

impl From<ParticipantInfo> for Member {
    fn from(p: ParticipantInfo) -> Self {
        Self {
            id: p.id,
            name: p.name,
            mic: p.mic,
            cam: p.cam,
            hand: p.hand,
            screen: p.screen,
            away: p.away,
            withheld: false,
        }
    }
}

/// How long leaving waits for the server to close the socket (with `Ended` first, if this ended the
/// conference) before it goes on without the receipt.
const LEAVE_WAIT: Duration = Duration::from_secs(3);

/// Where the room is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Socket opening, `Hello` and `Join` under way.
    Connecting,
    /// In the room.
    Joined,
    /// The person left; waiting for the server to close the socket.
    Leaving,
    /// Gone on purpose or because the conference ended; `Some` receipt when it ended (and was
    /// deleted) while this participant was in it.
    Over(Option<DeletionReceipt>),
    /// The server refused the join (full room, bad name, ...).
    Refused(ErrorCode),
    /// In the lobby: a moderator decides whether the person may enter.
    Waiting,
    /// A moderator removed the person (`banned`: for the rest of this meeting).
    Removed {
        /// They may not come back.
        banned: bool,
    },
    /// The socket closed without us asking.
    Lost(LostReason),
}

/// Why the connection ended, as far as the close code tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostReason {
    /// Network trouble, timeouts, anything not listed below.
    Connection,
    /// The server speaks another protocol version: this page is outdated.
    Outdated,
    /// The server is shutting down.
    ServerRestart,
}

/// A message shown over the running room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A user error from the server.
    Server(ErrorCode),
    /// A device could not be opened.
    Media(MediaError),
    /// The media connection failed (ICE/DTLS).
    MediaConnection,
}

/// The reactive state of a room, all `Copy` signal handles owned by the room component.
#[derive(Clone, Copy)]
pub struct RoomUi {
    /// Life cycle.
    pub phase: RwSignal<Phase>,
    /// Our own id once joined.
    pub me: RwSignal<Option<ParticipantId>>,
    /// Everyone in the room in joining order, ourselves included.
    pub members: RwSignal<Vec<Member>>,
    /// One stream per remote participant holding their current audio and video tracks.
    pub streams: RwSignal<HashMap<ParticipantId, MediaStream>, LocalStorage>,
    /// Our own camera, for the own tile.
    pub local_video: RwSignal<Option<MediaStream>, LocalStorage>,
    /// Microphone switched on (the person's intent).
    pub mic: RwSignal<bool>,
    /// Camera switched on (the person's intent).
    pub cam: RwSignal<bool>,
    /// The microphone is being opened.
    pub mic_busy: RwSignal<bool>,
    /// The camera is being opened.
    pub cam_busy: RwSignal<bool>,
    /// A message over the room, until dismissed.
    pub notice: RwSignal<Option<Notice>>,
    /// The chat.
    pub chat: ChatUi,
    /// The participants panel is open (it and the chat panel take turns beside the tiles).
    pub participants_open: RwSignal<bool>,
    /// The keyboard-shortcut help dialog is open.
    pub help_open: RwSignal<bool>,
    /// The "My data" dialog is open.
    pub my_data_open: RwSignal<bool>,
    /// The server's latest answer to "My data" (requested each time the dialog opens).
    pub my_data: RwSignal<Option<MyData>>,
    /// Reactions floating over the tiles right now.
    pub reactions: RwSignal<Vec<FloatingReaction>>,
    /// The latest thing others did that a screen reader should announce (a raised hand, a reaction).
    pub announcement: RwSignal<Option<Announcement>>,
    /// The conference ended because the server is shutting down (`Ended { restarting }`).
    pub restarting: RwSignal<bool>,
    /// The socket dropped and the session tries to resume: the number of the try.
    pub reconnecting: RwSignal<Option<u32>>,
    /// Shared screens, tile or speaker view, the active speaker.
    pub stage: StageUi,
    /// Roles, lobby, room settings and the moderators' requests.
    pub moderation: ModerationUi,
    /// The recording, everyone's answers, and (moderators) its output jobs.
    pub recording: RecordingUi,
}

impl RoomUi {
    /// Fresh state; must be called inside the room component so the signals are owned by it.
    pub fn new(settings: &JoinSettings) -> Self {
        Self {
            phase: RwSignal::new(Phase::Connecting),
            me: RwSignal::new(None),
            members: RwSignal::new(Vec::new()),
            streams: RwSignal::new_local(HashMap::new()),
            local_video: RwSignal::new_local(None),
            mic: RwSignal::new(settings.mic),
            cam: RwSignal::new(settings.cam),
            mic_busy: RwSignal::new(false),
            cam_busy: RwSignal::new(false),
            notice: RwSignal::new(None),
            chat: ChatUi::default(),
            participants_open: RwSignal::new(false),
            help_open: RwSignal::new(false),
            my_data_open: RwSignal::new(false),
            my_data: RwSignal::new(None),
            reactions: RwSignal::new(Vec::new()),
            announcement: RwSignal::new(None),
            restarting: RwSignal::new(false),
            reconnecting: RwSignal::new(None),
            stage: StageUi::new(),
            moderation: ModerationUi::default(),
            recording: RecordingUi::default(),
        }
    }

    /// Opens or closes the chat panel; opening it closes the participants panel.
    pub fn toggle_chat(&self) {
        let open = !self.chat.open.get_untracked();
        if open {
            self.participants_open.set(false);
        }
        self.chat.set_open(open);
    }

    /// Opens or closes the participants panel; opening it closes the chat panel.
    pub fn toggle_participants(&self) {
        let open = !self.participants_open.get_untracked();
        if open {
            self.chat.set_open(false);
        }
        self.participants_open.set(open);
    }

    /// Ourselves, once joined.
    pub fn own_member(&self) -> Option<Member> {
        let me = self.me.get()?;
        self.members
            .with(|ms| ms.iter().find(|m| m.id == me).cloned())
    }

    /// Changes the member `id` with `change`, if they are here.
    pub fn update_member(&self, id: ParticipantId, change: impl FnOnce(&mut Member)) {
        self.members.update(|ms| {
            if let Some(m) = ms.iter_mut().find(|m| m.id == id) {
                change(m);
            }
        });
    }

    fn switch(&self, device: Device) -> RwSignal<bool> {
        match device {
            Device::Mic => self.mic,
            Device::Cam => self.cam,
        }
    }

    fn busy(&self, device: Device) -> RwSignal<bool> {
        match device {
            Device::Mic => self.mic_busy,
            Device::Cam => self.cam_busy,
        }
    }
}

/// A remote participant's current tracks.
#[derive(Default)]
struct Remote {
    audio: Option<MediaStreamTrack>,
    video: Option<MediaStreamTrack>,
    screen: Option<MediaStreamTrack>,
}

impl Remote {
    fn slot(&mut self, kind: TrackKind) -> &mut Option<MediaStreamTrack> {
        match kind {
            TrackKind::Audio => &mut self.audio,
            TrackKind::Video => &mut self.video,
            TrackKind::Screen => &mut self.screen,
        }
    }
}

/// One stay in a room, from connecting to shutdown.
pub struct Session {
    ui: RoomUi,
    room: RoomId,
    name: String,
    mic_device: Option<String>,
    cam_device: Option<String>,
    ws: RefCell<Option<Signalling>>,
    /// Where every socket of this session reports (a resumed session opens a new one).
    events: mpsc::UnboundedSender<WsEvent>,
    /// How to resume after a dropped socket (from the latest `Joined`).
    resume: RefCell<Option<reconnect::ResumeTicket>>,
    /// The resuming under way, if the socket dropped.
    reconnect: RefCell<Option<reconnect::Reconnecting>>,
    peer: RefCell<Option<Rc<Peer>>>,
    publish: RefCell<Option<PublishMids>>,
    local: RefCell<LocalTracks>,
    remote: RefCell<HashMap<ParticipantId, Remote>>,
    /// The credential for `/api` from `Joined`.
    token: RefCell<Option<HttpToken>>,
    /// The operator's TURN server from `Joined`, for the peer connection made at the first offer.
    ice_servers: RefCell<Vec<IceServer>>,
    /// Texts of our chat messages the server has neither echoed nor refused yet, oldest first: the
    /// server answers a socket's messages in order, so a refusal belongs to the oldest.
    unanswered_chat: RefCell<VecDeque<String>>,
    /// The running upload (one at a time), so shutdown can abort it.
    upload: RefCell<Option<Rc<Upload>>>,
    /// The key of the latest reaction shown (see [`FloatingReaction::key`]).
    reaction_seq: Cell<u64>,
    /// Our shared screen.
    screen: RefCell<screen::ScreenShare>,
    /// The last participant who left, for naming them in the recording's departure notice (which
    /// comes after they are gone from the members).
    last_left: RefCell<Option<(ParticipantId, String)>>,
    /// Active-speaker sampling.
    speakers: RefCell<speakers::Speakers>,
    /// Reports of our tiles' sizes to the server.
    tiles: RefCell<tiles::TileReports>,
    closed: Cell<bool>,
    /// The key of a moderator link (from the URL fragment), sent only inside `Join`.
    moderator_key: Option<String>,
    /// The meeting password the person typed.
    password: Option<String>,
}

impl Session {
    /// Connects, joins, and opens the devices the person switched on before joining.
    pub fn start(ui: RoomUi, room: RoomId, settings: JoinSettings) -> Rc<Self> {
        let (events, rx) = mpsc::unbounded::<WsEvent>();
        let session = Rc::new(Self {
            ui,
            room,
            name: settings.name,
            moderator_key: crate::moderation::key_from_location(),
            password: settings.password,
            mic_device: settings.mic_device,
            cam_device: settings.cam_device,
            ws: RefCell::new(None),
            events,
            resume: RefCell::default(),
            reconnect: RefCell::default(),
            peer: RefCell::new(None),
            publish: RefCell::new(None),
            local: RefCell::default(),
            remote: RefCell::default(),
            token: RefCell::new(None),
            ice_servers: RefCell::default(),
            unanswered_chat: RefCell::default(),
            upload: RefCell::new(None),
            reaction_seq: Cell::new(0),
            screen: RefCell::default(),
            last_left: RefCell::default(),
            speakers: RefCell::default(),
            tiles: RefCell::default(),
            closed: Cell::new(false),
        });

        if !session.open_socket() {
            ui.phase.set(Phase::Lost(LostReason::Connection));
            session.shutdown();
            return session;
        }
        spawn_local(Self::run(session.clone(), rx));
        session.start_speaker_sampling();
        session.start_tile_reports();

        for device in [Device::Mic, Device::Cam] {
            if ui.switch(device).get_untracked() {
                session.set_device(device, true);
            }
        }
        session
    }

    /// Opens a signalling socket that reports to the message loop; false if the browser refused.
    fn open_socket(&self) -> bool {
        let tx = self.events.clone();
        let ws = Signalling::connect(move |event| {
            // The receiver lives as long as the session; after shutdown a failed send is expected.
            let _ = tx.unbounded_send(event);
        });
        match ws {
            Ok(ws) => {
                *self.ws.borrow_mut() = Some(ws);
                true
            }
            Err(e) => {
                web_sys::console::error_2(&"treff: cannot open the signalling socket".into(), &e);
                false
            }
        }
    }

    /// The message loop: one event at a time, in arrival order. Ends when the socket's sender is
    /// dropped (shutdown) or the session is closed.
    async fn run(self: Rc<Self>, mut rx: mpsc::UnboundedReceiver<WsEvent>) {
        while let Some(event) = rx.next().await {
            if self.closed.get() {
                break;
            }
            self.handle(event).await;
        }
    }

    async fn handle(self: &Rc<Self>, event: WsEvent) {
        match event {
            WsEvent::Open => self.send(&ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
            }),
            WsEvent::Undecodable => {
                web_sys::console::warn_1(&"treff: ignored an undecodable server message".into());
            }
            WsEvent::Closed { code } => {
                if self.try_reconnect(code) {
                    return;
                }
                let reason = match code {
                    close_code::UNSUPPORTED_PROTOCOL => LostReason::Outdated,
                    close_code::GOING_AWAY => LostReason::ServerRestart,
                    _ => LostReason::Connection,
                };
                match self.ui.phase.get_untracked() {
                    // The server's goodbye after `Leave`.
                    Phase::Leaving => self.finish(None),
                    // A refusal already told the person what happened; the close adds nothing.
                    Phase::Refused(_) | Phase::Removed { .. } => self.shutdown(),
                    // This participant resumed on another socket (another tab took over).
                    _ if code == close_code::REPLACED => self.finish(None),
                    _ => {
                        self.ui.phase.set(Phase::Lost(reason));
                        self.shutdown();
                    }
                }
            }
            WsEvent::Message(msg) => self.on_message(msg).await,
        }
    }

    async fn on_message(self: &Rc<Self>, msg: ServerMsg) {
        let ui = self.ui;
        match msg {
            ServerMsg::Welcome { protocol } => {
                if protocol != PROTOCOL_VERSION {
                    ui.phase.set(Phase::Lost(LostReason::Outdated));
                    self.shutdown();
                    return;
                }
                if self.send_resume() {
                    return;
                }
                // The running devices, not the intent: one still opening is announced by `SetMedia`.
                let (mic, cam) = {
                    let local = self.local.borrow();
                    (
                        local.get(Device::Mic).is_some(),
                        local.get(Device::Cam).is_some(),
                    )
                };
                self.send(&ClientMsg::Join {
                    room: self.room.clone(),
                    name: self.name.clone(),
                    mic,
                    cam,
                    moderator_key: self.moderator_key.clone(),
                    password: self.password.clone(),
                });
            }
            ServerMsg::Joined {
                you,
                participants,
                chat,
                token,
                settings,
                recording,
                resume,
                resume_window_ms,
                ice_servers,
            } => {
                self.resumed(resume, resume_window_ms);
                *self.ice_servers.borrow_mut() = ice_servers;
                ui.me.set(Some(you));
                self.on_joined_moderation(&participants, settings);
                self.on_joined_recording(recording);
                ui.members
                    .set(participants.into_iter().map(Member::from).collect());
                *self.token.borrow_mut() = Some(token);
                self.on_chat(chat);
                ui.phase.set(Phase::Joined);
                // A device may have finished opening (or failed) between Join and Joined.
                self.send_media_state();
            }
            ServerMsg::ParticipantJoined { participant } => {
                self.on_participant_role(&participant);
                let member = Member::from(participant);
                ui.members
                    .update(|ms| match ms.iter_mut().find(|m| m.id == member.id) {
                        Some(existing) => *existing = member,
                        None => ms.push(member),
                    });
            }
            ServerMsg::ParticipantLeft { id } => {
                let name = ui
                    .members
                    .with_untracked(|ms| ms.iter().find(|m| m.id == id).map(|m| m.name.clone()));
                *self.last_left.borrow_mut() = name.map(|n| (id, n));
                ui.members.update(|ms| ms.retain(|m| m.id != id));
                self.remote.borrow_mut().remove(&id);
                ui.streams.update(|s| {
                    s.remove(&id);
                });
                ui.stage.screens.update(|s| {
                    s.remove(&id);
                });
            }
            ServerMsg::Connection { id, away } => ui.update_member(id, |m| m.away = away),
            ServerMsg::MediaState {
                id,
                mic,
                cam,
                screen,
            } => {
                ui.update_member(id, |m| {
                    m.mic = mic;
                    m.cam = cam;
                    m.screen = screen;
                });
            }
            ServerMsg::Offer {
                sdp,
                publish,
                tracks,
            } => self.on_offer(sdp, publish, tracks).await,
            ServerMsg::LastN { without_video } => ui.members.update(|ms| {
                for m in ms {
                    m.withheld = without_video.contains(&m.id);
                }
            }),
            ServerMsg::Layers { active } => {
                let peer = self.peer.borrow().clone();
                if let Some(peer) = peer {
                    spawn_local(async move { peer.set_camera_layers(active).await });
                }
            }
            ServerMsg::Hand { id, raised_at_ms } => self.on_hand(id, raised_at_ms),
            ServerMsg::Recording { recording, event } => self.on_recording(recording, event),
            ServerMsg::RecordingJob { id, job } => self.on_recording_job(id, job),
            ServerMsg::Reacted { id, reaction } => self.on_reacted(id, reaction),
            ServerMsg::Chat { message } => self.on_chat([message]),
            ServerMsg::MyData { data } => ui.my_data.set(Some(data)),
            ServerMsg::Renamed { id, name } => {
                ui.update_member(id, |m| m.name.clone_from(&name));
                ui.chat.rename(id, &name);
            }
            ServerMsg::MessageErased { id } => ui.chat.erase(id),
            ServerMsg::Ended {
                receipt,
                restarting,
            } => {
                ui.restarting.set(restarting);
                self.finish(Some(receipt));
            }
            // A moderator switched a device off: it goes off here too (they can never switch one on).
            ServerMsg::TurnedOff { mic, cam } => {
                for (device, off) in [(Device::Mic, mic), (Device::Cam, cam)] {
                    if off && ui.switch(device).get_untracked() {
                        self.set_device(device, false);
                    }
                }
                self.on_turned_off(mic, cam);
            }
            msg @ (ServerMsg::Waiting
            | ServerMsg::Knocking { .. }
            | ServerMsg::KnockEnded { .. }
            | ServerMsg::RoleChanged { .. }
            | ServerMsg::Settings { .. }
            | ServerMsg::UnmuteAsked
            | ServerMsg::Removed { .. }) => self.on_moderation(msg),
            ServerMsg::Error { code, message } => {
                web_sys::console::warn_1(
                    &format!("treff: server error {code:?}: {message}").into(),
                );
                if code == ErrorCode::ResumeRefused {
                    // Gone from the meeting meanwhile: the lost-connection page rejoins anew.
                    ui.phase.set(Phase::Lost(LostReason::Connection));
                    self.shutdown();
                } else if chat::is_chat_refusal(code) {
                    self.on_chat_refused(code);
                } else if code == ErrorCode::ReactionRateLimited {
                    // Only the reaction is dropped, and the person sees that it did not appear:
                    // a banner over the room would be louder than the reaction itself.
                } else if matches!(ui.phase.get_untracked(), Phase::Connecting | Phase::Waiting) {
                    ui.phase.set(Phase::Refused(code));
                    self.shutdown();
                } else {
                    ui.notice.set(Some(Notice::Server(code)));
                }
            }
        }
    }

    async fn on_offer(
        self: &Rc<Self>,
        sdp: String,
        publish: PublishMids,
        tracks: Vec<RemoteTrack>,
    ) {
        // Media was released on leaving; a late offer must not open a new connection.
        if self.media_released() {
            return;
        }
        *self.publish.borrow_mut() = Some(publish.clone());
        let Some(peer) = self.peer() else {
            self.ui.notice.set(Some(Notice::MediaConnection));
            return;
        };
        let local = |kind: TrackKind| {
            self.local.borrow().get(match kind {
                TrackKind::Audio => Device::Mic,
                TrackKind::Video => Device::Cam,
                TrackKind::Screen => return self.screen.borrow().track(),
            })
        };
        let on_route = |route: Route, track: MediaStreamTrack| self.attach(route, track);
        let result = peer
            .answer(&sdp, &publish, &tracks, &local, &on_route)
            .await;
        if self.closed.get() {
            return;
        }
        match result {
            Ok(answer) => self.send(&ClientMsg::Answer { sdp: answer }),
            Err(e) => {
                web_sys::console::error_2(&"treff: could not answer the offer".into(), &e);
                self.ui.notice.set(Some(Notice::MediaConnection));
            }
        }
    }

    /// The peer connection, created on the first offer (no media connection before the server wants one).
    fn peer(self: &Rc<Self>) -> Option<Rc<Peer>> {
        if let Some(peer) = self.peer.borrow().as_ref() {
            return Some(peer.clone());
        }
        // The handlers hold the session weakly: the session owns the peer, not the other way round.
        let on_track: Weak<Self> = Rc::downgrade(self);
        let on_failed: Weak<Self> = Rc::downgrade(self);
        let peer = Peer::new(
            &self.ice_servers.borrow(),
            move |route, track| {
                if let Some(s) = on_track.upgrade() {
                    s.attach(route, track);
                }
            },
            move || {
                if let Some(s) = on_failed.upgrade()
                    && !s.closed.get()
                {
                    s.ui.notice.set(Some(Notice::MediaConnection));
                }
            },
        );
        match peer {
            Ok(peer) => {
                let peer = Rc::new(peer);
                *self.peer.borrow_mut() = Some(peer.clone());
                Some(peer)
            }
            Err(e) => {
                web_sys::console::error_2(&"treff: cannot create RTCPeerConnection".into(), &e);
                None
            }
        }
    }

    /// Gives a remote track to its participant. Idempotent; moves the track away from anyone else
    /// who had it (a mid reused after its former owner left).
    fn attach(&self, (owner, kind): Route, track: MediaStreamTrack) {
        if self.closed.get() || Some(owner) == self.ui.me.get_untracked() {
            return;
        }
        let is_member = self
            .ui
            .members
            .with_untracked(|ms| ms.iter().any(|m| m.id == owner));
        let mut changed: Vec<(ParticipantId, TrackKind)> = Vec::new();
        {
            let mut remote = self.remote.borrow_mut();
            for (id, r) in remote.iter_mut() {
                // A reused mid may also have carried another kind (a screen m-line is a video one).
                for k in [TrackKind::Audio, TrackKind::Video, TrackKind::Screen] {
                    let slot = r.slot(k);
                    if (*id, k) != (owner, kind)
                        && slot
                            .as_ref()
                            .is_some_and(|t| JsValue::from(t) == JsValue::from(&track))
                    {
                        *slot = None;
                        changed.push((*id, k));
                    }
                }
            }
            // Media for someone who already left (their `ParticipantLeft` overtook the offer) is dropped.
            if is_member {
                let slot = remote.entry(owner).or_default().slot(kind);
                if slot.as_ref().map(JsValue::from) != Some(JsValue::from(&track)) {
                    *slot = Some(track);
                    changed.push((owner, kind));
                }
            }
        }
        for (id, kind) in changed {
            if kind == TrackKind::Screen {
                self.refresh_screen(id);
            } else {
                self.refresh_stream(id);
            }
        }
    }

    /// Rebuilds a participant's screen stream (kept apart from their camera and voice: it is shown
    /// in its own place).
    fn refresh_screen(&self, id: ParticipantId) {
        let stream = self
            .remote
            .borrow()
            .get(&id)
            .and_then(|r| r.screen.as_ref().and_then(|t| media::stream_of(&[t])));
        self.ui.stage.screens.update(|s| match stream {
            Some(stream) => {
                s.insert(id, stream);
            }
            None => {
                s.remove(&id);
            }
        });
    }

    /// Rebuilds a participant's stream from their current tracks. A new `MediaStream` (rather than
    /// `addTrack` on the old one) makes every media element load it afresh.
    fn refresh_stream(&self, id: ParticipantId) {
        let stream = self.remote.borrow().get(&id).and_then(|r| {
            let tracks: Vec<&MediaStreamTrack> = r.audio.iter().chain(r.video.iter()).collect();
            if tracks.is_empty() {
                None
            } else {
                media::stream_of(&tracks)
            }
        });
        self.ui.streams.update(|s| match stream {
            Some(stream) => {
                s.insert(id, stream);
            }
            None => {
                s.remove(&id);
            }
        });
    }

    /// The person pressed the mic or camera button.
    pub fn toggle(self: &Rc<Self>, device: Device) {
        let on = !self.ui.switch(device).get_untracked();
        self.set_device(device, on);
    }

    /// Switches a device on (opens it, then publishes it) or off (stops it at once).
    fn set_device(self: &Rc<Self>, device: Device, on: bool) {
        if self.media_released() {
            return;
        }
        let ui = self.ui;
        ui.switch(device).set(on);
        if !on {
            self.local.borrow_mut().stop(device);
            ui.busy(device).set(false);
            self.track_changed(device);
            return;
        }
        let generation = self.local.borrow_mut().begin(device);
        ui.busy(device).set(true);
        let session = self.clone();
        let device_id = match device {
            Device::Mic => self.mic_device.clone(),
            Device::Cam => self.cam_device.clone(),
        };
        spawn_local(async move {
            let result = media::open(device, device_id.as_deref()).await;
            let installed = match result {
                Ok(track) => session.local.borrow_mut().finish(device, generation, track),
                Err(e) => {
                    if session.local.borrow().is_current(device, generation) {
                        ui.switch(device).set(false);
                        ui.notice.set(Some(Notice::Media(e)));
                        true
                    } else {
                        false
                    }
                }
            };
            // A stale result (the person switched again, or left) changed nothing.
            if installed {
                ui.busy(device).set(false);
                session.track_changed(device);
            }
        });
    }

    /// After a local track appeared or went: show it, publish it, tell the room.
    fn track_changed(self: &Rc<Self>, device: Device) {
        let track = self.local.borrow().get(device);
        if device == Device::Cam {
            let stream = track.as_ref().and_then(|t| media::stream_of(&[t]));
            self.ui.local_video.set(stream);
        }
        let mid = self.publish.borrow().as_ref().map(|p| match device {
            Device::Mic => p.audio.clone(),
            Device::Cam => p.video.clone(),
        });
        let peer = self.peer.borrow().clone();
        if let (Some(mid), Some(peer)) = (mid, peer) {
            spawn_local(async move { peer.publish(&mid, track.as_ref()).await });
        }
        self.send_media_state();
    }

    /// Tells the room our mic/camera state and shows it on our own tile. Before `Joined` the `Join`
    /// message carries it instead.
    fn send_media_state(&self) {
        let Some(me) = self.ui.me.get_untracked() else {
            return;
        };
        let (mic, cam) = {
            let local = self.local.borrow();
            (
                local.get(Device::Mic).is_some(),
                local.get(Device::Cam).is_some(),
            )
        };
        let screen = self.screen.borrow().track().is_some();
        // While a device is still opening it counts as off for others: they see it when it works.
        self.ui.update_member(me, |m| {
            m.mic = mic;
            m.cam = cam;
            m.screen = screen;
        });
        self.send(&ClientMsg::SetMedia { mic, cam, screen });
    }

    fn send(&self, msg: &ClientMsg) {
        if self.closed.get() {
            return;
        }
        if let Some(ws) = self.ws.borrow().as_ref() {
            ws.send(msg);
        }
    }

    /// Opens "My data" and asks the server for what it holds now: the dialog shows the server's
    /// answer, never the page's own idea of it.
    pub fn show_my_data(&self) {
        self.ui.my_data.set(None);
        self.ui.my_data_open.set(true);
        self.send(&ClientMsg::MyData);
    }

    /// Asks for a new display name; "My data" then shows what the server made of it.
    pub fn rename(&self, name: &str) {
        self.send(&ClientMsg::Rename {
            name: name.to_owned(),
        });
        self.send(&ClientMsg::MyData);
    }

    /// Erases one of our own chat messages for everyone.
    pub fn erase_message(&self, id: MessageId) {
        self.send(&ClientMsg::EraseMessage { id });
    }

    /// The person leaves: say so and release camera and microphone at once, then wait for the
    /// server to close the socket, which tells whether this ended the conference (see the module's
    /// invariants).
    pub fn leave(self: &Rc<Self>) {
        if self.closed.get() || self.ui.phase.get_untracked() == Phase::Leaving {
            return;
        }
        self.send(&ClientMsg::Leave);
        self.ui.phase.set(Phase::Leaving);
        self.release_media();
        let session = Rc::downgrade(self);
        set_timeout(
            move || {
                if let Some(s) = session.upgrade() {
                    s.finish(None);
                }
            },
            LEAVE_WAIT,
        );
    }

    /// The stay is over: on purpose, or because the conference ended with `receipt`.
    fn finish(&self, receipt: Option<DeletionReceipt>) {
        if self.closed.get() {
            return;
        }
        self.shutdown();
        let _ = self.ui.phase.try_set(Phase::Over(receipt));
    }

    /// Releases every browser resource: socket, upload, peer connection, devices, media streams.
    /// Idempotent.
    pub fn shutdown(&self) {
        if self.closed.replace(true) {
            return;
        }
        // Dropping the socket detaches its handlers and closes it; that also ends the message loop.
        drop(self.ws.borrow_mut().take());
        if let Some(upload) = self.upload.borrow_mut().take() {
            upload.abort();
        }
        self.token.borrow_mut().take();
        self.resume.borrow_mut().take();
        self.reconnect.borrow_mut().take();
        let _ = self.ui.reconnecting.try_set(None);
        self.speakers.borrow_mut().stop();
        self.tiles.borrow_mut().stop();
        self.release_media();
    }

    /// Calls `tick` with the session every `period` while the session lives. `None` (logged, naming
    /// `what`) if the browser refused the timer; the caller clears it on shutdown.
    fn every(
        self: &Rc<Self>,
        period: Duration,
        what: &str,
        tick: impl Fn(Rc<Self>) + 'static,
    ) -> Option<IntervalHandle> {
        let weak = Rc::downgrade(self);
        let timer = set_interval_with_handle(
            move || {
                if let Some(session) = weak.upgrade() {
                    tick(session);
                }
            },
            period,
        );
        match timer {
            Ok(timer) => Some(timer),
            Err(e) => {
                web_sys::console::warn_2(&format!("treff: no {what}").into(), &e);
                None
            }
        }
    }

    /// Whether camera, microphone and media connection are gone for good (left, or shut down).
    fn media_released(&self) -> bool {
        self.closed.get() || self.ui.phase.get_untracked() == Phase::Leaving
    }

    /// Stops the devices and the media connection; the socket stays.
    fn release_media(&self) {
        if let Some(peer) = self.peer.borrow_mut().take() {
            peer.close();
        }
        self.local.borrow_mut().close();
        self.screen.borrow_mut().close();
        self.remote.borrow_mut().clear();
        // The room component may already be tearing down; `try_set` tolerates disposed signals.
        let _ = self.ui.streams.try_set(HashMap::new());
        let _ = self.ui.local_video.try_set(None);
        let _ = self.ui.mic_busy.try_set(false);
        let _ = self.ui.cam_busy.try_set(false);
        let _ = self.ui.stage.screens.try_set(HashMap::new());
        let _ = self.ui.stage.sharing.try_set(false);
    }
}
