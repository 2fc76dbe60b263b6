//! The page for every path the app does not know.

use leptos::prelude::*;

use crate::i18n::texts;

/// Any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    let t = texts();
    view! {
        <main class="page-card" data-testid="not-found">
            <h1>{t.not_found_title}</h1>
            <p>{t.not_found_text}</p>
            <a href="/">{t.back_home}</a>
        </main>
    }
}
