//! The output job's rendering: a raw capture ([`Manifest`] plus segment files) into
//! `recording.mp4` (H.264 + AAC: the meeting's picture and everyone's audio) and `audio.m4a`
//! (the same AAC), with Debian's `ffmpeg` run as a subprocess at the lowest CPU priority.
//!
//! How: [`super::layout`] cuts the timeline into scenes; every scene is composed on a black frame
//! from its tiles (each segment scaled into its rectangle, names drawn with DejaVu Sans) and the
//! scenes are concatenated. Every segment is shifted to its `start_ms` (`setpts`/`adelay`), so a
//! frame or sample lands at the segment's start plus its own time: audio and video stay in sync
//! because both follow the same rule. Audio is mixed without normalisation (a voice keeps its
//! level however many microphones are open); gaps inside a microphone segment are filled with
//! silence.
//!
//! Invariants:
//! - Names are user input and never part of the filter graph: each is written to a file of its
//!   own and drawn with `textfile=` and `expansion=none`. The graph names only files in ffmpeg's
//!   working directory with fixed, safe names; segment files reach ffmpeg as arguments, and a
//!   segment file name from the manifest must be a plain file name.
//! - Nothing is logged here: names and paths go back to the caller in [`OutputError`] only.
//! - The working directory (graph and name files) is removed whatever the outcome.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use treff_shared::TrackKind;

use super::layout::{self, Content, HEIGHT, Scene, Tile, WIDTH};
use super::manifest::Manifest;

/// Output frame rate.
pub const FPS: u64 = 25;
/// The font names are drawn with (Debian's `fonts-dejavu-core`).
pub const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// The video file.
pub const VIDEO_FILE: &str = "recording.mp4";
/// The audio file.
pub const AUDIO_FILE: &str = "audio.m4a";
/// x264 preset: `veryfast` keeps a 3-person meeting with a screen share well over 2x real time
/// on two cores (see `examples/recording_output.rs`); the picture is mostly still, so quality
/// holds.
const X264_PRESET: &str = "veryfast";
/// Names longer than this (in characters) are cut, so that they fit under a tile.
const NAME_CHARS: usize = 32;
/// Lines of ffmpeg's error output kept for [`OutputError::Ffmpeg`].
const STDERR_LINES: usize = 12;

/// What a finished render made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Length of the output (the manifest's duration).
    pub duration_ms: u64,
    /// File names in the output directory and their sizes in bytes: `recording.mp4` and
    /// `audio.m4a`.
    pub files: Vec<(String, u64)>,
}

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The manifest has nothing to render (zero length).
    #[error("the recording is empty")]
    Empty,
    /// A segment's file name is not a plain file name inside the raw directory.
    #[error("the manifest names an unsafe segment file: {0:?}")]
    BadFile(String),
    /// The font for names is not installed.
    #[error("the font {FONT} is missing (install fonts-dejavu-core)")]
    MissingFont,
    /// Reading the raw directory or writing the output failed.
    #[error("file access failed: {0}")]
    Io(#[from] io::Error),
    /// `ffmpeg` could not be started.
    #[error("ffmpeg could not be started (install ffmpeg): {0}")]
    Spawn(io::Error),
    /// `ffmpeg` ended with an error.
    #[error("ffmpeg failed ({status}): {stderr}")]
    Ffmpeg {
        /// Its exit status.
        status: String,
        /// The last lines of its error output.
        stderr: String,
    },
}

impl OutputError {
    /// Why, in one English sentence without file names, paths or ffmpeg's output: what the
    /// moderators are told and the log gets (the `Display` text may carry ffmpeg's stderr).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Empty => "the recording is empty",
            Self::BadFile(_) => "the capture names an unsafe segment file",
            Self::MissingFont => "the font for names is missing (install fonts-dejavu-core)",
            Self::Io(_) => "the recording's files could not be read or written",
            Self::Spawn(_) => "ffmpeg could not be started (install ffmpeg)",
            Self::Ffmpeg { .. } => "ffmpeg failed to make the output",
        }
    }
}

