//! The control-bar toggles of the stage: sharing the screen, and speaker view instead of tile view.
//! Both are `<button aria-pressed>` with a visible label (screen readers hear the same).

use leptos::prelude::*;

use crate::i18n::texts;
use crate::stage::View;

/// A labelled on/off button of the control bar.
#[component]
fn PressedToggle(
    /// The button's `data-testid`.
    test_id: &'static str,
    /// The visible label and accessible name.
    label: &'static str,
    /// Whether it is on.
    #[prop(into)]
    pressed: Signal<bool>,
    /// Called on every press.
    on_toggle: Callback<()>,
    /// The icon before the label.
    #[prop(into)]
    icon: ViewFn,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class="control-button"
            class:on=move || pressed.get()
            data-testid=test_id
            aria-pressed=move || if pressed.get() { "true" } else { "false" }
            on:click=move |_| on_toggle.run(())
        >
            {icon.run()}
            <span class="toggle-label">{label}</span>
        </button>
    }
}

/// Whether the browser can share a screen at all (most mobile browsers cannot).
fn can_share_screen() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .and_then(|d| js_sys::Reflect::get(&d, &"getDisplayMedia".into()).ok())
        .is_some_and(|f| f.is_function())
}

/// Share the screen, or stop sharing it; absent where the browser cannot share a screen.
#[component]
pub fn ScreenToggle(
    /// We share (or the browser's picker is open).
    #[prop(into)]
    sharing: Signal<bool>,
    /// Called on every press.
    on_toggle: Callback<()>,
) -> impl IntoView {
    let icon = || {
        view! {
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <rect x="3" y="4" width="18" height="12" rx="2" />
                <path d="M8 20h8M12 16v4M12 13V7M9 10l3-3 3 3" />
            </svg>
        }
    };
    can_share_screen().then(|| {
        view! {
            <PressedToggle
                test_id="toggle-screen"
                label=texts().share_screen
                pressed=sharing
                on_toggle
                icon
            />
        }
    })
}

/// Speaker view (pressed) or tile view.
#[component]
pub fn ViewToggle(
    /// The current view.
    view: RwSignal<View>,
) -> impl IntoView {
    let icon = || {
        view! {
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <rect x="3" y="3" width="18" height="12" rx="2" />
                <rect x="3" y="17" width="5" height="4" rx="1" />
                <rect x="9.5" y="17" width="5" height="4" rx="1" />
                <rect x="16" y="17" width="5" height="4" rx="1" />
            </svg>
        }
    };
    let on_toggle = Callback::new(move |()| {
        view.update(|v| {
            *v = match v {
                View::Tile => View::Speaker,
                View::Speaker => View::Tile,
            }
        });
    });
    view! {
        <PressedToggle
            test_id="view-toggle"
            label=texts().speaker_view
            pressed=Signal::derive(move || view.get() == View::Speaker)
            on_toggle
            icon
        />
    }
}
