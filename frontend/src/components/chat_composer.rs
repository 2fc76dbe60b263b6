//! The chat's composer: recipient (everyone or one participant), the text area, attaching a file, the
//! upload's progress and the latest problem.
//!
//! Enter sends and Shift+Enter starts a new line (an input method still composing keeps its Enter).
//! The file input is hidden behind a labelled button, the usual accessible pattern: the button takes
//! the focus, the input does the choosing.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use treff_shared::ParticipantId;
use web_sys::HtmlInputElement;

use crate::chat::{ChatActions, Recipient};
use crate::components::icons::{AttachIcon, SendIcon};
use crate::i18n::texts;
use crate::session::RoomUi;

/// The composer at the bottom of the chat panel.
#[component]
pub fn ChatComposer(
    /// The room: its chat (draft, recipient, upload, problem) and who is there to write to.
    room: RoomUi,
    /// Sending and attaching.
    actions: ChatActions,
) -> impl IntoView {
    let t = texts();
    let RoomUi {
        chat, members, me, ..
    } = room;
    let on_send = actions.send;
    let on_file = actions.send_file;
    let input_ref = NodeRef::<html::Textarea>::new();
    let file_ref = NodeRef::<html::Input>::new();
    let uploading = Signal::derive(move || chat.upload.with(Option::is_some));

    // The person opened the panel to write: the text area gets the focus. After the next frame,
    // because the panel is only displayed once the DOM has caught up with `open`.
    Effect::new(move |_| {
        if chat.open.get() {
            request_animation_frame(move || {
                if let Some(input) = input_ref.get_untracked() {
                    // Focus can fail on a hidden element; the person can still click in.
                    let _ = input.focus();
                }
            });
        }
    });

    let others = move || {
        let me = me.get();
        members.with(|ms| {
            ms.iter()
                .filter(|m| Some(m.id) != me)
                .map(|m| (m.id, m.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    // A chosen recipient who left stays selected (marked), so nothing private goes to everyone
    // by surprise; sending to them is refused.
    let departed = move || {
        chat.recipient
            .get()
            .filter(|r| members.with(|ms| ms.iter().all(|m| m.id != r.id)))
    };
    let is_chosen = move |id: ParticipantId| {
        chat.recipient
            .with(|r| r.as_ref().map(|r| r.id) == Some(id))
    };
    let choose = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev)
            .parse::<u64>()
            .ok()
            .map(ParticipantId);
        let chosen = id.and_then(|id| {
            members.with_untracked(|ms| {
                ms.iter().find(|m| m.id == id).map(|m| Recipient {
                    id,
                    name: m.name.clone(),
                })
            })
        });
        // Picking the departed one again keeps them; anything else is a fresh choice.
        if chosen.is_some() || id.is_none() {
            chat.recipient.set(chosen);
        }
    };

    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            on_send.run(());
        }
    };
    let on_chosen_file = move |ev: leptos::ev::Event| {
        let input: HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            on_file.run(file);
        }
        // Cleared, so choosing the same file again is a change too.
        input.set_value("");
    };

    view! {
        <form
            class="chat-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                on_send.run(());
            }
        >
            <div class="chat-recipient">
                <label for="chat-recipient">{t.chat_recipient_label}</label>
                <select id="chat-recipient" data-testid="chat-recipient" on:change=choose>
                    <option value="" prop:selected=move || chat.recipient.with(Option::is_none)>
                        {t.chat_everyone}
                    </option>
                    <For
                        each=others
                        key=|other| other.clone()
                        children=move |(id, name)| {
                            view! {
                                <option value=id.0.to_string() prop:selected=move || is_chosen(id)>
                                    {name}
                                </option>
                            }
                        }
                    />
                    {move || {
                        departed()
                            .map(|r| {
                                view! {
                                    <option value=r.id.0.to_string() prop:selected=true>
                                        {format!("{} {}", r.name, t.chat_recipient_left)}
                                    </option>
                                }
                            })
                    }}
                </select>
            </div>
            <label for="chat-input" class="visually-hidden">
                {t.chat_input_label}
            </label>
            <textarea
                id="chat-input"
                node_ref=input_ref
                class="chat-input"
                data-testid="chat-input"
                rows="2"
                placeholder=t.chat_input_placeholder
                prop:value=move || chat.draft.get()
                on:input=move |ev| chat.draft.set(event_target_value(&ev))
                on:keydown=on_keydown
            ></textarea>
            <div class="chat-actions">
                <input
                    type="file"
                    node_ref=file_ref
                    class="visually-hidden"
                    tabindex="-1"
                    aria-hidden="true"
                    data-testid="chat-attach"
                    disabled=uploading
                    on:change=on_chosen_file
                />
                <button
                    type="button"
                    class="icon-button"
                    aria-label=t.chat_attach
                    title=t.chat_attach
                    disabled=uploading
                    on:click=move |_| {
                        if let Some(input) = file_ref.get_untracked() {
                            input.click();
                        }
                    }
                >
                    <AttachIcon />
                </button>
                <Show when=move || uploading.get()>
                    <progress
                        class="chat-progress"
                        data-testid="chat-upload-progress"
                        aria-label=t.chat_uploading
                        max=move || chat.upload.with(|p| p.map_or(1, |p| p.total).to_string())
                        value=move || chat.upload.with(|p| p.map_or(0, |p| p.sent).to_string())
                    ></progress>
                </Show>
                <button type="submit" class="primary chat-send" data-testid="chat-send">
                    <SendIcon />
                    <span>{t.chat_send}</span>
                </button>
            </div>
            {move || {
                chat.problem
                    .get()
                    .map(|problem| {
                        view! {
                            <p class="chat-error" role="alert" data-testid="chat-error">
                                {problem.text(t)}
                            </p>
                        }
                    })
            }}
        </form>
    }
}
