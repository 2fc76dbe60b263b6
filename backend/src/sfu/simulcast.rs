//! Which simulcast layer an outgoing m-line carries, and the switch from one layer to another.
//!
//! A publisher's camera arrives as up to three RTP streams (one per [`Layer`], told apart by their
//! rid); every outgoing m-line that carries it forwards exactly one of them. The room decides which
//! (`room::layers`) and sets it as the *target*; the m-line keeps forwarding its *current* layer until
//! a keyframe of the target arrives and switches there, so the receiver's decoder never gets the
//! middle of a picture sequence of another resolution (the `Forwarder` behind it resyncs on the new
//! SSRC at that keyframe, so the receiver's stream continues without a gap). While the target waits
//! for its keyframe the room asks the publisher for one ([`LayerSwitch::awaited`]).
//!
//! A target of `None` (the tile is hidden, or the downlink has no room for it) stops the m-line at
//! once; its next layer starts at a keyframe like a switch.

use treff_shared::Layer;

/// The layer state of one outgoing m-line (or of the recording's view of one camera).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSwitch {
    current: Option<Layer>,
    target: Option<Layer>,
}

impl Default for LayerSwitch {
    /// The best layer: what a receiver gets before the room has chosen (and all a publisher without
    /// simulcast sends).
    fn default() -> Self {
        Self {
            current: None,
            target: Some(Layer::High),
        }
    }
}

impl LayerSwitch {
    /// The layer forwarded now, if any.
    pub fn current(&self) -> Option<Layer> {
        self.current
    }

    /// The layer the room wants forwarded.
    pub fn target(&self) -> Option<Layer> {
        self.target
    }

    /// Sets the layer to forward. Returns true if the m-line stops at once (the new target is
    /// nothing while something was forwarded): its forwarder must pause.
    pub fn set_target(&mut self, target: Option<Layer>) -> bool {
        self.target = target;
        if target.is_none() && self.current.is_some() {
            self.current = None;
            return true;
        }
        false
    }

    /// The layer whose keyframe this m-line waits for, if it waits: the room asks its publisher.
    pub fn awaited(&self) -> Option<Layer> {
        self.target.filter(|t| self.current != Some(*t))
    }

    /// Whether a packet of layer `layer` is forwarded (`keyframe_start`: it begins a keyframe).
    pub fn admit(&mut self, layer: Layer, keyframe_start: bool) -> bool {
        if self.target == Some(layer) && self.current != Some(layer) {
            if !keyframe_start {
                return false;
            }
            self.current = Some(layer);
        }
        self.current == Some(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Layer::*;

    #[test]
    fn a_new_line_forwards_the_best_layer_from_its_first_keyframe() {
        let mut s = LayerSwitch::default();
        assert_eq!(s.awaited(), Some(High));
        assert!(!s.admit(Low, true));
        assert!(!s.admit(High, false), "no start mid-picture");
        assert!(s.admit(High, true));
        assert!(s.admit(High, false));
        assert_eq!(s.awaited(), None);
    }

    #[test]
    fn a_switch_keeps_the_old_layer_until_the_new_one_has_a_keyframe() {
        let mut s = LayerSwitch::default();
        s.admit(High, true);
        assert!(!s.set_target(Some(Low)));
        assert_eq!(s.awaited(), Some(Low));
        // Until Low's keyframe the receiver keeps its picture: High goes on.
        assert!(!s.admit(Low, false));
        assert!(s.admit(High, false));
        assert!(!s.admit(Medium, true), "not the target");
        assert!(s.admit(Low, true));
        assert_eq!(s.current(), Some(Low));
        // From then on only Low, even High's keyframes.
        assert!(!s.admit(High, true));
        assert!(s.admit(Low, false));
        assert_eq!(s.awaited(), None);
    }

    #[test]
    fn a_hidden_tile_stops_at_once_and_resumes_at_a_keyframe() {
        let mut s = LayerSwitch::default();
        s.admit(High, true);
        assert!(s.set_target(None), "the forwarder must pause");
        assert_eq!(s.awaited(), None, "nothing to ask the publisher for");
        assert!(!s.admit(High, true));
        assert!(!s.set_target(None), "already stopped");
        s.set_target(Some(Medium));
        assert!(!s.admit(Medium, false));
        assert!(s.admit(Medium, true));
    }

    #[test]
    fn going_back_to_the_current_layer_cancels_a_pending_switch() {
        let mut s = LayerSwitch::default();
        s.admit(High, true);
        s.set_target(Some(Low));
        s.set_target(Some(High));
        assert_eq!(s.awaited(), None);
        assert!(s.admit(High, false));
        assert!(!s.admit(Low, true));
    }
}
