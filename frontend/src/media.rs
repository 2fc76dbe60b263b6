//! Local devices: opening the microphone or camera, listing devices, releasing tracks.
//!
//! Every track opened here is held by a [`LocalTracks`] and stopped by it once it is no longer wanted:
//! stopping the track is what releases the device and turns the camera light off; dropping the JS
//! object does not.

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlMediaElement, MediaDeviceInfo, MediaDeviceKind, MediaDevices, MediaStream,
    MediaStreamConstraints, MediaStreamTrack, MediaTrackConstraints,
};

use crate::i18n::Texts;

/// Which device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// The microphone.
    Mic,
    /// The camera.
    Cam,
}

/// Why a device could not be opened, in the classes the UI explains differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaError {
    /// Permission refused by the person or the browser.
    Denied,
    /// No such device (unplugged, or none at all).
    NotFound,
    /// Another program holds the device.
    InUse,
    /// Anything else, including a browser without `mediaDevices` (an insecure origin).
    Failed,
}

impl MediaError {
    /// The message to show.
    pub fn text(self, t: &Texts) -> &'static str {
        match self {
            Self::Denied => t.media_denied,
            Self::NotFound => t.media_not_found,
            Self::InUse => t.media_in_use,
            Self::Failed => t.media_failed,
        }
    }

    pub(crate) fn from_js(err: &JsValue) -> Self {
        let name = Reflect::get(err, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" | "SecurityError" => Self::Denied,
            "NotFoundError" | "OverconstrainedError" => Self::NotFound,
            "NotReadableError" | "AbortError" => Self::InUse,
            _ => Self::Failed,
        }
    }
}

/// An input device as the selects show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `deviceId`, stable per origin.
    pub id: String,
    /// Human-readable name; empty until the page has device permission.
    pub label: String,
    /// Microphone or camera.
    pub kind: Device,
}

fn media_devices() -> Result<MediaDevices, MediaError> {
    web_sys::window()
        .ok_or(MediaError::Failed)?
        .navigator()
        .media_devices()
        .map_err(|_| MediaError::Failed)
}

/// Opens one device and returns its track. `device_id` is the person's choice; it is a preference
/// (`ideal`), so an unplugged device falls back to the default instead of failing.
pub async fn open(kind: Device, device_id: Option<&str>) -> Result<MediaStreamTrack, MediaError> {
    let track_constraints = MediaTrackConstraints::new();
    if let Some(id) = device_id.filter(|id| !id.is_empty()) {
        let ideal = js_sys::Object::new();
        // Reflect::set on a fresh plain object cannot fail.
        let _ = Reflect::set(&ideal, &"ideal".into(), &id.into());
        track_constraints.set_device_id(&ideal);
    }
    let constraints = MediaStreamConstraints::new();
    match kind {
        Device::Mic => {
            track_constraints.set_echo_cancellation_bool(true);
            track_constraints.set_noise_suppression_bool(true);
            track_constraints.set_auto_gain_control_bool(true);
            constraints.set_audio(&track_constraints);
        }
        Device::Cam => {
            // 720p, sent as three simulcast layers (1280, 640 and 320 wide): the SFU gives every
            // receiver the one its tile needs, so a full room of 20 small tiles still fits a home
            // connection, and a large tile is sharp. A camera that gives less sends fewer layers.
            let width = f64::from(treff_shared::CAMERA_WIDTH);
            track_constraints.set_width(&ideal_number(width));
            track_constraints.set_height(&ideal_number(width * 9.0 / 16.0));
            track_constraints.set_frame_rate(&ideal_number(24.0));
            constraints.set_video(&track_constraints);
        }
    }
    let promise = media_devices()?
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| MediaError::from_js(&e))?;
    let stream: MediaStream = JsFuture::from(promise)
        .await
        .map_err(|e| MediaError::from_js(&e))?
        .unchecked_into();
    let tracks = stream.get_tracks();
    let track: Option<MediaStreamTrack> = tracks.get(0).dyn_into().ok();
    // getUserMedia asked for exactly one kind, so there is exactly one track; stop any surprise extra.
    for extra in tracks.iter().skip(1) {
        if let Ok(t) = extra.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
    track.ok_or(MediaError::Failed)
}

fn ideal_number(v: f64) -> JsValue {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"ideal".into(), &v.into());
    o.into()
}

