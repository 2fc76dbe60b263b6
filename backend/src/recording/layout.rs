//! Where everything goes in the output video, as data: the timeline cut into scenes (spans in
//! which the same tiles show), each with its tiles. Pure: [`super::output`] turns it into an
//! ffmpeg filter graph.
//!
//! The picture is that of a meeting: everyone whose camera or microphone is on has a tile (their
//! camera, or their name on a dark card), in a grid; while a screen is shared, it fills the left
//! three quarters and the tiles stand in a column on the right. With several screens shared at
//! once, the one shared last is large and the others are tiles.
//!
//! Invariants:
//! - Scenes cover `0..duration` without gap or overlap, their bounds on the frame grid.
//! - Every rectangle lies inside the frame and has even position and size (4:2:0 chroma).
//! - Tiles are in a stable order: participants in manifest order, each one's camera before their
//!   screen tiles.

use treff_shared::TrackKind;

use super::manifest::{Manifest, Segment};

/// Output frame width.
pub const WIDTH: u32 = 1280;
/// Output frame height.
pub const HEIGHT: u32 = 720;
/// Space between tiles and around them.
const GAP: u32 = 8;
/// Width of the area a shared screen takes (the rest is the column of tiles).
const SCREEN_WIDTH: u32 = WIDTH * 3 / 4;

/// A rectangle in the output frame, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

/// What a tile shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// A camera segment (index into the manifest's segments), cropped to fill the tile.
    Camera(usize),
    /// A screen segment (index into the manifest's segments), fitted whole into the tile.
    Screen(usize),
    /// No picture: the person's name on a dark card (their microphone is on).
    Name,
}

/// One rectangle of the picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    /// Whose it is ([`super::manifest::Person::key`]).
    pub person: u32,
    /// What it shows.
    pub content: Content,
    /// Where.
    pub rect: Rect,
    /// The person's name is drawn on it (not on the large screen).
    pub labelled: bool,
}

/// A span of the timeline in which the same tiles show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scene {
    /// Start on the output timeline (ms, inclusive).
    pub start_ms: u64,
    /// End on the output timeline (ms, exclusive).
    pub end_ms: u64,
    /// The tiles, drawn in this order.
    pub tiles: Vec<Tile>,
}

/// The picture at `at_ms`: the segments running then (`start_ms <= at_ms < end_ms`), laid out.
pub fn arrange(manifest: &Manifest, at_ms: u64) -> Vec<Tile> {
    let running = |s: &Segment| s.start_ms <= at_ms && at_ms < s.end_ms;
    let latest = |person: u32, kind: TrackKind| {
        manifest
            .segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.person == person && s.kind == kind && running(s))
            .max_by_key(|(_, s)| s.start_ms)
            .map(|(i, _)| i)
    };
    // The screen shared last is the large one.
    let main_screen = manifest
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == TrackKind::Screen && running(s))
        .max_by_key(|(i, s)| (s.start_ms, *i))
        .map(|(i, _)| i);

    // Participants in manifest order; segments of someone the manifest does not name still show.
    let mut people: Vec<u32> = manifest.participants.iter().map(|p| p.key).collect();
    for s in &manifest.segments {
        if !people.contains(&s.person) {
            people.push(s.person);
        }
    }
    let mut small: Vec<(u32, Content)> = Vec::new();
    for &person in &people {
        match latest(person, TrackKind::Video) {
            Some(camera) => small.push((person, Content::Camera(camera))),
            None if latest(person, TrackKind::Audio).is_some() => {
                small.push((person, Content::Name));
            }
            None => {}
        }
        let screens = manifest.segments.iter().enumerate().filter(|(i, s)| {
            s.person == person
                && s.kind == TrackKind::Screen
                && running(s)
                && Some(*i) != main_screen
        });
        small.extend(screens.map(|(i, _)| (person, Content::Screen(i))));
    }

    let mut tiles = Vec::with_capacity(small.len() + 1);
    let rects = match main_screen {
        Some(screen) => {
            tiles.push(Tile {
                person: manifest.segments[screen].person,
                content: Content::Screen(screen),
                rect: Rect {
                    x: 0,
                    y: 0,
                    w: SCREEN_WIDTH,
                    h: HEIGHT,
                },
                labelled: false,
            });
            column(small.len())
        }
        None => grid(small.len()),
    };
    tiles.extend(
        small
            .into_iter()
            .zip(rects)
            .map(|((person, content), rect)| Tile {
                person,
                content,
                rect,
                labelled: true,
            }),
    );
    tiles
}

