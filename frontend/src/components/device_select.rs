//! A labelled `<select>` of microphones or cameras, filled from `enumerateDevices`.
//!
//! Before the page has device permission the browser hides labels and ids; such entries are left out,
//! so the select then offers only "default device", and fills up once the parent refreshes the list.

use leptos::prelude::*;

use crate::i18n::texts;
use crate::media::{Device, DeviceInfo};

/// The device chooser for one kind.
#[component]
pub fn DeviceSelect(
    /// Microphones or cameras.
    device: Device,
    /// Every known input device; this select shows those of its kind.
    #[prop(into)]
    devices: Signal<Vec<DeviceInfo>>,
    /// The chosen `deviceId`, `None` for the browser's default.
    selected: RwSignal<Option<String>>,
    /// The select's `data-testid` (also its element id, for the label).
    test_id: &'static str,
    /// Called after the person picked another device.
    on_change: Callback<()>,
) -> impl IntoView {
    let t = texts();
    let (label, unnamed) = match device {
        Device::Mic => (t.mic_select, t.unnamed_mic),
        Device::Cam => (t.cam_select, t.unnamed_cam),
    };
    let options = move || {
        devices
            .get()
            .into_iter()
            .filter(|d| d.kind == device && !d.id.is_empty())
            .enumerate()
            .map(|(i, d)| {
                let text = if d.label.is_empty() {
                    format!("{unnamed} {}", i + 1)
                } else {
                    d.label
                };
                let id = d.id;
                let is_selected = {
                    let id = id.clone();
                    move || selected.with(|s| s.as_deref() == Some(id.as_str()))
                };
                view! {
                    <option value=id prop:selected=is_selected>
                        {text}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field">
            <label for=test_id>{label}</label>
            <select
                id=test_id
                data-testid=test_id
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    selected.set(if value.is_empty() { None } else { Some(value) });
                    on_change.run(());
                }
            >
                <option value="" prop:selected=move || selected.with(Option::is_none)>
                    {t.default_device}
                </option>
                {options}
            </select>
        </div>
    }
}
