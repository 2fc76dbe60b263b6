//! The microphone or camera switch: a real `<button>` with `aria-pressed`, used on the pre-join
//! screen and in the room.

use leptos::prelude::*;

use crate::components::icons::DeviceIcon;
use crate::i18n::texts;
use crate::media::Device;

/// A toggle button for one device.
#[component]
pub fn MediaToggle(
    /// Which device it switches; picks the label and the icon.
    device: Device,
    /// Whether the device is switched on.
    #[prop(into)]
    on: Signal<bool>,
    /// Whether the device is still opening (announced with `aria-busy`; the button stays usable so
    /// the person can change their mind).
    #[prop(into)]
    busy: Signal<bool>,
    /// The button's `data-testid`.
    test_id: &'static str,
    /// Called on every press.
    on_toggle: Callback<()>,
) -> impl IntoView {
    let t = texts();
    let label = match device {
        Device::Mic => t.mic,
        Device::Cam => t.cam,
    };
    view! {
        <button
            type="button"
            class="toggle"
            class:on=move || on.get()
            data-testid=test_id
            aria-pressed=move || if on.get() { "true" } else { "false" }
            aria-busy=move || if busy.get() { "true" } else { "false" }
            on:click=move |_| on_toggle.run(())
        >
            {move || view! { <DeviceIcon device off=!on.get() /> }}
            <span class="toggle-label">{label}</span>
        </button>
    }
}
