//! The app root: picks the language, provides it as context, and shows the page the path names.
//!
//! Routes: `/` home, `/m/:room` meeting (pre-join, then room), `/m/:room/recordings` its recordings
//! (moderators), anything else the not-found page. The server answers every such path with the same
//! `index.html`; the privacy notice at `/privacy` is the server's own page (`backend/src/notice.rs`),
//! with the operator's details. The path is read once at start: links between pages are plain page
//! loads (the wasm comes from the browser's cache), which is all these pages need, so the wasm
//! carries no router (leptos_router was 13 % of it after brotli).

use crate::i18n::Lang;
use crate::pages::{home::Home, meeting::Meeting, not_found::NotFound, recordings::Recordings};
use leptos::prelude::*;

/// The whole UI.
#[component]
pub fn App() -> impl IntoView {
    let lang = Lang::detect();
    provide_context(lang);
    set_document_language(lang);

    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    match page_of(&path) {
        Page::Home => view! { <Home /> }.into_any(),
        Page::Meeting(room) => view! { <Meeting room /> }.into_any(),
        Page::Recordings(room) => view! { <Recordings room /> }.into_any(),
        Page::NotFound => view! { <NotFound /> }.into_any(),
    }
}

/// The page a path shows; a meeting's id is passed on as written (its page checks it).
#[derive(Debug, PartialEq, Eq)]
enum Page {
    Home,
    Meeting(String),
    Recordings(String),
    NotFound,
}

fn page_of(path: &str) -> Page {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => Page::Home,
        ["m", room] if !room.is_empty() => Page::Meeting((*room).to_string()),
        ["m", room, "recordings"] if !room.is_empty() => Page::Recordings((*room).to_string()),
        _ => Page::NotFound,
    }
}

/// Opens another page of the app (a plain page load, see the module header).
pub fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        // Fails only for a URL the browser cannot parse; ours are built from checked ids.
        let _ = window.location().assign(path);
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

#[cfg(test)]
mod tests {
    use super::{Page, page_of};

    #[test]
    fn paths_name_their_pages() {
        assert_eq!(page_of("/"), Page::Home);
        assert_eq!(page_of(""), Page::Home);
        assert_eq!(page_of("/m/abc-def"), Page::Meeting("abc-def".into()));
        assert_eq!(page_of("/m/abc-def/"), Page::Meeting("abc-def".into()));
        assert_eq!(
            page_of("/m/abc-def/recordings"),
            Page::Recordings("abc-def".into())
        );
        for other in ["/m", "/m/", "/m//recordings", "/m/a/b", "/privacy/x", "/x"] {
            assert_eq!(page_of(other), Page::NotFound, "{other}");
        }
    }
}
