//! The home page: start a new meeting, or join one from a pasted link or id.

use leptos::prelude::*;

use crate::app::go_to;
use crate::i18n::{mod_texts, texts};
use crate::meetings_api::{CreateError, create_meeting};
use crate::moderation::{moderator_fragment, moderator_fragment_of};
use crate::room_link::{meeting_path, parse_join_input};

/// `/`.
#[component]
pub fn Home() -> impl IntoView {
    let t = texts();
    let input = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);

    let mt = mod_texts();
    // `Some` once the server asked for the organiser password (the form shows).
    let organiser_password = RwSignal::new(None::<String>);
    let create_error = RwSignal::new(None::<CreateError>);
    let creating = RwSignal::new(false);
    let create = move || {
        if creating.get_untracked() {
            return;
        }
        creating.set(true);
        let password = organiser_password.get_untracked();
        leptos::task::spawn_local(async move {
            let result = create_meeting(password.clone()).await;
            let _ = creating.try_set(false);
            match result {
                // The moderator key goes into the fragment only: never into a request line.
                Ok(meeting) => go_to(&format!(
                    "{}{}",
                    meeting_path(&meeting.room),
                    moderator_fragment(&meeting.moderator_key)
                )),
                Err(e) => {
                    // A first 403 only opens the form; a wrong password says so.
                    let asked = e == CreateError::OrganiserPassword && password.is_none();
                    if e == CreateError::OrganiserPassword {
                        let _ = organiser_password.try_set(Some(password.unwrap_or_default()));
                    }
                    let _ = create_error.try_set((!asked).then_some(e));
                }
            }
        });
    };
    let new_meeting = move |_| create();
    let submit_organiser = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create();
    };
    let join = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = input.get_untracked();
        match parse_join_input(&text) {
            // A pasted moderator link stays one.
            Some(room) => go_to(&format!(
                "{}{}",
                meeting_path(&room),
                moderator_fragment_of(&text)
            )),
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
            <Show when=move || organiser_password.with(Option::is_some)>
                <form class="organiser-form" on:submit=submit_organiser>
                    <label for="organiser-password">{mt.organiser_password_label}</label>
                    <div class="row">
                        <input
                            id="organiser-password"
                            data-testid="organiser-password"
                            type="password"
                            autocomplete="current-password"
                            prop:value=move || organiser_password.get().unwrap_or_default()
                            on:input=move |ev| organiser_password.set(Some(event_target_value(&ev)))
                        />
                        <button type="submit" data-testid="organiser-submit">
                            {mt.organiser_password_submit}
                        </button>
                    </div>
                </form>
            </Show>
            {move || {
                create_error
                    .get()
                    .map(|e| {
                        let text = match e {
                            CreateError::OrganiserPassword => t.err_organiser_password_required,
                            CreateError::Failed => mt.new_meeting_failed,
                        };
                        view! {
                            <p class="error" role="alert" data-testid="new-meeting-error">
                                {text}
                            </p>
                        }
                    })
            }}
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
