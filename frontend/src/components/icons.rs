//! Inline SVG icons (no icon font, no request to anyone: R9). Decorative: the element that holds an
//! icon carries the accessible name, so every icon is `aria-hidden`.

use leptos::prelude::*;

use crate::media::Device;

/// The icon of a device: [`MicIcon`] or [`CamIcon`].
#[component]
pub fn DeviceIcon(
    /// Which device.
    device: Device,
    /// Draw the "off" variant.
    off: bool,
) -> impl IntoView {
    match device {
        Device::Mic => view! { <MicIcon off /> }.into_any(),
        Device::Cam => view! { <CamIcon off /> }.into_any(),
    }
}

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

/// A speech bubble, for the chat.
#[component]
pub fn ChatIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M4 5h16v11H9l-5 4z" />
        </svg>
    }
}

/// A paper clip, for attaching a file.
#[component]
pub fn AttachIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M20 11l-8 8a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8" />
        </svg>
    }
}

/// A paper plane, for sending.
#[component]
pub fn SendIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M3 11l18-8-8 18-2-8z" />
        </svg>
    }
}

/// An arrow into a tray, for downloading.
#[component]
pub fn DownloadIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />
        </svg>
    }
}

/// A cross, for closing.
#[component]
pub fn CloseIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M6 6l12 12M18 6L6 18" />
        </svg>
    }
}

/// A raised open hand.
#[component]
pub fn HandIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M8 12V5.5a1.5 1.5 0 0 1 3 0V11M11 10V4a1.5 1.5 0 0 1 3 0v7M14 10.5V5.5a1.5 1.5 0 0 1 3 0V14c0 4-2.5 7-6 7-2.5 0-4-1.2-5.5-3.5L3.8 14.6a1.5 1.5 0 0 1 2.5-1.6L8 15" />
        </svg>
    }
}

/// A smiling face, for reactions.
#[component]
pub fn SmileIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <circle cx="12" cy="12" r="9" />
            <path d="M8.5 14.5a4 4 0 0 0 7 0M9 9.5h.01M15 9.5h.01" />
        </svg>
    }
}

/// Two people, for the participants panel.
#[component]
pub fn PeopleIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <circle cx="9" cy="8" r="3.5" />
            <path d="M2.5 20a6.5 6.5 0 0 1 13 0M16 4.5a3.5 3.5 0 0 1 0 7M18 14a6.5 6.5 0 0 1 3.5 6" />
        </svg>
    }
}

/// A waste bin, for erasing one's own message.
#[component]
pub fn TrashIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6" />
        </svg>
    }
}

/// A shield, for "My data".
#[component]
pub fn ShieldIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z" />
            <path d="M9 12l2 2 4-4" />
        </svg>
    }
}

/// A keyboard, for the shortcut help.
#[component]
pub fn KeyboardIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <rect x="2" y="6" width="20" height="12" rx="2" />
            <path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10" />
        </svg>
    }
}
