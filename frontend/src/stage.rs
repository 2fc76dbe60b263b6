//! The room's stage state: shared screens, tile or speaker view, and who is speaking.

use std::collections::HashMap;

use leptos::prelude::*;
use treff_shared::ParticipantId;
use web_sys::MediaStream;

/// How the camera tiles are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Everyone the same size, in a grid.
    #[default]
    Tile,
    /// The active speaker large, the others small in a strip.
    Speaker,
}

impl View {
    /// The value of the room's `data-view`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tile => "tile",
            Self::Speaker => "speaker",
        }
    }
}

/// Reactive state of the stage; `Copy` signal handles owned by the room component.
#[derive(Clone, Copy)]
pub struct StageUi {
    /// We are sharing our screen (the person's intent; on while the picker is open).
    pub sharing: RwSignal<bool>,
    /// The screen streams by owner: others' received screens, and our own while we share.
    pub screens: RwSignal<HashMap<ParticipantId, MediaStream>, LocalStorage>,
    /// Tile or speaker view.
    pub view: RwSignal<View>,
    /// The participant highlighted as speaking.
    pub speaking: RwSignal<Option<ParticipantId>>,
    /// The participant speaker view features (the last active speaker).
    pub active: RwSignal<Option<ParticipantId>>,
}

impl StageUi {
    /// Fresh state; must be called inside the room component so the signals are owned by it.
    pub fn new() -> Self {
        Self {
            sharing: RwSignal::new(false),
            screens: RwSignal::new_local(HashMap::new()),
            view: RwSignal::new(View::Tile),
            speaking: RwSignal::new(None),
            active: RwSignal::new(None),
        }
    }
}

impl Default for StageUi {
    fn default() -> Self {
        Self::new()
    }
}

/// Who speaker view shows large: the active speaker while they are in the room, else the first
/// other participant, else ourselves.
pub fn featured(
    active: Option<ParticipantId>,
    members: &[ParticipantId],
    me: Option<ParticipantId>,
) -> Option<ParticipantId> {
    active
        .filter(|a| members.contains(a))
        .or_else(|| members.iter().copied().find(|m| Some(*m) != me))
        .or(me)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_view_features_the_active_speaker_else_someone_else() {
        let [a, b, c] = [1, 2, 3].map(ParticipantId);
        assert_eq!(featured(Some(c), &[a, b, c], Some(a)), Some(c));
        assert_eq!(featured(Some(c), &[a, b], Some(a)), Some(b), "c left");
        assert_eq!(featured(None, &[a], Some(a)), Some(a));
        assert_eq!(featured(None, &[], None), None);
    }
}
