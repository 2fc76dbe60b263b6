//! The raise-hand button of the control bar: a toggle (`aria-pressed`) that shows whether the
//! server has our hand as raised; pressing it asks the server, and the button follows its answer.

use leptos::prelude::*;

use crate::components::icons::HandIcon;
use crate::i18n::texts;

/// The raise-hand toggle.
#[component]
pub fn HandToggle(
    /// Our hand is up (as the server last said).
    #[prop(into)]
    raised: Signal<bool>,
    /// Called on every press.
    on_toggle: Callback<()>,
) -> impl IntoView {
    let t = texts();
    view! {
        <button
            type="button"
            class="control-button"
            class:on=move || raised.get()
            data-testid="toggle-hand"
            aria-pressed=move || if raised.get() { "true" } else { "false" }
            on:click=move |_| on_toggle.run(())
        >
            <HandIcon />
            <span class="toggle-label">{t.raise_hand}</span>
        </button>
    }
}
