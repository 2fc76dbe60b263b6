//! The pre-join screen: display name, microphone and camera (off by default), device choice, camera
//! preview and the privacy summary.
//!
//! Privacy by default: nothing is opened until the person switches it on, and the name is written to
//! `localStorage` only while "remember my name" is ticked. Every device opened here is stopped when
//! it is switched off and when the screen goes away (on join too: the room opens its own tracks).

use std::cell::RefCell;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use treff_shared::Limits;
use treff_shared::limits::NameError;
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

use crate::components::device_select::DeviceSelect;
use crate::components::media_toggle::MediaToggle;
use crate::i18n::texts;
use crate::media::{self, Device, DeviceInfo, LocalTracks, MediaError};
use crate::name_store;
use crate::session::JoinSettings;

/// The shared rule for display names, the same the server applies.
fn check_name(name: &str) -> Result<String, NameError> {
    Limits::default().check_name(name)
}

/// The pre-join form.
#[component]
pub fn PreJoin(
    /// The meeting (to tell whether it has a recording, and for a moderator's recordings link).
    room: treff_shared::RoomId,
    /// Choices to start from (coming back after a refused join); `None` means privacy defaults:
    /// both devices off, the remembered name if there is one.
    initial: Option<JoinSettings>,
    /// Called with the person's choices when they press join.
    on_join: Callback<JoinSettings>,
) -> impl IntoView {
    let t = texts();
    let rt = crate::i18n::rec_texts();
    // Whoever joins a meeting with a recording is told before they join (and asked once in).
    let recorded = RwSignal::new(false);
    {
        let room = room.clone();
        spawn_local(async move {
            let exists = crate::recording::exists(&room).await;
            // The form may be gone meanwhile (joined or left); then nobody needs to know.
            let _ = recorded.try_set(exists);
        });
    }
    // A moderator link leads to the meeting's recordings, which outlive the meeting.
    let recordings_link = crate::moderation::key_from_location().map(|key| {
        format!(
            "/m/{}/recordings{}",
            room.as_str(),
            crate::moderation::moderator_fragment(&key)
        )
    });

    let stored_name = name_store::load();
    let remember = RwSignal::new(stored_name.is_some());
    let name = RwSignal::new(
        initial
            .as_ref()
            .map(|s| s.name.clone())
            .or(stored_name)
            .unwrap_or_default(),
    );
    let mic_device = RwSignal::new(initial.as_ref().and_then(|s| s.mic_device.clone()));
    let cam_device = RwSignal::new(initial.as_ref().and_then(|s| s.cam_device.clone()));
    let mic = RwSignal::new(false);
    let cam = RwSignal::new(false);
    let mic_busy = RwSignal::new(false);
    let cam_busy = RwSignal::new(false);
    let media_error = RwSignal::new(None::<MediaError>);
    let devices = RwSignal::new(Vec::<DeviceInfo>::new());
    let preview = RwSignal::new_local(None::<MediaStream>);
    let tracks = StoredValue::new_local(Rc::new(RefCell::new(LocalTracks::default())));

    // Remember the name only with consent, and forget it as soon as the consent goes.
    Effect::new(move |_| {
        if remember.get() {
            match check_name(&name.get()) {
                Ok(valid) => name_store::save(&valid),
                Err(_) => name_store::forget(),
            }
        } else {
            name_store::forget();
        }
    });

    let refresh_devices = move || {
        spawn_local(async move {
            let list = media::list_devices().await;
            // The screen may be gone by the time the list arrives.
            let _ = devices.try_set(list);
        });
    };
    refresh_devices();

    // Devices come and go (a headset plugged in): keep the selects current.
    let on_device_change = Closure::<dyn FnMut()>::new(refresh_devices);
    if let Some(target) = media::devices_target() {
        // Failing to listen only means the list is not refreshed on plugging.
        let _ = target.add_event_listener_with_callback(
            "devicechange",
            on_device_change.as_ref().unchecked_ref(),
        );
    }
    let on_device_change = StoredValue::new_local(on_device_change);

    on_cleanup(move || {
        on_device_change.try_with_value(|cb| {
            if let Some(target) = media::devices_target() {
                let _ = target.remove_event_listener_with_callback(
                    "devicechange",
                    cb.as_ref().unchecked_ref(),
                );
            }
        });
        // Releases the camera and microphone of the preview: the camera light goes off.
        tracks.try_with_value(|tr| tr.borrow_mut().close());
    });

    let switch = move |device: Device, on: bool| {
        let (state, busy) = match device {
            Device::Mic => (mic, mic_busy),
            Device::Cam => (cam, cam_busy),
        };
        state.set(on);
        media_error.set(None);
        let holder = tracks.get_value();
        if !on {
            holder.borrow_mut().stop(device);
            busy.set(false);
            if device == Device::Cam {
                preview.set(None);
            }
            return;
        }
        let generation = holder.borrow_mut().begin(device);
        busy.set(true);
        let device_id = match device {
            Device::Mic => mic_device.get_untracked(),
            Device::Cam => cam_device.get_untracked(),
        };
        spawn_local(async move {
            let result = media::open(device, device_id.as_deref()).await;
            let current = match result {
                Ok(track) => {
                    let stream = media::stream_of(&[&track]);
                    let installed = holder.borrow_mut().finish(device, generation, track);
                    if installed && device == Device::Cam {
                        let _ = preview.try_set(stream);
                    }
                    installed
                }
                Err(e) => {
                    let current = holder.borrow().is_current(device, generation);
                    if current {
                        let _ = state.try_set(false);
                        let _ = media_error.try_set(Some(e));
                    }
                    current
                }
            };
            if current {
                let _ = busy.try_set(false);
                // Permission now granted (or refused): labels and ids may have become visible.
                refresh_devices();
            }
        });
    };

    let toggle_mic = Callback::new(move |()| switch(Device::Mic, !mic.get_untracked()));
    let toggle_cam = Callback::new(move |()| switch(Device::Cam, !cam.get_untracked()));
    // A new choice takes effect at once for a running device.
    let mic_changed = Callback::new(move |()| {
        if mic.get_untracked() {
            switch(Device::Mic, true);
        }
    });
    let cam_changed = Callback::new(move |()| {
        if cam.get_untracked() {
            switch(Device::Cam, true);
        }
    });

    let checked_name = move || check_name(&name.get());
    let name_error = move || match checked_name() {
        Err(NameError::TooLong) => Some(t.name_too_long),
        Err(NameError::ControlCharacter) => Some(t.name_control),
        Err(NameError::Empty) | Ok(_) => None,
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(valid) = check_name(&name.get_untracked()) else {
            return;
        };
        on_join.run(JoinSettings {
            name: valid,
            mic: mic.get_untracked(),
            cam: cam.get_untracked(),
            mic_device: mic_device.get_untracked(),
            cam_device: cam_device.get_untracked(),
            password: None,
        });
    };

    let preview_ref = NodeRef::<html::Video>::new();
    Effect::new(move |_| {
        preview.with(|s| {
            if let Some(video) = preview_ref.get() {
                media::show(&video, s.as_ref());
            }
        });
    });

    view! {
        <main class="prejoin">
            <h1>{t.prejoin_title}</h1>
            <div class="prejoin-layout">
                <div class="preview-box">
                    <Show
                        when=move || cam.get()
                        fallback=move || view! { <p class="preview-off">{t.preview_off}</p> }
                    >
                        <video
                            node_ref=preview_ref
                            class="preview mirror"
                            data-testid="preview"
                            aria-label=t.preview_label
                            muted=true
                            prop:muted=true
                            autoplay=true
                            playsinline=true
                        ></video>
                    </Show>
                    <div class="preview-controls">
                        <MediaToggle
                            device=Device::Mic
                            on=mic
                            busy=mic_busy
                            test_id="prejoin-mic"
                            on_toggle=toggle_mic
                        />
                        <MediaToggle
                            device=Device::Cam
                            on=cam
                            busy=cam_busy
                            test_id="prejoin-cam"
                            on_toggle=toggle_cam
                        />
                    </div>
                    {move || {
                        media_error
                            .get()
                            .map(|e| {
                                view! {
                                    <p class="error" role="alert" data-testid="media-error">
                                        {e.text(t)}
                                    </p>
                                }
                            })
                    }}
                </div>
                <form class="prejoin-form" on:submit=submit>
                    <div class="field">
                        <label for="name-input">{t.name_label}</label>
                        <input
                            id="name-input"
                            data-testid="name-input"
                            type="text"
                            autocomplete="name"
                            required=true
                            maxlength=Limits::default().name_max_chars.to_string()
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))
                        />
                        {move || {
                            name_error()
                                .map(|e| {
                                    view! {
                                        <p class="error" role="alert" data-testid="name-error">
                                            {e}
                                        </p>
                                    }
                                })
                        }}
                    </div>
                    <div class="check">
                        <input
                            id="remember-name"
                            data-testid="remember-name"
                            type="checkbox"
                            prop:checked=move || remember.get()
                            on:change=move |ev| remember.set(event_target_checked(&ev))
                        />
                        <label for="remember-name">{t.remember_name}</label>
                    </div>
                    <DeviceSelect
                        device=Device::Mic
                        devices=devices
                        selected=mic_device
                        test_id="mic-select"
                        on_change=mic_changed
                    />
                    <DeviceSelect
                        device=Device::Cam
                        devices=devices
                        selected=cam_device
                        test_id="camera-select"
                        on_change=cam_changed
                    />
                    <button
                        type="submit"
                        class="primary"
                        data-testid="join-button"
                        disabled=move || checked_name().is_err()
                    >
                        {t.join_button}
                    </button>
                </form>
            </div>
            <Show when=move || recorded.get()>
                <p class="recording-notice" role="status" data-testid="prejoin-recording">
                    {rt.prejoin_notice}
                </p>
            </Show>
            {recordings_link.map(|href| view! {
                <a href=href class="recordings-link" data-testid="recordings-link">{rt.page_link}</a>
            })}
            <section class="privacy-summary" aria-labelledby="privacy-summary-title">
                <h2 id="privacy-summary-title">{t.privacy_summary_title}</h2>
                <ul>{t.privacy_points.iter().map(|p| view! { <li>{*p}</li> }).collect_view()}</ul>
                <a href="/privacy" target="_blank" rel="noopener" data-testid="privacy-link">
                    {t.privacy_more}
                </a>
            </section>
        </main>
    }
}
