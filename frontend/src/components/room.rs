//! The room: the tile grid, the chat or participants panel beside it, the control bar, the keyboard
//! shortcuts and their help, and the states around it (connecting, refused, connection lost, leaving,
//! error banners).
//!
//! The component owns one [`Session`]; unmounting it (leaving, rejoining, navigating away) shuts the
//! session down, which releases socket, peer connection and devices. When the session is over (left,
//! or the conference ended) the component hands over to the "left" view with the session's receipt.

use std::rc::Rc;

use leptos::prelude::*;
use treff_shared::{DeletionReceipt, ModeratorAction, RoomId};

use crate::chat::ChatActions;
use crate::components::access_pages::{RefusedView, RemovedPage, WaitingPage};
use crate::components::auto_rejoin::AutoRejoin;
use crate::components::chat_panel::ChatPanel;
use crate::components::consent_dialog::ConsentDialog;
use crate::components::control_bar::{ControlActions, ControlBar};
use crate::components::help_dialog::HelpDialog;
use crate::components::moderation_notices::ModerationNotices;
use crate::components::my_data_dialog::MyDataDialog;
use crate::components::participants_panel::ParticipantsPanel;
use crate::components::presentation::{Presentations, sharing};
use crate::components::reconnecting::Reconnecting;
use crate::components::recording_bar::RecordingBar;
use crate::components::recording_jobs::RecordingJobs;
use crate::components::tile::Tile;
use crate::i18n::texts;
use crate::media::Device;
use crate::moderation::ModerationCtx;
use crate::recording::RecordingCtx;
use crate::session::{JoinSettings, LostReason, Member, Notice, Phase, RoomUi, Session};
use crate::shortcuts::{self, Shortcut};
use crate::stage::{View, featured};

