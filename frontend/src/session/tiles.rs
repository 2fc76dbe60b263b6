//! The tiles report: every [`REPORT_MS`] the video tiles on screen are measured, and when their
//! sizes changed the server is told (`ClientMsg::Tiles`). The SFU then sends each video at the
//! simulcast layer its tile needs, and nothing for one that is not shown: a camera whose tile is
//! hidden or scrolled out of the window, every video while the page is in the background. Measuring
//! on a timer (rather than observing each element) catches every cause of a new size at once: view
//! switch, window resize, side panel, a presentation starting.

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use treff_shared::{ClientMsg, ParticipantId, TileSize, TrackKind};
use wasm_bindgen::JsCast;
use web_sys::{Element, Window};

use super::Session;

/// How often the tiles are measured.
pub const REPORT_MS: u64 = 500;

/// The reporting state of a session.
#[derive(Default)]
pub(super) struct TileReports {
    timer: Option<IntervalHandle>,
    /// What the server was told last.
    sent: Option<Vec<TileSize>>,
}

impl TileReports {
    /// Stops reporting for good.
    pub(super) fn stop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.clear();
        }
    }
}

impl Session {
    /// Starts measuring the tiles; stopped by `shutdown`.
    pub(super) fn start_tile_reports(self: &Rc<Self>) {
        let period = Duration::from_millis(REPORT_MS);
        let timer = self.every(period, "tile reports", |session| session.report_tiles());
        self.tiles.borrow_mut().timer = timer;
    }

    fn report_tiles(&self) {
        let Some(me) = self.ui.me.get_untracked() else {
            return;
        };
        if self.closed.get() || self.peer.borrow().is_none() {
            return;
        }
        let tiles = measure(me);
        let mut reports = self.tiles.borrow_mut();
        if reports.sent.as_ref() != Some(&tiles) {
            reports.sent = Some(tiles.clone());
            drop(reports);
            self.send(&ClientMsg::Tiles { tiles });
        }
    }
}

/// The others' video tiles in the page and the part of each inside the window, in device pixels.
fn measure(me: ParticipantId) -> Vec<TileSize> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let Some(document) = window.document() else {
        return Vec::new();
    };
    let hidden = document.hidden();
    let mut tiles = Vec::new();
    for (selector, kind) in [
        (".tile[data-self=false] video", TrackKind::Video),
        ("[data-testid=presentation] video", TrackKind::Screen),
    ] {
        let Ok(videos) = document.query_selector_all(selector) else {
            continue;
        };
        for i in 0..videos.length() {
            let Some(video) = videos.get(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let Some(participant) = owner(&video) else {
                continue;
            };
            if participant == me {
                continue;
            }
            let (width, height) = if hidden {
                (0, 0)
            } else {
                visible_size(&window, &video)
            };
            tiles.push(TileSize {
                participant,
                kind,
                width,
                height,
                featured: featured(&video),
            });
        }
    }
    tiles
}

/// Whether `video` is in speaker view's featured tile: shown large, it is received in a large
/// meeting whoever spoke last. (Tile view marks the active speaker `featured` too, for the
/// layout's sake; there every tile is the same size and none is preferred.)
fn featured(video: &Element) -> bool {
    video
        .closest(".speaker-layout .tile.featured")
        .ok()
        .flatten()
        .is_some()
}

/// The participant id on the nearest tile or presentation around `video`.
fn owner(video: &Element) -> Option<ParticipantId> {
    let holder = video.closest("[data-participant-id]").ok()??;
    let id = holder.get_attribute("data-participant-id")?.parse().ok()?;
    Some(ParticipantId(id))
}

/// The size of the part of `element` inside the window, in device pixels (0 × 0 when it is not
/// rendered or entirely outside).
fn visible_size(window: &Window, element: &Element) -> (u32, u32) {
    let number = |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64());
    let (Some(view_w), Some(view_h)) =
        (number(window.inner_width()), number(window.inner_height()))
    else {
        return (0, 0);
    };
    let r = element.get_bounding_client_rect();
    let w = r.right().min(view_w) - r.left().max(0.0);
    let h = r.bottom().min(view_h) - r.top().max(0.0);
    if w <= 0.0 || h <= 0.0 {
        return (0, 0);
    }
    let ratio = window.device_pixel_ratio();
    // Rounded, so sub-pixel layout jitter is not a change.
    ((w * ratio).round() as u32, (h * ratio).round() as u32)
}
