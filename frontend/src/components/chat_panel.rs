//! The chat panel beside the tiles: the messages, newest in view, the composer, the transcript
//! download, and dropping a file onto it to send it.
//!
//! The panel stays mounted while closed (only hidden, see [`SidePanel`]), so the draft, the chosen
//! recipient and the scroll position survive closing and opening it. The transcript is made here, in the browser, from
//! the messages this participant holds: nothing goes to the server for it.

use leptos::ev::DragEvent;
use leptos::html;
use leptos::prelude::*;

use crate::chat::{ChatActions, ChatEntry, transcript};
use crate::components::chat_composer::ChatComposer;
use crate::components::chat_message::ChatMessageItem;
use crate::components::chat_toggle::TOGGLE_ID;
use crate::components::icons::DownloadIcon;
use crate::components::side_panel::{PanelActions, SidePanel};
use crate::i18n::{Texts, texts};
use crate::session::RoomUi;
use crate::{local_time, save_file};

/// The panel's element id.
pub const PANEL_ID: &str = "chat-panel";

/// Saves the chat as `treff-chat-<date>.txt`, dated by its first message (or today).
fn export(entries: &[ChatEntry], t: &Texts) {
    let now = local_time::now_ms();
    let first = entries.first().map_or(now, |e| e.message.sent_at_ms);
    let text = transcript(
        entries,
        t,
        &local_time::date_text(first, t.locale),
        local_time::clock,
    );
    let file_name = format!("treff-chat-{}.txt", local_time::file_date(now));
    if let Err(e) = save_file::save_text(&text, &file_name) {
        web_sys::console::error_2(&"treff: cannot save the chat".into(), &e);
    }
}

/// Whether a drag carries files (and not, say, selected text).
fn carries_files(ev: &DragEvent) -> bool {
    ev.data_transfer()
        .is_some_and(|d| d.types().includes(&"Files".into(), 0))
}

/// The chat panel.
#[component]
pub fn ChatPanel(
    /// The room: its chat, and who is there to write to.
    room: RoomUi,
    /// Sending, attaching (chosen or dropped files) and downloading.
    actions: ChatActions,
) -> impl IntoView {
    let t = texts();
    let chat = room.chat;
    let on_download = actions.download;
    let on_erase = actions.erase;
    let list_ref = NodeRef::<html::Ol>::new();
    // dragenter/dragleave fire for every child crossed: a depth counter tells when the drag is
    // really over the panel.
    let drag_depth = RwSignal::new(0_i32);
    let dropping = move || drag_depth.get() > 0;

    // The newest message in view: after every new message and whenever the panel opens.
    Effect::new(move |_| {
        chat.entries.with(Vec::len);
        if chat.open.get() {
            // After the next frame, when the new message is laid out.
            request_animation_frame(move || {
                if let Some(list) = list_ref.get_untracked() {
                    list.set_scroll_top(list.scroll_height());
                }
            });
        }
    });

    let close = Callback::new(move |()| chat.set_open(false));
    let on_drag_enter = move |ev: DragEvent| {
        if carries_files(&ev) {
            drag_depth.update(|d| *d += 1);
        }
    };
    let on_drag_leave = move |ev: DragEvent| {
        if carries_files(&ev) {
            drag_depth.update(|d| *d = (*d - 1).max(0));
        }
    };
    // Without `preventDefault` on dragover the browser would not allow the drop (it would open the
    // file itself, which must never happen: no attachment is rendered inline).
    let on_drag_over = move |ev: DragEvent| {
        if carries_files(&ev) {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        drag_depth.set(0);
        let file = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|files| files.get(0));
        if let Some(file) = file
            && chat.upload.with_untracked(Option::is_none)
        {
            actions.send_file.run(file);
        }
    };

    view! {
        <SidePanel
            id=PANEL_ID
            toggle_id=TOGGLE_ID
            test_id="chat-panel"
            title=t.chat.to_owned()
            close_label=t.chat_close
            open=chat.open
            on_close=close
            class:chat-panel=true
            class:dropping=dropping
            on:dragenter=on_drag_enter
            on:dragleave=on_drag_leave
            on:dragover=on_drag_over
            on:drop=on_drop
        >
            <PanelActions slot>
                <button
                    type="button"
                    class="icon-button"
                    data-testid="chat-export"
                    aria-label=t.chat_export
                    title=t.chat_export
                    on:click=move |_| chat.entries.with_untracked(|entries| export(entries, t))
                >
                    <DownloadIcon />
                </button>
            </PanelActions>
            <ol class="chat-list" node_ref=list_ref aria-live="polite" aria-relevant="additions">
                <For
                    each=move || chat.entries.get()
                    // The name is part of the key: a rename shows on the messages at once.
                    key=|entry: &ChatEntry| (entry.message.id, entry.message.name.clone())
                    children=move |entry| view! { <ChatMessageItem entry on_download on_erase /> }
                />
            </ol>
            <Show when=move || chat.entries.with(Vec::is_empty)>
                <p class="chat-empty">{t.chat_empty}</p>
            </Show>
            <ChatComposer room actions />
            <div class="chat-drop-hint" aria-hidden="true">
                {t.chat_drop_hint}
            </div>
        </SidePanel>
    }
}