/// A running meeting.
#[component]
pub fn Room(
    /// The meeting.
    room: RoomId,
    /// Name, devices and initial mic/camera from the pre-join screen.
    settings: JoinSettings,
    /// Called when the stay is over: after leaving on purpose, or when the conference ended, then
    /// with the server's deletion receipt.
    on_left: Callback<(Option<DeletionReceipt>, bool)>,
    /// Called when the person asks to connect again after a connection loss, with the settings to
    /// use (mic and camera as they were).
    on_rejoin: Callback<JoinSettings>,
    /// Called from a refused join: back to the pre-join screen.
    on_back: Callback<()>,
) -> impl IntoView {
    let t = texts();
    let ui = RoomUi::new(&settings);
    let session = StoredValue::new_local(Session::start(ui, room, settings.clone()));
    on_cleanup(move || {
        session.try_with_value(|s| s.shutdown());
    });

    let with_session = move |f: &dyn Fn(&Rc<Session>)| session.with_value(|s| f(s));
    let controls = ControlActions {
        toggle_mic: Callback::new(move |()| with_session(&|s| s.toggle(Device::Mic))),
        toggle_cam: Callback::new(move |()| with_session(&|s| s.toggle(Device::Cam))),
        toggle_screen: Callback::new(move |()| with_session(&|s| s.toggle_screen())),
        toggle_hand: Callback::new(move |()| with_session(&|s| s.toggle_hand())),
        react: Callback::new(move |reaction| with_session(&|s| s.react(reaction))),
        toggle_chat: Callback::new(move |()| ui.toggle_chat()),
        toggle_participants: Callback::new(move |()| ui.toggle_participants()),
        help: Callback::new(move |()| ui.help_open.set(true)),
        my_data: Callback::new(move |()| with_session(&|s| s.show_my_data())),
        leave: Callback::new(move |()| with_session(&|s| s.leave())),
    };
    provide_context(ModerationCtx {
        me: ui.me,
        ui: ui.moderation,
        moderate: Callback::new(move |action: ModeratorAction| {
            with_session(&|s| s.moderate(action.clone()));
        }),
        unmute: Callback::new(move |()| with_session(&|s| s.accept_unmute())),
    });
    provide_context(RecordingCtx {
        me: ui.me,
        ui: ui.recording,
        act: Callback::new(move |action| with_session(&|s| s.recording_action(action))),
        consent: Callback::new(move |consent| with_session(&|s| s.consent(consent))),
        download: Callback::new(move |(id, file): (String, String)| {
            with_session(&|s| s.download_recording(id.clone(), file.clone()));
        }),
    });
    let retry_with_password = {
        let settings = settings.clone();
        Callback::new(move |password: String| {
            on_rejoin.run(JoinSettings {
                password: Some(password),
                ..settings.clone()
            })
        })
    };
    Effect::new(move |_| {
        if let Phase::Over(receipt) = ui.phase.get() {
            on_left.run((receipt, ui.restarting.get_untracked()));
        }
    });
    // Only in the room proper, and not while the help dialog holds the page (it is modal).
    shortcuts::listen(
        move || ui.phase.get_untracked() == Phase::Joined && !ui.help_open.get_untracked(),
        move |shortcut| {
            let action = match shortcut {
                Shortcut::Mic => controls.toggle_mic,
                Shortcut::Cam => controls.toggle_cam,
                Shortcut::Hand => controls.toggle_hand,
                Shortcut::Chat => controls.toggle_chat,
                Shortcut::Participants => controls.toggle_participants,
                Shortcut::Help => controls.help,
            };
            action.run(());
        },
    );
    let chat_actions = ChatActions {
        send: Callback::new(move |()| with_session(&|s| s.send_chat())),
        send_file: Callback::new(move |file: web_sys::File| {
            with_session(&|s| s.send_file(file.clone()));
        }),
        download: Callback::new(move |attachment: treff_shared::Attachment| {
            with_session(&|s| s.download(attachment.clone()));
        }),
        erase: Callback::new(move |id| with_session(&|s| s.erase_message(id))),
    };
    // After a lost connection the person continues as they were (by the button, or by itself once
    // the server answers again).
    let rejoin = {
        let settings = settings.clone();
        Callback::new(move |()| {
            on_rejoin.run(JoinSettings {
                mic: ui.mic.get_untracked(),
                cam: ui.cam.get_untracked(),
                ..settings.clone()
            })
        })
    };

    let in_room = move || matches!(ui.phase.get(), Phase::Connecting | Phase::Joined);
    let presenting = Memo::new(move |_| !sharing(&ui).is_empty());
    let speaker_layout = move || ui.stage.view.get() == View::Speaker && !presenting.get();
    // One class string: a `class:` beside a changing `class=` would be overwritten by it.
    let grid_class = move || {
        let (cols, rows) = treff_shared::grid_shape(ui.members.with(Vec::len));
        let layout = if speaker_layout() {
            " speaker-layout"
        } else {
            ""
        };
        format!("grid cols-{cols} rows-{rows} pcols-{rows} prows-{cols}{layout}")
    };

    let featured_id = Memo::new(move |_| {
        let ids: Vec<_> = ui.members.with(|ms| ms.iter().map(|m| m.id).collect());
        featured(ui.stage.active.get(), &ids, ui.me.get())
    });

    let tiles = move || {
        view! {
            <For
                each=move || ui.members.get()
                key=|m: &Member| m.id
                children=move |m: Member| {
                    let id = m.id;
                    let is_self = ui.me.get_untracked() == Some(id);
                    let member = Signal::derive(move || {
                        ui.members.with(|ms| ms.iter().find(|x| x.id == id).cloned())
                    });
                    let stream = if is_self {
                        Signal::derive_local(move || ui.local_video.get())
                    } else {
                        Signal::derive_local(move || ui.streams.with(|s| s.get(&id).cloned()))
                    };
                    let reactions = Signal::derive(move || {
                        ui.reactions
                            .with(|rs| rs.iter().filter(|r| r.from == id).copied().collect())
                    });
                    let speaking = Signal::derive(move || ui.stage.speaking.get() == Some(id));
                    let featured = Signal::derive(move || featured_id.get() == Some(id));
                    view! { <Tile id is_self member stream reactions speaking featured /> }
                }
            />
        }
    };

    let body = move || match ui.phase.get() {
        Phase::Connecting => view! {
            <p class="status" role="status" data-testid="connecting">
                {t.connecting}
            </p>
        }
        .into_any(),
        Phase::Joined => view! {
            <Reconnecting
                room=ui
                on_give_up=Callback::new(move |()| with_session(&|s| s.give_up()))
            />
            <RecordingBar room=ui />
            <RecordingJobs />
            <ConsentDialog />
            <ModerationNotices />
            <div class="stage">
                <div class="main-area" class:presenting=move || presenting.get()>
                    <Presentations room=ui />
                    <section
                        class=grid_class
                        aria-label=t.tiles_label
                        data-testid="grid"
                    >
                        {tiles}
                    </section>
                </div>
                <ChatPanel room=ui actions=chat_actions />
                <ParticipantsPanel room=ui />
            </div>
            <HelpDialog open=ui.help_open />
            <MyDataDialog
                room=ui
                on_rename=Callback::new(move |name: String| with_session(&|s| s.rename(&name)))
                on_refresh=Callback::new(move |()| with_session(&|s| s.show_my_data()))
            />
            <p class="visually-hidden" role="status" data-testid="announcement">
                {move || ui.announcement.with(|a| a.as_ref().map(|a| a.text(t)))}
            </p>
        }
        .into_any(),
        Phase::Leaving | Phase::Over(_) => view! {
            <p class="status" role="status" data-testid="leaving">
                {t.leaving}
            </p>
        }
        .into_any(),
        Phase::Waiting => view! {
            <WaitingPage on_leave=Callback::new(move |()| with_session(&|s| s.leave_lobby())) />
        }
        .into_any(),
        Phase::Removed { banned } => view! { <RemovedPage banned /> }.into_any(),
        Phase::Refused(code) => view! {
            <RefusedView code on_password=retry_with_password on_back />
        }
        .into_any(),
        Phase::Lost(reason) => {
            let text = match reason {
                LostReason::Connection => t.connection_lost_text,
                LostReason::Outdated => t.outdated_page,
                LostReason::ServerRestart => t.server_going_away,
            };
            view! {
                <div class="page-card" data-testid="connection-lost" role="alert">
                    <h1>{t.connection_lost}</h1>
                    <p>{text}</p>
                    {(reason != LostReason::Outdated).then(|| view! { <AutoRejoin on_back=rejoin /> })}
                    <button type="button" class="primary" data-testid="rejoin" on:click=move |_| rejoin.run(())>
                        {t.rejoin}
                    </button>
                    <a href="/" data-testid="home-link">
                        {t.back_home}
                    </a>
                </div>
            }
            .into_any()
        }
    };

    let notice = move || {
        let notice = ui.notice.get()?;
        if !in_room() {
            return None;
        }
        let (text, test_id) = match notice {
            Notice::Server(code) => (t.error(code), "error"),
            Notice::Media(e) => (e.text(t), "media-error"),
            Notice::MediaConnection => (t.media_connection_failed, "error"),
        };
        Some(view! {
            <div class="banner" role="alert" data-testid=test_id>
                <span>{text}</span>
                <button type="button" on:click=move |_| ui.notice.set(None)>
                    {t.dismiss}
                </button>
            </div>
        })
    };

    view! {
        <main class="room" data-testid="room" data-view=move || ui.stage.view.get().name()>
            // The connection-lost card brings its own visible heading.
            <Show when=in_room>
                <h1 class="visually-hidden">{t.room_title}</h1>
            </Show>
            {notice}
            {body}
            <Show when=in_room>
                <ControlBar room=ui actions=controls />
            </Show>
        </main>
    }
}
