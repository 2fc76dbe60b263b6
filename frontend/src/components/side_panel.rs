//! The frame of a panel beside the tiles (chat, participants): a labelled `<aside>` with a heading,
//! header buttons and a close button, hidden rather than unmounted while closed (so what is in it,
//! a draft or a scroll position, survives).
//!
//! Keyboard: Escape inside the panel closes it, and whenever it closes (close button, Escape, its
//! toggle, a shortcut, the other panel opening) the focus goes back to its toggle if it was in the
//! panel, so a keyboard user is never left on the page's body.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, Node};

use crate::components::icons::CloseIcon;

/// Buttons in the panel's header, before the close button.
#[slot]
pub struct PanelActions {
    /// The buttons.
    children: ChildrenFn,
}

/// A side panel.
#[component]
pub fn SidePanel(
    /// The panel's element id (its toggle's `aria-controls`).
    id: &'static str,
    /// The toggle's element id, which gets the focus back.
    toggle_id: &'static str,
    /// The panel's `data-testid`.
    test_id: &'static str,
    /// The heading, which also names the panel for screen readers.
    #[prop(into)]
    title: Signal<String>,
    /// The close button's accessible name.
    close_label: &'static str,
    /// The panel is open.
    #[prop(into)]
    open: Signal<bool>,
    /// Called by the close button and Escape.
    on_close: Callback<()>,
    /// Moves the focus to the heading when the panel opens (for panels with nothing to type into;
    /// the chat focuses its composer itself).
    #[prop(optional)]
    focus_title_on_open: bool,
    /// Header buttons.
    #[prop(optional)]
    panel_actions: Option<PanelActions>,
    /// The panel's content.
    children: Children,
) -> impl IntoView {
    let panel_ref = NodeRef::<html::Aside>::new();
    let title_ref = NodeRef::<html::H2>::new();
    let title_id = format!("{id}-title");

    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if was_open == Some(true) && !is_open {
            return_focus(panel_ref.get_untracked(), toggle_id);
        }
        if focus_title_on_open && is_open {
            // After the next frame: the panel is only displayed once the DOM caught up with `open`.
            request_animation_frame(move || {
                if let Some(title) = title_ref.get_untracked() {
                    // Focus can fail on a hidden element; the person can still tab in.
                    let _ = title.focus();
                }
            });
        }
        is_open
    });

    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    };

    view! {
        <aside
            id=id
            node_ref=panel_ref
            class="side-panel"
            data-testid=test_id
            aria-labelledby=title_id.clone()
            hidden=move || !open.get()
            on:keydown=on_keydown
        >
            <header class="panel-header">
                <h2 id=title_id.clone() node_ref=title_ref tabindex="-1">
                    {move || title.get()}
                </h2>
                {panel_actions.map(|a| (a.children)())}
                <button
                    type="button"
                    class="icon-button"
                    aria-label=close_label
                    title=close_label
                    on:click=move |_| on_close.run(())
                >
                    <CloseIcon />
                </button>
            </header>
            {children()}
        </aside>
    }
}

/// Gives the focus to the toggle if it was in the closing panel, or nowhere (a hidden element loses
/// its focus to the body).
fn return_focus(panel: Option<web_sys::HtmlElement>, toggle_id: &str) {
    let document = document();
    let active = document.active_element();
    let lost = match (&active, document.body()) {
        (None, _) => true,
        (Some(a), Some(body)) if a.is_same_node(Some(body.as_ref())) => true,
        (Some(a), _) => panel.is_some_and(|p| p.contains(Some(a.unchecked_ref::<Node>()))),
    };
    if !lost {
        return;
    }
    let toggle = document
        .get_element_by_id(toggle_id)
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    if let Some(toggle) = toggle {
        // Failing leaves the focus on the body, as it was.
        let _ = toggle.focus();
    }
}
