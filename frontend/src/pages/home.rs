//! The home page: start a new meeting, or join one from a pasted link or id.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::i18n::texts;
use crate::room_link::{meeting_path, new_room_id, parse_join_input};

/// `/`.
#[component]
pub fn Home() -> impl IntoView {
    let t = texts();
    let navigate = use_navigate();
    let input = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);

    let new_meeting = {
        let navigate = navigate.clone();
        move |_| match new_room_id() {
            Some(room) => navigate(&meeting_path(&room), Default::default()),
            // Without Web Crypto there is no safe id; saying nothing would hide the failure.
            None => web_sys::console::error_1(&"treff: no crypto.getRandomValues".into()),
        }
    };
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_join_input(&input.get_untracked()) {
            Some(room) => navigate(&meeting_path(&room), Default::default()),
            None => invalid.set(true),
        }
    };

    view! {
        <main class="home">
            <h1>{t.app_name}</h1>
            <p class="tagline">{t.home_tagline}</p>
            <button type="button" class="primary big" data-testid="new-meeting" on:click=new_meeting>
                {t.new_meeting}
            </button>
            <form class="join-form" on:submit=join>
                <label for="join-input">{t.join_label}</label>
                <div class="row">
                    <input
                        id="join-input"
                        data-testid="join-input"
                        type="text"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder=t.join_placeholder
                        prop:value=move || input.get()
                        on:input=move |ev| {
                            input.set(event_target_value(&ev));
                            invalid.set(false);
                        }
                    />
                    <button type="submit" data-testid="join-submit">
                        {t.join_submit}
                    </button>
                </div>
                <Show when=move || invalid.get()>
                    <p class="error" role="alert" data-testid="join-error">
                        {t.join_invalid}
                    </p>
                </Show>
            </form>
            <footer>
                <a href="/privacy" data-testid="privacy-link">
                    {t.privacy_link}
                </a>
            </footer>
        </main>
    }
}
