//! "My data" (R10 of the privacy notice): a modal dialog with everything the server holds about this
//! participant right now, as the server answered `ClientMsg::MyData` (never the page's own copy),
//! and a download of it as JSON (access and portability).

use leptos::html;
use leptos::prelude::*;
use treff_shared::{Consent, MyData};

use crate::chat::human_size;
use crate::components::modal::follow_open;
use crate::i18n::{privacy_texts, texts};
use crate::local_time::{date_time_text, file_date};
use crate::{json, save_file};

/// The dialog; `data` is `None` until the server's answer arrives.
#[component]
pub fn MyDataDialog(
    /// The dialog is open.
    open: RwSignal<bool>,
    /// The server's latest answer.
    #[prop(into)]
    data: Signal<Option<MyData>>,
    /// Called with a new display name.
    on_rename: Callback<String>,
) -> impl IntoView {
    let pt = privacy_texts();
    let dialog_ref = NodeRef::<html::Dialog>::new();
    follow_open(dialog_ref, open, "my data");
    let download = move |_| {
        let Some(d) = data.get_untracked() else {
            return;
        };
        let saved = json::encode(&d).map_err(|e| e.into()).and_then(|text| {
            save_file::save_text(
                &text,
                &format!(
                    "treff-my-data-{}.json",
                    file_date(d.conference_started_at_ms)
                ),
            )
        });
        if let Err(e) = saved {
            web_sys::console::error_2(&"treff: cannot save my data".into(), &e);
        }
    };
    view! {
        <dialog
            node_ref=dialog_ref
            class="my-data-dialog"
            data-testid="my-data"
            aria-labelledby="my-data-title"
            on:close=move |_| open.set(false)
        >
            <h2 id="my-data-title">{pt.my_data}</h2>
            <p class="hint">{pt.intro}</p>
            {move || match data.get() {
                None => view! { <p role="status">{pt.loading}</p> }.into_any(),
                Some(d) => view! { <MyDataContent data=d on_rename /> }.into_any(),
            }}
            <form method="dialog" class="dialog-actions">
                <button
                    type="button"
                    data-testid="my-data-download"
                    disabled=move || data.with(Option::is_none)
                    on:click=download
                >
                    {pt.download}
                </button>
                <button type="submit" class="primary" data-testid="my-data-close" autofocus=true>
                    {pt.close}
                </button>
            </form>
        </dialog>
    }
}

/// What the server answered, laid out.
#[component]
fn MyDataContent(data: MyData, on_rename: Callback<String>) -> impl IntoView {
    let pt = privacy_texts();
    let new_name = RwSignal::new(data.name.clone());
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_rename.run(new_name.get_untracked());
    };
    let t = texts();
    let locale = t.locale;
    let opt = |v: Option<String>| v.unwrap_or_else(|| "–".into());
    let role = if data.moderator {
        pt.moderator
    } else {
        pt.participant
    };
    let answer = match data.recording_answer {
        Some(Consent::Yes) => pt.answers[0],
        Some(Consent::No) => pt.answers[1],
        None => pt.answers[2],
    };
    let log = data
        .log
        .into_iter()
        .map(|e| {
            view! {
                <tr data-testid="my-data-log-entry">
                    <td>{date_time_text(e.at_ms, locale)}</td>
                    <td>{pt.event(e.event)}</td>
                    <td>{opt(e.browser)}</td>
                    <td>{opt(e.os)}</td>
                    <td data-testid="my-data-address">{opt(e.address)}</td>
                    <td>{opt(e.referrer)}</td>
                </tr>
            }
        })
        .collect_view();
    let messages = data
        .messages
        .into_iter()
        .map(|m| {
            let to = if m.to.is_some() {
                pt.privately
            } else {
                pt.to_everyone
            };
            let file = m.attachment.map(|a| {
                format!(
                    " [{} · {}]",
                    a.name,
                    human_size(a.size, t.decimal_separator)
                )
            });
            view! {
                <li data-testid="my-data-message">
                    <span class="meta">{date_time_text(m.sent_at_ms, locale)} " · " {to}</span>
                    " "
                    <span class="text">{m.text}</span>
                    {file}
                </li>
            }
        })
        .collect_view();
    let no_messages = messages.is_empty();
    view! {
        <dl class="my-data-facts">
            <dt>{pt.name}</dt>
            <dd data-testid="my-data-name">{data.name}</dd>
            <dt>{pt.role}</dt>
            <dd>{role}</dd>
            <dt>{pt.started}</dt>
            <dd>{date_time_text(data.conference_started_at_ms, locale)}</dd>
            <dt>{pt.recording}</dt>
            <dd data-testid="my-data-recording">{answer}</dd>
        </dl>
        <form class="my-data-rename" on:submit=rename>
            <label for="my-data-new-name">{pt.rename_label}</label>
            <input
                id="my-data-new-name"
                data-testid="my-data-new-name"
                autocomplete="off"
                bind:value=new_name
            />
            <button type="submit" data-testid="my-data-rename">{pt.rename_save}</button>
        </form>
        <h3>{pt.log}</h3>
        <p class="hint">{pt.log_note}</p>
        <div class="table-scroll">
            <table class="my-data-log">
                <thead>
                    <tr>{pt.columns.map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{log}</tbody>
            </table>
        </div>
        <h3>{pt.messages}</h3>
        {if no_messages {
            view! { <p>{pt.none}</p> }.into_any()
        } else {
            view! { <ul class="my-data-messages">{messages}</ul> }.into_any()
        }}
    }
}