/// The tracks a page holds open, at most one per device.
///
/// Opening is asynchronous and the person may click again (or leave) before it finishes, so every
/// switch gets a generation number: [`LocalTracks::finish`] accepts a track only for the latest
/// switch of a still open holder and stops anything else at once, so no device stays on unseen.
#[derive(Default)]
pub struct LocalTracks {
    mic: Option<MediaStreamTrack>,
    cam: Option<MediaStreamTrack>,
    generation: [u32; 2],
    closed: bool,
}

fn index(device: Device) -> usize {
    match device {
        Device::Mic => 0,
        Device::Cam => 1,
    }
}

impl LocalTracks {
    fn slot(&mut self, device: Device) -> &mut Option<MediaStreamTrack> {
        match device {
            Device::Mic => &mut self.mic,
            Device::Cam => &mut self.cam,
        }
    }

    /// The running track of a device.
    pub fn get(&self, device: Device) -> Option<MediaStreamTrack> {
        match device {
            Device::Mic => self.mic.clone(),
            Device::Cam => self.cam.clone(),
        }
    }

    /// Starts a switch of `device` and returns its generation; any pending open becomes stale.
    pub fn begin(&mut self, device: Device) -> u32 {
        let g = &mut self.generation[index(device)];
        *g = g.wrapping_add(1);
        *g
    }

    /// Installs an opened track if it belongs to the latest switch, replacing (and stopping) the
    /// previous one. Returns `false`, having stopped the track, if it is stale.
    pub fn finish(&mut self, device: Device, generation: u32, track: MediaStreamTrack) -> bool {
        if self.closed || self.generation[index(device)] != generation {
            track.stop();
            return false;
        }
        if let Some(old) = self.slot(device).replace(track) {
            old.stop();
        }
        true
    }

    /// Whether `generation` is still the latest switch of `device`.
    pub fn is_current(&self, device: Device, generation: u32) -> bool {
        !self.closed && self.generation[index(device)] == generation
    }

    /// Stops a device now and makes any pending open of it stale.
    pub fn stop(&mut self, device: Device) {
        self.begin(device);
        if let Some(track) = self.slot(device).take() {
            track.stop();
        }
    }

    /// Stops everything for good; later opens are stopped on arrival.
    pub fn close(&mut self) {
        self.closed = true;
        self.stop(Device::Mic);
        self.stop(Device::Cam);
    }
}

impl Drop for LocalTracks {
    fn drop(&mut self) {
        self.close();
    }
}

/// Shows `stream` in a media element, touching `srcObject` only when the stream really changed
/// (assigning it restarts playback and flickers).
pub fn show(element: &HtmlMediaElement, stream: Option<&MediaStream>) {
    let current = element.src_object();
    let same = match (&current, stream) {
        (Some(a), Some(b)) => JsValue::from(a) == JsValue::from(b),
        (None, None) => true,
        _ => false,
    };
    if !same {
        element.set_src_object(stream);
    }
}

/// A stream holding the given tracks, for a media element's `srcObject`.
pub fn stream_of(tracks: &[&MediaStreamTrack]) -> Option<MediaStream> {
    let array: Array = tracks.iter().map(|t| JsValue::from(*t)).collect();
    MediaStream::new_with_tracks(&array).ok()
}

/// Lists microphones and cameras. Labels are empty until a getUserMedia call was allowed, so callers
/// refresh the list after the first one and on `devicechange`.
pub async fn list_devices() -> Vec<DeviceInfo> {
    let Ok(devices) = media_devices() else {
        return Vec::new();
    };
    let Ok(promise) = devices.enumerate_devices() else {
        return Vec::new();
    };
    let Ok(list) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    Array::from(&list)
        .iter()
        .filter_map(|d| d.dyn_into::<MediaDeviceInfo>().ok())
        .filter_map(|d| {
            let kind = match d.kind() {
                MediaDeviceKind::Audioinput => Device::Mic,
                MediaDeviceKind::Videoinput => Device::Cam,
                _ => return None,
            };
            Some(DeviceInfo {
                id: d.device_id(),
                label: d.label(),
                kind,
            })
        })
        .collect()
}

/// The `mediaDevices` object for `devicechange` listeners, if the browser has one.
pub fn devices_target() -> Option<MediaDevices> {
    media_devices().ok()
}
