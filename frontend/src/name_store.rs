//! The display name in `localStorage`, only with the person's consent (privacy by default, R8).
//!
//! The name is written only while "remember my name" is ticked and removed as soon as it is unticked,
//! so an untouched pre-join screen leaves nothing behind on the device.

/// The `localStorage` key of the remembered name.
const KEY: &str = "treff.name";

fn storage() -> Option<web_sys::Storage> {
    // `local_storage` fails when storage is disabled (private modes, policies): then nothing is remembered.
    web_sys::window()?.local_storage().ok().flatten()
}

/// The remembered name, if the person asked to keep one.
pub fn load() -> Option<String> {
    storage()?.get_item(KEY).ok().flatten()
}

/// Keeps `name` on this device.
pub fn save(name: &str) {
    if let Some(s) = storage() {
        // A full or blocked storage only means the name is not remembered; nothing else depends on it.
        let _ = s.set_item(KEY, name);
    }
}

/// Forgets the name.
pub fn forget() {
    if let Some(s) = storage() {
        let _ = s.remove_item(KEY);
    }
}
