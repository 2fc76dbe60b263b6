//! The reactions button and its small menu of the six reactions, each a labelled button.
//!
//! The menu is a native popover (`popover` + `popovertarget`): the browser opens and closes it,
//! closes it on Escape or a click elsewhere, tells screen readers whether it is expanded, and puts
//! its buttons next in the tab order after the reactions button. It stays open after a choice, so
//! applause can be given more than once.

use leptos::prelude::*;
use treff_shared::Reaction;

use crate::components::icons::SmileIcon;
use crate::gestures::reaction_name;
use crate::i18n::texts;

/// The menu's element id.
const MENU_ID: &str = "reactions-menu";

/// The reactions button with its menu.
#[component]
pub fn ReactionsMenu(
    /// Called with the chosen reaction.
    on_react: Callback<Reaction>,
) -> impl IntoView {
    let t = texts();
    let buttons = Reaction::ALL.map(|reaction| {
        let label = t.reaction(reaction);
        view! {
            <button
                type="button"
                class="reaction-button"
                data-testid=format!("reaction-{}", reaction_name(reaction))
                aria-label=label
                title=label
                on:click=move |_| on_react.run(reaction)
            >
                {reaction.emoji()}
            </button>
        }
    });
    view! {
        <button
            type="button"
            class="control-button reactions-button"
            data-testid="reactions-button"
            popovertarget=MENU_ID
        >
            <SmileIcon />
            <span class="toggle-label">{t.reactions}</span>
        </button>
        <div
            id=MENU_ID
            class="reactions-menu"
            popover="auto"
            role="group"
            aria-label=t.reactions
            data-testid="reactions-menu"
        >
            {buttons.collect_view()}
        </div>
    }
}
