//! Inline SVG icons (no icon font, no request to anyone: R9). Decorative: the element that holds an
//! icon carries the accessible name, so every icon is `aria-hidden`.

use leptos::prelude::*;

/// A microphone, struck through when `off`.
#[component]
pub fn MicIcon(
    /// Draw the "off" variant.
    off: bool,
) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <rect x="9" y="3" width="6" height="11" rx="3" />
            <path d="M5 11a7 7 0 0 0 14 0M12 18v3M8 21h8" />
            {off.then(|| view! { <path class="strike" d="M4 4l16 16" /> })}
        </svg>
    }
}

/// A camera, struck through when `off`.
#[component]
pub fn CamIcon(
    /// Draw the "off" variant.
    off: bool,
) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <rect x="3" y="7" width="12" height="10" rx="2" />
            <path d="M15 11l6-3v8l-6-3z" />
            {off.then(|| view! { <path class="strike" d="M4 4l16 16" /> })}
        </svg>
    }
}

/// A hung-up handset, for leaving.
#[component]
pub fn LeaveIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M3 14c5-5 13-5 18 0l-2 3-4-1v-3a9 9 0 0 0-6 0v3l-4 1z" />
        </svg>
    }
}