/// Renders the capture in `raw_dir` described by `manifest` into `out_dir`, reporting progress
/// in percent (0 to 100, rising) to `progress`. Blocking: run it on a thread of its own.
pub fn render(
    raw_dir: &Path,
    manifest: &Manifest,
    out_dir: &Path,
    mut progress: impl FnMut(u8),
) -> Result<Rendered, OutputError> {
    if manifest.duration_ms == 0 {
        return Err(OutputError::Empty);
    }
    for s in &manifest.segments {
        let plain = Path::new(&s.file)
            .file_name()
            .is_some_and(|f| f == s.file.as_str());
        if !plain || s.file.starts_with('.') {
            return Err(OutputError::BadFile(s.file.clone()));
        }
    }
    if !Path::new(FONT).exists() {
        return Err(OutputError::MissingFont);
    }
    // ffmpeg runs in a working directory of its own, so absolute paths are needed.
    let raw_dir = raw_dir.canonicalize()?;
    let out_dir = out_dir.canonicalize()?;
    let work = WorkDir::create(&out_dir.join(".render"))?;

    let plan = Plan::new(manifest);
    for (key, name) in &plan.names {
        std::fs::write(work.0.join(name_file(*key)), name)?;
    }
    std::fs::write(work.0.join("graph.txt"), plan.graph(manifest))?;

    let video = out_dir.join(VIDEO_FILE);
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    for &i in &plan.inputs {
        if manifest.segments[i].kind != TrackKind::Audio {
            // A camera may change its resolution mid-segment: the tile's `scale` adapts, instead
            // of ffmpeg rebuilding the whole graph (which would restart the timeline).
            args.extend(["-reinit_filter".into(), "0".into()]);
        }
        args.extend(["-i".into(), raw_dir.join(&manifest.segments[i].file).into()]);
    }
    args.extend(
        [
            "-filter_complex_script",
            "graph.txt",
            "-map",
            "[vout]",
            "-map",
            "[aout]",
            "-c:v",
            "libx264",
            "-preset",
            X264_PRESET,
            "-crf",
            "23",
            "-pix_fmt",
            "yuv420p",
            "-r",
            "25",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-movflags",
            "+faststart",
        ]
        .map(Into::into),
    );
    args.push(video.clone().into());
    let duration_us = manifest.duration_ms * 1000;
    let mut last = None;
    run_ffmpeg(&work.0, &args, |out_time_us| {
        // The video is most of the work; 100 is said when both files exist.
        let percent = (out_time_us.min(duration_us) * 99 / duration_us.max(1)) as u8;
        if last != Some(percent) {
            last = Some(percent);
            progress(percent);
        }
    })?;

    // The audio file: the video's AAC as it is, so both carry exactly the same mix.
    let audio = out_dir.join(AUDIO_FILE);
    let args: Vec<std::ffi::OsString> = vec![
        "-i".into(),
        video.clone().into(),
        "-map".into(),
        "0:a".into(),
        "-c".into(),
        "copy".into(),
        "-movflags".into(),
        "+faststart".into(),
        audio.clone().into(),
    ];
    run_ffmpeg(&work.0, &args, |_| {})?;
    progress(100);

    Ok(Rendered {
        duration_ms: manifest.duration_ms,
        files: vec![
            (VIDEO_FILE.to_string(), std::fs::metadata(&video)?.len()),
            (AUDIO_FILE.to_string(), std::fs::metadata(&audio)?.len()),
        ],
    })
}

/// A directory removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn create(path: &Path) -> io::Result<Self> {
        if path.exists() {
            std::fs::remove_dir_all(path)?;
        }
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(path)?;
        Ok(Self(path.to_path_buf()))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file holding person `key`'s name, in ffmpeg's working directory.
fn name_file(key: u32) -> String {
    format!("name-{key}.txt")
}

/// A name as drawn: one line, no control characters, at most [`NAME_CHARS`] characters.
pub fn display_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if clean.chars().count() > NAME_CHARS {
        let mut cut: String = clean.chars().take(NAME_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        clean.to_string()
    }
}