/// The timeline of `manifest` cut into scenes, bounds rounded to multiples of `frame_ms` (the
/// output's frame duration), so that every scene is a whole number of frames.
pub fn scenes(manifest: &Manifest, frame_ms: u64) -> Vec<Scene> {
    let frame_ms = frame_ms.max(1);
    let snap = |ms: u64| (ms.min(manifest.duration_ms) + frame_ms / 2) / frame_ms * frame_ms;
    let mut bounds: Vec<u64> = vec![0, snap(manifest.duration_ms)];
    for s in &manifest.segments {
        bounds.push(snap(s.start_ms));
        bounds.push(snap(s.end_ms));
    }
    bounds.sort_unstable();
    bounds.dedup();

    let mut scenes: Vec<Scene> = Vec::new();
    for pair in bounds.windows(2) {
        let (start_ms, end_ms) = (pair[0], pair[1]);
        // What shows in the middle of the span: the snapped bounds may cut a segment's first or
        // last frame, never its middle.
        let tiles = arrange(manifest, start_ms + (end_ms - start_ms) / 2);
        match scenes.last_mut() {
            Some(last) if last.tiles == tiles => last.end_ms = end_ms,
            _ => scenes.push(Scene {
                start_ms,
                end_ms,
                tiles,
            }),
        }
    }
    scenes
}

/// `n` 16:9 tiles in a grid filling the frame, the last row centred.
fn grid(n: usize) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    let cols = (1..=n32).find(|c| c * c >= n32).unwrap_or(n32);
    let rows = n32.div_ceil(cols);
    let cell_w = (WIDTH - GAP * (cols + 1)) / cols;
    let cell_h = (HEIGHT - GAP * (rows + 1)) / rows;
    let (w, h) = fit_16_9(cell_w, cell_h);
    let top = (HEIGHT - rows * h - (rows - 1) * GAP) / 2;
    (0..n32)
        .map(|i| {
            let (row, col) = (i / cols, i % cols);
            let in_row = if row + 1 == rows {
                n32 - row * cols
            } else {
                cols
            };
            let left = (WIDTH - in_row * w - (in_row - 1) * GAP) / 2;
            Rect {
                x: even(left + col * (w + GAP)),
                y: even(top + row * (h + GAP)),
                w,
                h,
            }
        })
        .collect()
}

/// `n` 16:9 tiles in a column right of the shared screen, centred vertically.
fn column(n: usize) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let n32 = u32::try_from(n).unwrap_or(u32::MAX).min(HEIGHT / (GAP + 2));
    let area_w = WIDTH - SCREEN_WIDTH;
    let (w, h) = fit_16_9(area_w - 2 * GAP, (HEIGHT - GAP * (n32 + 1)) / n32);
    let top = (HEIGHT - n32 * h - (n32 - 1) * GAP) / 2;
    let x = even(SCREEN_WIDTH + (area_w - w) / 2);
    (0..n32)
        .map(|i| Rect {
            x,
            y: even(top + i * (h + GAP)),
            w,
            h,
        })
        .collect()
}

/// The largest even 16:9 size within `w` x `h`.
fn fit_16_9(w: u32, h: u32) -> (u32, u32) {
    let w = w.min(h * 16 / 9);
    (even(w).max(2), even(w * 9 / 16).max(2))
}

