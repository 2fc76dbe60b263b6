//! A participant's microphone or camera state as a labelled icon (on a tile and in the participants
//! panel): struck through and tinted when off, and a screen reader hears "microphone off".

use leptos::prelude::*;

use crate::components::icons::DeviceIcon;
use crate::i18n::texts;
use crate::media::Device;

/// The state icon of one device.
#[component]
pub fn MediaState(
    /// Which device.
    device: Device,
    /// Whether it is on.
    #[prop(into)]
    on: Signal<bool>,
    /// The icon's `data-testid`.
    test_id: &'static str,
) -> impl IntoView {
    let t = texts();
    let (label_on, label_off) = match device {
        Device::Mic => (t.mic_is_on, t.mic_is_off),
        Device::Cam => (t.cam_is_on, t.cam_is_off),
    };
    view! {
        <span
            class="state"
            class:off=move || !on.get()
            role="img"
            data-testid=test_id
            aria-label=move || if on.get() { label_on } else { label_off }
        >
            {move || view! { <DeviceIcon device off=!on.get() /> }}
        </span>
    }
}