/// What the render needs besides the manifest: scenes, inputs and names.
struct Plan {
    scenes: Vec<Scene>,
    /// Segments given to ffmpeg as inputs, in input order (an index into the manifest's segments).
    inputs: Vec<usize>,
    /// Names to draw, by person key (empty names are not drawn).
    names: Vec<(u32, String)>,
}

impl Plan {
    fn new(manifest: &Manifest) -> Self {
        let scenes = layout::scenes(manifest, 1000 / FPS);
        let mut inputs: Vec<usize> = Vec::new();
        for scene in &scenes {
            for tile in &scene.tiles {
                if let Content::Camera(i) | Content::Screen(i) = tile.content
                    && !inputs.contains(&i)
                {
                    inputs.push(i);
                }
            }
        }
        inputs.sort_unstable();
        inputs.extend(manifest.segments.iter().enumerate().filter_map(|(i, s)| {
            (s.kind == TrackKind::Audio
                && s.end_ms > s.start_ms
                && s.start_ms < manifest.duration_ms)
                .then_some(i)
        }));
        let names = manifest
            .participants
            .iter()
            .map(|p| (p.key, display_name(&p.name)))
            .filter(|(_, n)| !n.is_empty())
            .collect();
        Self {
            scenes,
            inputs,
            names,
        }
    }

    fn input_of(&self, segment: usize) -> usize {
        self.inputs.iter().position(|&i| i == segment).unwrap_or(0)
    }

    fn has_name(&self, person: u32) -> bool {
        self.names.iter().any(|(k, _)| *k == person)
    }

    /// The filter graph (for `-filter_complex_script`): `[vout]` and `[aout]`.
    fn graph(&self, manifest: &Manifest) -> String {
        let mut g = String::new();
        let secs = |ms: u64| format!("{}.{:03}", ms / 1000, ms % 1000);

        // Each video segment: on the timeline at its start, at the output rate, its last picture
        // held to its end, then one branch per tile it appears in.
        let mut branches: Vec<Vec<(usize, usize)>> = vec![Vec::new(); manifest.segments.len()];
        for (s, scene) in self.scenes.iter().enumerate() {
            for (t, tile) in scene.tiles.iter().enumerate() {
                if let Content::Camera(i) | Content::Screen(i) = tile.content {
                    branches[i].push((s, t));
                }
            }
        }
        for (i, uses) in branches.iter().enumerate().filter(|(_, u)| !u.is_empty()) {
            let seg = &manifest.segments[i];
            let _ = write!(
                g,
                "[{}:v]setpts=PTS+{}/TB,fps={FPS},tpad=stop_mode=clone:stop_duration={}",
                self.input_of(i),
                secs(seg.start_ms),
                secs(seg.end_ms.saturating_sub(seg.start_ms) + 1000),
            );
            if uses.len() == 1 {
                let (s, t) = uses[0];
                let _ = writeln!(g, "[b{s}_{t}];");
            } else {
                let _ = write!(g, ",split={}", uses.len());
                for (s, t) in uses {
                    let _ = write!(g, "[b{s}_{t}]");
                }
                let _ = writeln!(g, ";");
            }
        }

        // Each scene: its tiles over black, then all scenes one after the other. A tile's branch
        // is cut to its scene, so nothing waits for a later scene's frames.
        for (s, scene) in self.scenes.iter().enumerate() {
            let (a, b) = (scene.start_ms, scene.end_ms);
            let _ = writeln!(
                g,
                "color=c=black:s={WIDTH}x{HEIGHT}:r={FPS}:d={}[s{s}_0];",
                secs(b - a)
            );
            let mut layer = 0;
            for (t, tile) in scene.tiles.iter().enumerate() {
                let r = tile.rect;
                let label = if tile.labelled && self.has_name(tile.person) {
                    self.label(tile, false)
                } else {
                    String::new()
                };
                match tile.content {
                    Content::Camera(_) | Content::Screen(_) => {
                        let fit = if matches!(tile.content, Content::Camera(_)) {
                            format!(
                                "scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}",
                                w = r.w,
                                h = r.h
                            )
                        } else {
                            format!(
                                "scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad={w}:{h}:-1:-1:color=black",
                                w = r.w,
                                h = r.h
                            )
                        };
                        let _ = writeln!(
                            g,
                            "[b{s}_{t}]trim=start={}:end={},setpts=PTS-{}/TB,{fit},setsar=1{label}[t{s}_{t}];",
                            secs(a),
                            secs(b),
                            secs(a),
                        );
                        let _ = writeln!(
                            g,
                            "[s{s}_{layer}][t{s}_{t}]overlay=x={}:y={}:eof_action=pass:repeatlast=0[s{s}_{}];",
                            r.x,
                            r.y,
                            layer + 1
                        );
                    }
                    Content::Name => {
                        let label = if self.has_name(tile.person) {
                            self.label(tile, true)
                        } else {
                            String::new()
                        };
                        let _ = writeln!(
                            g,
                            "[s{s}_{layer}]drawbox=x={}:y={}:w={}:h={}:color=0x303030:t=fill{label}[s{s}_{}];",
                            r.x,
                            r.y,
                            r.w,
                            r.h,
                            layer + 1
                        );
                    }
                }
                layer += 1;
            }
            let _ = writeln!(g, "[s{s}_{layer}]null[scene{s}];");
        }
        for s in 0..self.scenes.len() {
            let _ = write!(g, "[scene{s}]");
        }
        let _ = writeln!(
            g,
            "concat=n={}:v=1:a=0,format=yuv420p[vout];",
            self.scenes.len()
        );

        // Audio: every microphone segment from its start, gaps filled with silence, mixed at
        // full level, the whole as long as the recording.
        let audio: Vec<usize> = self
            .inputs
            .iter()
            .copied()
            .filter(|&i| manifest.segments[i].kind == TrackKind::Audio)
            .collect();
        let total = secs(manifest.duration_ms);
        if audio.is_empty() {
            let _ = writeln!(g, "anullsrc=r=48000:cl=stereo,atrim=end={total}[aout]");
        } else {
            for (n, &i) in audio.iter().enumerate() {
                let _ = writeln!(
                    g,
                    "[{}:a]aresample=48000:async=1:first_pts=0,aformat=sample_fmts=fltp:channel_layouts=stereo,adelay=delays={}:all=1[a{n}];",
                    self.input_of(i),
                    manifest.segments[i].start_ms,
                );
            }
            for n in 0..audio.len() {
                let _ = write!(g, "[a{n}]");
            }
            let _ = writeln!(
                g,
                "amix=inputs={}:duration=longest:dropout_transition=0:normalize=0,apad=whole_dur={total},atrim=end={total}[aout]",
                audio.len()
            );
        }
        g
    }

