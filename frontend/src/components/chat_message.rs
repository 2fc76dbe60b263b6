//! One chat message: sender, local time, a mark if private, the text, and an attached file as a
//! download button.
//!
//! Everything the sender chose (name, text, file name) goes into text nodes only: a URL stays plain
//! text, never a link, never fetched or previewed, and an attachment is never shown inline.

use leptos::prelude::*;
use treff_shared::{Attachment, MessageId};

use crate::chat::{ChatEntry, human_size};
use crate::components::icons::{DownloadIcon, TrashIcon};
use crate::i18n::{privacy_texts, texts};
use crate::local_time;

/// A message in the chat list.
#[component]
pub fn ChatMessageItem(
    /// The message.
    entry: ChatEntry,
    /// Called when the person asks for the attached file.
    on_download: Callback<Attachment>,
    /// Called when the person erases their own message.
    on_erase: Callback<MessageId>,
) -> impl IntoView {
    let t = texts();
    let pt = privacy_texts();
    let ChatEntry {
        message,
        own,
        private,
    } = entry;
    let id = message.id;
    let erase = own.then(|| {
        view! {
            <button
                type="button"
                class="chat-erase icon-only"
                data-testid="chat-erase"
                aria-label=pt.erase_message
                title=pt.erase_message
                on:click=move |_| on_erase.run(id)
            >
                <TrashIcon />
            </button>
        }
    });
    let private_label = private.as_ref().map(|p| p.label(t));
    let attachment = message.attachment.map(|a| {
        let size = human_size(a.size, t.decimal_separator);
        let label = t.download_file(&a.name, &size);
        let name = a.name.clone();
        view! {
            <button
                type="button"
                class="chat-attachment"
                data-testid="chat-attachment"
                aria-label=label
                on:click=move |_| on_download.run(a.clone())
            >
                <DownloadIcon />
                <span class="chat-attachment-name">{name}</span>
                <span class="chat-attachment-size">{size}</span>
            </button>
        }
    });
    let text = (!message.text.is_empty()).then(|| {
        view! {
            <p class="chat-text" data-testid="chat-message-text">
                {message.text}
            </p>
        }
    });

    view! {
        <li
            class="chat-message"
            class:own=own
            class:private=private.is_some()
            data-testid="chat-message"
            data-from=message.from.0.to_string()
            data-private=if private.is_some() { "true" } else { "false" }
        >
            <div class="chat-meta">
                <span class="chat-name" data-testid="chat-message-name">
                    {message.name}
                </span>
                {private_label.map(|label| view! { <span class="chat-private">{label}</span> })}
                <time
                    class="chat-time"
                    data-testid="chat-message-time"
                    datetime=local_time::iso(message.sent_at_ms)
                >
                    {local_time::clock(message.sent_at_ms)}
                </time>
                {erase}
            </div>
            {text}
            {attachment}
        </li>
    }
}
