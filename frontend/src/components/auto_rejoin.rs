//! Coming back by itself once the server is back: after the server restarted (the meeting ended
//! with "the server is restarting") or the connection was lost, the page asks the server, with a
//! growing pause and some jitter (so a whole meeting does not knock at the same instant), whether
//! it answers again, and then rejoins the same link. A button stops trying; the page's own "Rejoin"
//! button stays.

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestInit, Response};

use crate::backoff::pause_ms;
use crate::i18n::{ModerationTexts, texts};

/// The "coming back by itself" line with its stop button; runs `on_back` once the server answers.
#[component]
pub fn AutoRejoin(
    /// Rejoins the meeting.
    on_back: Callback<()>,
) -> impl IntoView {
    let t = texts();
    let tries = RwSignal::new(0u32);
    let stopped = RwSignal::new(false);
    spawn_local(async move {
        loop {
            let n = tries.try_get_untracked().unwrap_or_default();
            TimeoutFuture::new(pause_ms(n, js_sys::Math::random())).await;
            // Stopped by the person, or the page moved on (the signal is gone with its component).
            if stopped.try_get_untracked() != Some(false) {
                return;
            }
            if server_answers().await {
                if stopped.try_get_untracked() == Some(false) {
                    on_back.run(());
                }
                return;
            }
            tries.try_update(|n| *n += 1);
        }
    });
    view! {
        <Show when=move || !stopped.get()>
            <p role="status" data-testid="auto-rejoin">
                {move || ModerationTexts::fill(t.rejoining, &(tries.get() + 1).to_string())}
            </p>
            <button type="button" data-testid="auto-rejoin-stop" on:click=move |_| stopped.set(true)>
                {t.rejoin_stop}
            </button>
        </Show>
    }
}

/// Whether the server answers a plain request for its page (never from the browser's cache).
async fn server_answers() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_cache(RequestCache::NoStore);
    JsFuture::from(window.fetch_with_str_and_init("/", &init))
        .await
        .ok()
        .and_then(|r| r.dyn_into::<Response>().ok())
        .is_some_and(|r| r.ok())
}
