//! "My data" (R10 of the privacy notice): a modal dialog with everything the server holds about this
//! participant right now, as the server answered `ClientMsg::MyData` (never the page's own copy),
//! and a download of it as JSON (access and portability). Above it, the meeting's privacy status:
//! how media and chat travel, whether a recording runs and who agreed, how long the session log is
//! kept, that no third party is involved, and the notice's version with a link to it.

use leptos::html;
use leptos::prelude::*;
use treff_shared::{Consent, MyData};

use crate::chat::human_size;
use crate::components::modal::follow_open;
use crate::i18n::{ModerationTexts, privacy_texts, texts};
use crate::local_time::{date_time_text, file_date};
use crate::recording::recording_ctx;
use crate::session::RoomUi;
use crate::{json, save_file};

/// The dialog, opened by `room.my_data_open`; `room.my_data` is `None` until the server's answer
/// arrives.
#[component]
pub fn MyDataDialog(
    /// The room's state.
    room: RoomUi,
    /// Called with a new display name.
    on_rename: Callback<String>,
    /// Asks the server again (after an objection to the recording).
    on_refresh: Callback<()>,
) -> impl IntoView {
    let pt = privacy_texts();
    let open = room.my_data_open;
    let data = room.my_data;
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
            <PrivacyStatus room />
            <p class="hint">{pt.intro}</p>
            {move || match data.get() {
                None => view! { <p role="status">{pt.loading}</p> }.into_any(),
                Some(d) => view! { <MyDataContent data=d on_rename on_refresh /> }.into_any(),
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

/// The meeting's privacy status.
#[component]
fn PrivacyStatus(room: RoomUi) -> impl IntoView {
    let pt = privacy_texts();
    let https = web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "https:");
    let recording = move || {
        let Some(ctx) = recording_ctx() else {
            return pt.no_recording.to_owned();
        };
        ctx.ui.state.with(|state| {
            let Some(state) = state else {
                return pt.no_recording.to_owned();
            };
            let agreed: Vec<String> = room.members.with(|members| {
                state
                    .answers
                    .iter()
                    .filter(|a| a.consent == Consent::Yes)
                    .filter_map(|a| members.iter().find(|m| m.id == a.id))
                    .map(|m| m.name.clone())
                    .collect()
            });
            let agreed = if agreed.is_empty() {
                pt.none.to_owned()
            } else {
                agreed.join(", ")
            };
            let pattern = if state.capturing {
                pt.recording_running
            } else {
                pt.recording_waiting
            };
            ModerationTexts::fill(pattern, &agreed)
        })
    };
    let on_hold = move || {
        room.my_data
            .with(|d| d.as_ref().is_some_and(|d| d.log_on_hold))
    };
    let version = move || {
        room.my_data
            .with(|d| d.as_ref().map(|d| d.notice_version.clone()))
            .unwrap_or_else(|| "…".into())
    };
    view! {
        <section class="privacy-status" data-testid="privacy-status" aria-labelledby="privacy-status-title">
            <h3 id="privacy-status-title">{pt.status_title}</h3>
            <ul>
                <li>{pt.media_encrypted}</li>
                <li data-testid="privacy-status-tls">{if https { pt.tls_on } else { pt.tls_off }}</li>
                <li data-testid="privacy-status-recording">{recording}</li>
                <li data-testid="privacy-status-log">
                    {move || if on_hold() { pt.log_on_hold } else { pt.log_until_end }}
                </li>
                <li>{pt.no_third_party}</li>
                <li>
                    <a href="/privacy" target="_blank" rel="noopener" data-testid="privacy-status-notice">
                        {move || ModerationTexts::fill(pt.notice_version, &version())}
                    </a>
                </li>
            </ul>
        </section>
    }
}

/// What the server answered, laid out.
#[component]
fn MyDataContent(
    data: MyData,
    on_rename: Callback<String>,
    on_refresh: Callback<()>,
) -> impl IntoView {
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
    // Objection and restriction: while a recording exists and the answer is not "no" already, one
    // click answers "no" (a "yes" is withdrawn), then the server's updated answer is fetched.
    let object = recording_ctx()
        .filter(|ctx| ctx.ui.state.with_untracked(Option::is_some))
        .filter(|_| data.recording_answer != Some(Consent::No))
        .map(|ctx| {
            view! {
                <button
                    type="button"
                    class="danger"
                    data-testid="my-data-object"
                    on:click=move |_| {
                        ctx.consent.run(Consent::No);
                        on_refresh.run(());
                    }
                >
                    {pt.object}
                </button>
            }
        });
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
            <dd>
                <span data-testid="my-data-recording">{answer}</span>
                {object}
            </dd>
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
