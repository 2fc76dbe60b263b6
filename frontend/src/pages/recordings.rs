//! `/m/:room/recordings#mod=<key>`: the finished recordings of a meeting, for its moderators. Each
//! is listed with its start, length and expiry; its files download with the moderator key in a
//! header; "delete now" removes it at once. Reached from the moderator link's pre-join page; works
//! after the meeting ended, until the recordings' retention ends.

use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::{RecordingSummary, RoomId};

use crate::chat::human_size;
use crate::components::confirm::Confirm;
use crate::i18n::{rec_texts, texts};
use crate::local_time::date_time_text;
use crate::moderation::key_from_location;
use crate::recording::{self, ApiFailure};

/// What the page shows.
#[derive(Clone, PartialEq)]
enum Listing {
    Loading,
    Loaded(Vec<RecordingSummary>),
    Failed(ApiFailure),
}

/// The recordings page.
#[component]
pub fn Recordings(room: String) -> impl IntoView {
    let t = texts();
    let rt = rec_texts();
    let room = RoomId::parse(&room).ok();
    let key = key_from_location();
    let listing = RwSignal::new(Listing::Loading);
    let confirming = RwSignal::new(None::<String>);
    let (Some(room), Some(key)) = (room, key) else {
        return view! {
            <main class="page-card" data-testid="recordings-page">
                <h1>{rt.page_title}</h1>
                <p role="alert">{rt.page_unauthorized}</p>
                <a href="/">{t.back_home}</a>
            </main>
        }
        .into_any();
    };
    let load = {
        let (room, key) = (room.clone(), key.clone());
        move || {
            let (room, key) = (room.clone(), key.clone());
            spawn_local(async move {
                let result = match recording::list(&room, &key).await {
                    Ok(list) => Listing::Loaded(list),
                    Err(e) => Listing::Failed(e),
                };
                let _ = listing.try_set(result);
            });
        }
    };
    load();
    let locale = t.locale;
    let row = {
        let (room, key) = (room.clone(), key.clone());
        move |r: RecordingSummary| {
            let files = r.files.iter().map(|f| {
                let (room, key, id, name) = (room.clone(), key.clone(), r.id.clone(), f.name.clone());
                let label = format!("{} ({})", f.name, human_size(f.bytes, t.decimal_separator));
                view! {
                    <button
                        type="button"
                        data-testid="recording-file"
                        data-file=f.name.clone()
                        on:click=move |_| {
                            let (room, key, id, name) = (room.clone(), key.clone(), id.clone(), name.clone());
                            spawn_local(async move {
                                if let Err(e) = recording::download(&room, &key, &id, &name).await {
                                    web_sys::console::warn_1(&format!("treff: download failed: {e:?}").into());
                                }
                            });
                        }
                    >
                        {label}
                    </button>
                }
            });
            let id = r.id.clone();
            view! {
                <tr data-testid="recording-row" data-recording-id=r.id.clone()>
                    <td>{date_time_text(r.started_at_ms, locale)}</td>
                    <td data-testid="recording-duration">{duration_text(r.duration_ms)}</td>
                    <td>{date_time_text(r.expires_at_ms, locale)}</td>
                    <td class="recording-files">{files.collect_view()}</td>
                    <td>
                        <button
                            type="button"
                            class="danger"
                            data-testid="recording-delete"
                            on:click=move |_| confirming.set(Some(id.clone()))
                        >
                            {rt.delete_now}
                        </button>
                    </td>
                </tr>
            }
        }
    };
    let delete = {
        let (room, key) = (room.clone(), key.clone());
        let load = load.clone();
        Callback::new(move |()| {
            let Some(id) = confirming.get_untracked() else {
                return;
            };
            confirming.set(None);
            let (room, key, load) = (room.clone(), key.clone(), load.clone());
            spawn_local(async move {
                if recording::delete(&room, &key, &id).await.is_err() {
                    let _ = listing.try_set(Listing::Failed(ApiFailure::Failed));
                    return;
                }
                load();
            });
        })
    };
    let body = move || match listing.get() {
        Listing::Loading => view! { <p role="status">{t.connecting}</p> }.into_any(),
        Listing::Failed(ApiFailure::Unauthorized) => {
            view! { <p role="alert">{rt.page_unauthorized}</p> }.into_any()
        }
        Listing::Failed(ApiFailure::Failed) => {
            view! { <p role="alert">{rt.page_failed}</p> }.into_any()
        }
        Listing::Loaded(list) if list.is_empty() => {
            view! { <p data-testid="recordings-empty">{rt.page_empty}</p> }.into_any()
        }
        Listing::Loaded(list) => view! {
            <table class="recordings-table">
                <thead>
                    <tr>
                        <th scope="col">{rt.col_started}</th>
                        <th scope="col">{rt.col_duration}</th>
                        <th scope="col">{rt.col_expires}</th>
                        <th scope="col">{rt.col_files}</th>
                        <th scope="col"><span class="visually-hidden">{rt.delete_now}</span></th>
                    </tr>
                </thead>
                <tbody>{list.into_iter().map(row.clone()).collect_view()}</tbody>
            </table>
        }
        .into_any(),
    };
    view! {
        <main class="page-card recordings-page" data-testid="recordings-page">
            <h1>{rt.page_title}</h1>
            <p>{rt.page_note}</p>
            {body}
            <Show when=move || confirming.with(Option::is_some)>
                <Confirm
                    question=rt.delete_confirm
                    on_confirm=delete
                    on_cancel=Callback::new(move |()| confirming.set(None))
                />
            </Show>
            <a href="/">{t.back_home}</a>
        </main>
    }
    .into_any()
}

/// "1:02:03" or "2:03" for a length in milliseconds.
fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::duration_text;

    #[test]
    fn durations_read_like_a_player_shows_them() {
        assert_eq!(duration_text(0), "0:00");
        assert_eq!(duration_text(9_999), "0:09");
        assert_eq!(duration_text(125_000), "2:05");
        assert_eq!(duration_text(3_723_000), "1:02:03");
    }
}