    /// A `drawtext` drawing `tile`'s person's name: at the bottom left of a picture tile
    /// (relative to the tile), or centred in a name card (absolute, on the scene).
    fn label(&self, tile: &Tile, card: bool) -> String {
        let r = tile.rect;
        let size = if card {
            (r.h / 8).clamp(14, 40)
        } else {
            (r.h / 14).clamp(12, 26)
        };
        let (x, y) = if card {
            (
                format!("{}+({}-tw)/2", r.x, r.w),
                format!("{}+({}-th)/2", r.y, r.h),
            )
        } else {
            ("8".to_string(), format!("h-th-{}", size / 2 + 6))
        };
        // Only fixed text here: the name comes from its file, without expansion.
        format!(
            ",drawtext=fontfile={FONT}:textfile={}:expansion=none:fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=5:x={x}:y={y}",
            name_file(tile.person)
        )
    }
}

/// Runs `ffmpeg` (at the lowest CPU priority) in `dir` with `args`, handing each `out_time_us`
/// of its progress to `on_progress`.
fn run_ffmpeg(
    dir: &Path,
    args: &[std::ffi::OsString],
    mut on_progress: impl FnMut(u64),
) -> Result<(), OutputError> {
    let mut child = Command::new("nice")
        .args(["-n", "19", "ffmpeg", "-hide_banner", "-nostdin", "-nostats"])
        .args(["-loglevel", "error", "-progress", "pipe:1", "-y"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(OutputError::Spawn)?;
    let stderr = child.stderr.take().map(|mut err| {
        std::thread::spawn(move || {
            // The whole error output is read (so ffmpeg never blocks on it), the tail kept.
            let mut text = String::new();
            let mut tail: VecDeque<String> = VecDeque::new();
            let mut bytes = Vec::new();
            let _ = err.read_to_end(&mut bytes);
            text.push_str(&String::from_utf8_lossy(&bytes));
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                if tail.len() == STDERR_LINES {
                    tail.pop_front();
                }
                tail.push_back(line.to_string());
            }
            Vec::from(tail).join("\n")
        })
    });
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Some(us) = line.strip_prefix("out_time_us=")
                && let Ok(us) = us.trim().parse::<u64>()
            {
                on_progress(us);
            }
        }
    }
    let status = child.wait()?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(OutputError::Ffmpeg {
            status: status.to_string(),
            stderr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::manifest::{Person, Segment};

    fn manifest(names: &[&str]) -> Manifest {
        let mut segments = Vec::new();
        for (key, _) in names.iter().enumerate() {
            let key = key as u32 + 1;
            segments.push(Segment {
                person: key,
                kind: TrackKind::Video,
                file: format!("{key}-camera-1.ivf"),
                start_ms: 0,
                end_ms: 4_000,
            });
            segments.push(Segment {
                person: key,
                kind: TrackKind::Audio,
                file: format!("{key}-audio-2.ogg"),
                start_ms: 1_000,
                end_ms: 4_000,
            });
        }
        Manifest {
            duration_ms: 4_000,
            participants: names
                .iter()
                .enumerate()
                .map(|(i, n)| Person {
                    key: i as u32 + 1,
                    name: (*n).to_string(),
                })
                .collect(),
            segments,
            damaged: false,
        }
    }

    #[test]
    fn names_never_reach_the_filter_graph() {
        let hostile = [
            "a'b:c\\d%{pts}[x];e,f",
            "movie=/etc/passwd[out]",
            "Ann\nnewline",
        ];
        let m = manifest(&hostile);
        let plan = Plan::new(&m);
        let graph = plan.graph(&m);
        for name in hostile {
            assert!(!graph.contains(name), "a name in the graph: {graph}");
        }
        assert!(!graph.contains("passwd") && !graph.contains("pts}") && !graph.contains("Ann"));
        assert!(graph.contains("textfile=name-1.txt:expansion=none"));
        // The names go to files, one line each.
        assert_eq!(plan.names[2], (3, "Ann newline".to_string()));
    }

    #[test]
    fn display_names_are_one_line_and_cut() {
        assert_eq!(display_name("  Ann\tBerg \r\n"), "Ann Berg");
        let long = "x".repeat(50);
        let shown = display_name(&long);
        assert_eq!(shown.chars().count(), NAME_CHARS);
        assert!(shown.ends_with('…'));
        assert_eq!(display_name("Zoë 🎉"), "Zoë 🎉");
    }

    #[test]
    fn segments_are_placed_at_their_start_and_audio_delayed_to_it() {
        let m = manifest(&["Ann", "Ben"]);
        let graph = Plan::new(&m).graph(&m);
        assert!(graph.contains("[0:v]setpts=PTS+0.000/TB"));
        assert!(graph.contains("adelay=delays=1000:all=1"));
        assert!(graph.contains("amix=inputs=2:duration=longest:dropout_transition=0:normalize=0"));
        assert!(graph.contains("atrim=end=4.000[aout]"));
        assert!(graph.contains("concat=n=1:v=1:a=0"));
        // Inputs: videos first, then microphones.
        let plan = Plan::new(&m);
        assert_eq!(plan.inputs, vec![0, 2, 1, 3]);
    }

    #[test]
    fn unsafe_segment_files_are_refused() {
        let mut m = manifest(&["Ann"]);
        m.segments[0].file = "../../etc/passwd".to_string();
        let dir = std::env::temp_dir();
        assert!(matches!(
            render(&dir, &m, &dir, |_| {}),
            Err(OutputError::BadFile(_))
        ));
        m.segments[0].file = ".render".to_string();
        assert!(matches!(
            render(&dir, &m, &dir, |_| {}),
            Err(OutputError::BadFile(_))
        ));
    }
}
