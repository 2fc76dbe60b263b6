//! The pages around entering a meeting under moderation: waiting in the lobby, a refused join
//! (with the password form when the meeting has a password), and having been removed.

use leptos::prelude::*;
use treff_shared::ErrorCode;

use crate::i18n::{mod_texts, texts};

/// Whether a refusal can be answered with a (new) password.
pub fn asks_for_password(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::PasswordRequired | ErrorCode::WrongPassword | ErrorCode::TooManyAttempts
    )
}

/// The lobby: the moderator will let the person in shortly.
#[component]
pub fn WaitingPage(
    /// The person gives up waiting.
    on_leave: Callback<()>,
) -> impl IntoView {
    let mt = mod_texts();
    view! {
        <div class="page-card" data-testid="waiting-page" role="status">
            <h1>{mt.waiting_title}</h1>
            <p>{mt.waiting_text}</p>
            <button type="button" data-testid="waiting-leave" on:click=move |_| on_leave.run(())>
                {mt.waiting_leave}
            </button>
        </div>
    }
}

/// A moderator removed the person.
#[component]
pub fn RemovedPage(
    /// For the rest of this meeting.
    banned: bool,
) -> impl IntoView {
    let t = texts();
    let mt = mod_texts();
    view! {
        <div class="page-card" data-testid="removed-page" data-banned=banned.to_string() role="alert">
            <h1>{mt.removed_title}</h1>
            <p>{if banned { mt.banned_text } else { mt.removed_text }}</p>
            <a href="/" data-testid="home-link">
                {t.back_home}
            </a>
        </div>
    }
}

/// A refused join: the translated reason, and the password form when a password can help.
#[component]
pub fn RefusedView(
    /// Why.
    code: ErrorCode,
    /// Try again with this password.
    on_password: Callback<String>,
    /// Back to the pre-join screen.
    on_back: Callback<()>,
) -> impl IntoView {
    let t = texts();
    let mt = mod_texts();
    let password = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = password.get_untracked();
        if !value.is_empty() {
            on_password.run(value);
        }
    };
    view! {
        <div class="page-card" data-testid="refused" data-code=format!("{code:?}")>
            <p class="error" role="alert" data-testid="error">
                {t.error(code)}
            </p>
            {asks_for_password(code)
                .then(|| {
                    view! {
                        <form class="password-form" on:submit=submit>
                            <h1>{mt.password_title}</h1>
                            <label for="password-input">{mt.password_label}</label>
                            <input
                                id="password-input"
                                data-testid="password-input"
                                type="password"
                                autocomplete="off"
                                autofocus=true
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))
                            />
                            <button type="submit" class="primary" data-testid="password-submit">
                                {mt.password_submit}
                            </button>
                        </form>
                    }
                })}
            <button type="button" data-testid="back" on:click=move |_| on_back.run(())>
                {t.back}
            </button>
        </div>
    }
}
