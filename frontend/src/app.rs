//! The app root: picks the language, provides it as context, and routes.
//!
//! Routes: `/` home, `/m/:room` meeting (pre-join, then room), `/m/:room/recordings` its recordings
//! (moderators), `/privacy` notice, anything else the not-found page. The server answers every such path with the same `index.html` (client-side routing).

use crate::i18n::Lang;
use crate::pages::{
    home::Home, meeting::Meeting, not_found::NotFound, privacy::Privacy, recordings::Recordings,
};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The whole UI.
#[component]
pub fn App() -> impl IntoView {
    let lang = Lang::detect();
    provide_context(lang);
    set_document_language(lang);

    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home />
                <Route path=path!("/m/:room") view=Meeting />
                <Route path=path!("/m/:room/recordings") view=Recordings />
                <Route path=path!("/privacy") view=Privacy />
            </Routes>
        </Router>
    }
}

/// Sets `<html lang>` (screen readers pick their voice from it) and the title in the chosen language.
fn set_document_language(lang: Lang) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = document.document_element() {
        // Failing to set an attribute on <html> is not actionable; the page still works.
        let _ = root.set_attribute("lang", lang.tag());
    }
    document.set_title(lang.texts().doc_title);
}