fn even(v: u32) -> u32 {
    v & !1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::manifest::Person;

    fn seg(person: u32, kind: TrackKind, start_ms: u64, end_ms: u64) -> Segment {
        Segment {
            person,
            kind,
            file: format!("{person}-{kind:?}-{start_ms}"),
            start_ms,
            end_ms,
        }
    }

    fn manifest(duration_ms: u64, segments: Vec<Segment>) -> Manifest {
        Manifest {
            duration_ms,
            participants: (1..=9)
                .map(|key| Person {
                    key,
                    name: format!("P{key}"),
                })
                .collect(),
            segments,
            damaged: false,
        }
    }

    fn inside_and_even(r: &Rect) -> bool {
        r.x + r.w <= WIDTH
            && r.y + r.h <= HEIGHT
            && [r.x, r.y, r.w, r.h].iter().all(|v| v % 2 == 0)
            && r.w > 0
            && r.h > 0
    }

    fn overlap(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn grids_fill_the_frame_without_overlap_for_any_count() {
        for n in 1..=12 {
            let rects = grid(n);
            assert_eq!(rects.len(), n);
            for (i, a) in rects.iter().enumerate() {
                assert!(inside_and_even(a), "{n} tiles: {a:?}");
                assert!(
                    rects[i + 1..].iter().all(|b| !overlap(a, b)),
                    "{n} tiles overlap"
                );
            }
        }
        // One camera: the whole frame but the margin; two: side by side, same row.
        assert_eq!(
            grid(1)[0],
            Rect {
                x: 14,
                y: 8,
                w: 1250,
                h: 702
            }
        );
        let two = grid(2);
        assert_eq!(two[0].y, two[1].y);
        assert!(two[0].x < two[1].x);
        // Three: two above, one centred below.
        let three = grid(3);
        assert_eq!(three[0].y, three[1].y);
        assert!(three[2].y > three[0].y);
        assert!((three[2].x + three[2].w / 2).abs_diff(WIDTH / 2) <= 2);
    }

    #[test]
    fn cameras_make_a_grid_and_a_microphone_alone_a_name_card() {
        let m = manifest(
            10_000,
            vec![
                seg(1, TrackKind::Video, 0, 10_000),
                seg(2, TrackKind::Audio, 0, 10_000),
                seg(2, TrackKind::Video, 5_000, 10_000),
            ],
        );
        let early = arrange(&m, 1_000);
        assert_eq!(early.len(), 2);
        assert_eq!(early[0].content, Content::Camera(0));
        assert_eq!((early[1].person, early[1].content), (2, Content::Name));
        let late = arrange(&m, 6_000);
        assert_eq!(late[1].content, Content::Camera(2));
        assert_eq!(late.iter().map(|t| t.rect).collect::<Vec<_>>(), grid(2));
        assert!(late.iter().all(|t| t.labelled));
    }

    #[test]
    fn a_shared_screen_is_large_on_the_left_with_the_cameras_in_a_column() {
        let m = manifest(
            10_000,
            vec![
                seg(1, TrackKind::Video, 0, 10_000),
                seg(2, TrackKind::Video, 0, 10_000),
                seg(3, TrackKind::Video, 0, 10_000),
                seg(2, TrackKind::Screen, 5_000, 10_000),
            ],
        );
        let tiles = arrange(&m, 7_000);
        assert_eq!(tiles.len(), 4);
        let screen = tiles[0];
        assert_eq!(screen.content, Content::Screen(3));
        assert!(!screen.labelled);
        assert_eq!(
            screen.rect,
            Rect {
                x: 0,
                y: 0,
                w: 960,
                h: 720
            }
        );
        for t in &tiles[1..] {
            assert!(inside_and_even(&t.rect));
            assert!(t.rect.x >= 960, "cameras beside the screen: {:?}", t.rect);
            assert!(!overlap(&t.rect, &screen.rect));
        }
        assert_eq!(
            tiles[1..].iter().map(|t| t.person).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        // Many tiles still fit in the column.
        let rects = column(9);
        assert!(rects.iter().all(inside_and_even));
        assert!(rects.windows(2).all(|p| !overlap(&p[0], &p[1])));
    }

    #[test]
    fn the_screen_shared_last_is_large_and_an_earlier_one_a_tile() {
        let m = manifest(
            10_000,
            vec![
                seg(1, TrackKind::Screen, 0, 10_000),
                seg(2, TrackKind::Screen, 4_000, 10_000),
            ],
        );
        let tiles = arrange(&m, 5_000);
        assert_eq!(tiles[0].content, Content::Screen(1));
        assert_eq!(tiles[1].content, Content::Screen(0));
        assert!(tiles[1].rect.x >= 960);
    }

    #[test]
    fn scenes_cover_the_timeline_on_the_frame_grid() {
        let m = manifest(
            12_010,
            vec![
                seg(1, TrackKind::Video, 0, 12_010),
                seg(1, TrackKind::Audio, 0, 12_010),
                seg(2, TrackKind::Video, 3_013, 12_010),
                // Paused span: nothing from 9 s to 10 s for person 2's microphone only.
                seg(2, TrackKind::Audio, 3_013, 9_000),
                seg(2, TrackKind::Screen, 6_000, 8_000),
            ],
        );
        let scenes = scenes(&m, 40);
        assert_eq!(scenes.first().map(|s| s.start_ms), Some(0));
        assert_eq!(scenes.last().map(|s| s.end_ms), Some(12_000));
        for pair in scenes.windows(2) {
            assert_eq!(pair[0].end_ms, pair[1].start_ms);
            assert_ne!(pair[0].tiles, pair[1].tiles, "equal neighbours are merged");
        }
        assert!(
            scenes
                .iter()
                .all(|s| s.start_ms % 40 == 0 && s.end_ms > s.start_ms)
        );
        let bounds: Vec<(u64, u64, usize)> = scenes
            .iter()
            .map(|s| (s.start_ms, s.end_ms, s.tiles.len()))
            .collect();
        // 3013 snaps to 3000; the microphone's end alone changes nothing (the camera stays).
        assert_eq!(
            bounds,
            vec![
                (0, 3_000, 1),
                (3_000, 6_000, 2),
                (6_000, 8_000, 3),
                (8_000, 12_000, 2)
            ]
        );
    }

    #[test]
    fn nothing_running_is_one_empty_scene() {
        let m = manifest(5_000, Vec::new());
        assert_eq!(
            scenes(&m, 40),
            vec![Scene {
                start_ms: 0,
                end_ms: 5_000,
                tiles: Vec::new()
            }]
        );
        assert_eq!(scenes(&manifest(0, Vec::new()), 40), Vec::new());
    }
}
