//! What someone sees after leaving: a confirmation, a way back in, and a way home.

use leptos::prelude::*;

use crate::i18n::texts;

/// The "you left the meeting" view.
#[component]
pub fn Left(
    /// Called when the person wants to enter the same meeting again.
    on_rejoin: Callback<()>,
) -> impl IntoView {
    let t = texts();
    view! {
        <main class="page-card" data-testid="left-page">
            <h1>{t.left_title}</h1>
            <p>{t.left_text}</p>
            <button type="button" class="primary" data-testid="rejoin" on:click=move |_| on_rejoin.run(())>
                {t.rejoin}
            </button>
            <a href="/" data-testid="home-link">
                {t.back_home}
            </a>
        </main>
    }
}
