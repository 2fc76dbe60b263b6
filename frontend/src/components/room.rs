//! The room: the tile grid, the chat panel beside it, the control bar (mic, camera, chat, leave),
//! and the states around it (connecting, refused, connection lost, leaving, error banners).
//!
//! The component owns one [`Session`]; unmounting it (leaving, rejoining, navigating away) shuts the
//! session down, which releases socket, peer connection and devices. When the session is over (left,
//! or the conference ended) the component hands over to the "left" view with the session's receipt.

use std::rc::Rc;

use leptos::prelude::*;
use treff_shared::{DeletionReceipt, RoomId};

use crate::chat::ChatActions;
use crate::components::chat_panel::ChatPanel;
use crate::components::chat_toggle::ChatToggle;
use crate::components::icons::LeaveIcon;
use crate::components::media_toggle::MediaToggle;
use crate::components::tile::Tile;
use crate::i18n::texts;
use crate::media::Device;
use crate::session::{JoinSettings, LostReason, Member, Notice, Phase, RoomUi, Session};

/// Columns and rows for `n` tiles: as square as possible, so 1..=20 tiles fill the screen without
/// scrolling. Landscape screens use `(cols, rows)`, portrait ones the transpose.
fn grid_shape(n: usize) -> (usize, usize) {
    let n = n.max(1);
    let mut cols = 1;
    while cols * cols < n {
        cols += 1;
    }
    (cols, n.div_ceil(cols))
}

/// A running meeting.
#[component]
pub fn Room(
    /// The meeting.
    room: RoomId,
    /// Name, devices and initial mic/camera from the pre-join screen.
    settings: JoinSettings,
    /// Called when the stay is over: after leaving on purpose, or when the conference ended, then
    /// with the server's deletion receipt.
    on_left: Callback<Option<DeletionReceipt>>,
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
    let toggle_mic = Callback::new(move |()| with_session(&|s| s.toggle(Device::Mic)));
    let toggle_cam = Callback::new(move |()| with_session(&|s| s.toggle(Device::Cam)));
    let leave = move |_| with_session(&|s| s.leave());
    Effect::new(move |_| {
        if let Phase::Over(receipt) = ui.phase.get() {
            on_left.run(receipt);
        }
    });
    let chat = ui.chat;
    let toggle_chat = Callback::new(move |()| chat.set_open(!chat.open.get_untracked()));
    let chat_actions = ChatActions {
        send: Callback::new(move |()| with_session(&|s| s.send_chat())),
        send_file: Callback::new(move |file: web_sys::File| {
            with_session(&|s| s.send_file(file.clone()));
        }),
        download: Callback::new(move |attachment: treff_shared::Attachment| {
            with_session(&|s| s.download(attachment.clone()));
        }),
    };
    let rejoin = {
        let settings = settings.clone();
        move |_| {
            on_rejoin.run(JoinSettings {
                mic: ui.mic.get_untracked(),
                cam: ui.cam.get_untracked(),
                ..settings.clone()
            })
        }
    };

    let in_room = move || matches!(ui.phase.get(), Phase::Connecting | Phase::Joined);
    let grid_class = move || {
        let (cols, rows) = grid_shape(ui.members.with(Vec::len));
        format!("grid cols-{cols} rows-{rows} pcols-{rows} prows-{cols}")
    };

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
                    view! { <Tile id is_self member stream /> }
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
            <div class="stage">
                <section class=grid_class aria-label=t.participants_label data-testid="grid">
                    {tiles}
                </section>
                <ChatPanel room=ui actions=chat_actions />
            </div>
        }
        .into_any(),
        Phase::Leaving | Phase::Over(_) => view! {
            <p class="status" role="status" data-testid="leaving">
                {t.leaving}
            </p>
        }
        .into_any(),
        Phase::Refused(code) => view! {
            <div class="page-card">
                <p class="error" role="alert" data-testid="error">
                    {t.error(code)}
                </p>
                <button type="button" data-testid="back" on:click=move |_| on_back.run(())>
                    {t.back}
                </button>
            </div>
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
                    <button type="button" class="primary" data-testid="rejoin" on:click=rejoin.clone()>
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
        <main class="room" data-testid="room">
            {notice}
            {body}
            <Show when=in_room>
                <nav class="controls" aria-label=t.controls_label>
                    <MediaToggle
                        device=Device::Mic
                        on=ui.mic
                        busy=ui.mic_busy
                        test_id="toggle-mic"
                        on_toggle=toggle_mic
                    />
                    <MediaToggle
                        device=Device::Cam
                        on=ui.cam
                        busy=ui.cam_busy
                        test_id="toggle-cam"
                        on_toggle=toggle_cam
                    />
                    <ChatToggle open=chat.open unread=chat.unread on_toggle=toggle_chat />
                    <button type="button" class="leave" data-testid="leave" on:click=leave>
                        <LeaveIcon />
                        <span class="toggle-label">{t.leave}</span>
                    </button>
                </nav>
            </Show>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::grid_shape;

    #[test]
    fn grids_stay_square_enough() {
        assert_eq!(grid_shape(1), (1, 1));
        assert_eq!(grid_shape(2), (2, 1));
        assert_eq!(grid_shape(4), (2, 2));
        assert_eq!(grid_shape(5), (3, 2));
        assert_eq!(grid_shape(10), (4, 3));
        assert_eq!(grid_shape(20), (5, 4));
    }
}
