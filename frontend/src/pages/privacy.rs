//! The privacy notice. A placeholder until the operator puts their full notice here.

use leptos::prelude::*;

use crate::i18n::texts;

/// `/privacy`.
#[component]
pub fn Privacy() -> impl IntoView {
    let t = texts();
    view! {
        <main class="page-card" data-testid="privacy-page">
            <h1>{t.privacy_title}</h1>
            {t.privacy_placeholder.iter().map(|p| view! { <p>{*p}</p> }).collect_view()}
            <a href="/">{t.back_home}</a>
        </main>
    }
}
