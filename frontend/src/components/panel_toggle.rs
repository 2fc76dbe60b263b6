//! A control-bar button that opens and closes a side panel (chat, participants): `aria-expanded`
//! and `aria-controls` tell a screen reader what it does; the panel gives the focus back to it when
//! it closes (see [`super::side_panel`]).

use leptos::prelude::*;

/// The toggle of one side panel.
#[component]
pub fn PanelToggle(
    /// The button's element id, which the panel returns the focus to.
    id: &'static str,
    /// The panel's element id.
    controls: &'static str,
    /// The button's `data-testid`.
    test_id: &'static str,
    /// The visible label.
    label: &'static str,
    /// The accessible name, when it says more than the label (an unread count).
    #[prop(optional, into)]
    aria_label: Option<Signal<String>>,
    /// The panel is open.
    #[prop(into)]
    open: Signal<bool>,
    /// Called on every press.
    on_toggle: Callback<()>,
    /// The icon before the label.
    #[prop(into)]
    icon: ViewFn,
    /// Whatever follows the label (a badge).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let accessible_name = move || aria_label.map(|l| l.get());
    view! {
        <button
            type="button"
            id=id
            class="control-button"
            class:on=move || open.get()
            data-testid=test_id
            aria-label=accessible_name
            aria-controls=controls
            aria-expanded=move || if open.get() { "true" } else { "false" }
            on:click=move |_| on_toggle.run(())
        >
            {icon.run()}
            <span class="toggle-label">{label}</span>
            {children.map(|c| c())}
        </button>
    }
}
