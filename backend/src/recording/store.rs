//! Recordings on disk: where each one lives, what state it is in, and when it goes.
//!
//! Layout: `<recordings_dir>/<meeting>/<recording>/`, where `<meeting>` is the hex SHA-256 of the
//! meeting id (the id is the secret of a meeting link; its hash names the folder without revealing
//! it) and `<recording>` a random id. A recording folder holds `meta.json`, the raw capture in
//! `raw/` while it is captured and turned into output, and then the output files
//! (`treff_shared::recording::OUTPUT_FILES`). Folders are 0700, files 0600.
//!
//! Invariants:
//! - Every recording has an expiry (its creation plus the configured retention); [`Store::sweep`]
//!   deletes expired ones, at start-up and every hour, so retention holds across restarts.
//! - Raw tracks never outlive their output job: the job removes `raw/` when it is done or failed,
//!   and the start-up sweep removes whatever a process that died left (marking the recording failed).
//! - Only the output files are ever served, and only of a finished recording.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use treff_shared::recording::OUTPUT_FILES;
use treff_shared::{RecordingFile, RecordingSummary, RoomId};

/// Where a recording stands, as `meta.json` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being captured.
    Capturing,
    /// Captured; waiting for or in its output job.
    Processing,
    /// Its output files are ready.
    Done,
    /// The output job failed (or the server stopped before it finished).
    Failed,
}

/// `meta.json`: what the list shows, without names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Where it stands.
    pub status: Status,
    /// When the recording was proposed (ms since the Unix epoch).
    pub started_at_ms: u64,
    /// Length of the output in milliseconds, once known.
    pub duration_ms: u64,
    /// When it is deleted (ms since the Unix epoch).
    pub expires_at_ms: u64,
    /// Media was lost on the way to the capture (the disk could not keep up).
    #[serde(default)]
    pub damaged: bool,
}

/// The recordings directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    retention: Duration,
}

/// The folder of a raw capture inside a recording's folder.
pub const RAW_DIR: &str = "raw";
const META: &str = "meta.json";

impl Store {
    /// The store in `dir` (made if missing), keeping recordings for `retention`.
    pub fn new(dir: PathBuf, retention: Duration) -> io::Result<Self> {
        make_private_dir(&dir)?;
        Ok(Self { dir, retention })
    }

    /// A new recording of `room`: its id and its (empty) raw folder.
    pub fn create(&self, room: &RoomId, now: SystemTime) -> io::Result<(String, PathBuf)> {
        let id = random_id();
        let dir = self.meeting_dir(room).join(&id);
        make_private_dir(&self.meeting_dir(room))?;
        make_private_dir(&dir)?;
        make_private_dir(&dir.join(RAW_DIR))?;
        let now_ms = millis(now);
        let meta = Meta {
            status: Status::Capturing,
            started_at_ms: now_ms,
            duration_ms: 0,
            expires_at_ms: now_ms.saturating_add(millis_of(self.retention)),
            damaged: false,
        };
        write_meta(&dir, &meta)?;
        Ok((id, dir.join(RAW_DIR)))
    }

    /// The folder of recording `id` of `room`, if it exists (`id` must be one of ours in form).
    pub fn recording_dir(&self, room: &RoomId, id: &str) -> Option<PathBuf> {
        if !is_id(id) {
            return None;
        }
        let dir = self.meeting_dir(room).join(id);
        dir.join(META).is_file().then_some(dir)
    }

    /// Reads a recording's `meta.json`.
    pub fn meta(dir: &Path) -> io::Result<Meta> {
        let text = std::fs::read(dir.join(META))?;
        serde_json::from_slice(&text).map_err(io::Error::other)
    }

    /// Changes a recording's `meta.json`.
    pub fn update(dir: &Path, change: impl FnOnce(&mut Meta)) -> io::Result<Meta> {
        let mut meta = Self::meta(dir)?;
        change(&mut meta);
        write_meta(dir, &meta)?;
        Ok(meta)
    }

    /// The finished recordings of `room`, oldest first.
    pub fn list(&self, room: &RoomId) -> Vec<RecordingSummary> {
        let Ok(entries) = std::fs::read_dir(self.meeting_dir(room)) else {
            return Vec::new();
        };
        let mut list: Vec<RecordingSummary> = entries
            .flatten()
            .filter_map(|e| {
                let id = e.file_name().into_string().ok()?;
                summary(&e.path(), &id)
            })
            .collect();
        list.sort_by_key(|r| r.started_at_ms);
        list
    }

    /// The path of output file `name` of a finished recording.
    pub fn file(&self, room: &RoomId, id: &str, name: &str) -> Option<PathBuf> {
        let dir = self.recording_dir(room, id)?;
        let done = Self::meta(&dir).is_ok_and(|m| m.status == Status::Done);
        let path = dir.join(OUTPUT_FILES.iter().find(|f| **f == name)?);
        (done && path.is_file()).then_some(path)
    }

    /// Deletes a recording at once; false if there was none.
    pub fn delete(&self, room: &RoomId, id: &str) -> io::Result<bool> {
        let Some(dir) = self.recording_dir(room, id) else {
            return Ok(false);
        };
        std::fs::remove_dir_all(&dir)?;
        // An empty meeting folder goes too; one still holding recordings stays (the error).
        let _ = std::fs::remove_dir(self.meeting_dir(room));
        Ok(true)
    }

    /// Deletes every recording that expired by `now`. At start-up (`startup`), also removes the raw
    /// capture of recordings a previous process did not finish, and marks them failed. Returns
    /// how many recordings were deleted.
    pub fn sweep(&self, now: SystemTime, startup: bool) -> usize {
        let now_ms = millis(now);
        let mut deleted = 0;
        for meeting in read_dirs(&self.dir) {
            for recording in read_dirs(&meeting) {
                let Ok(meta) = Self::meta(&recording) else {
                    continue;
                };
                if meta.expires_at_ms <= now_ms {
                    if std::fs::remove_dir_all(&recording).is_ok() {
                        deleted += 1;
                    }
                    continue;
                }
                let unfinished = matches!(meta.status, Status::Capturing | Status::Processing);
                if startup && unfinished {
                    let _ = std::fs::remove_dir_all(recording.join(RAW_DIR));
                    let _ = Self::update(&recording, |m| m.status = Status::Failed);
                    tracing::warn!("a recording left unfinished by an earlier run was given up");
                }
            }
            // Folders of meetings without recordings go.
            let _ = std::fs::remove_dir(&meeting);
        }
        if deleted > 0 {
            tracing::info!(recordings = deleted, "expired recordings deleted");
        }
        deleted
    }

    fn meeting_dir(&self, room: &RoomId) -> PathBuf {
        let hash = Sha256::digest(room.as_str().as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(hex)
    }
}

/// The summary of a finished recording in `dir` (whose id is `id`), as the list shows it.
pub fn summary(dir: &Path, id: &str) -> Option<RecordingSummary> {
    let meta = Store::meta(dir).ok()?;
    if meta.status != Status::Done {
        return None;
    }
    let files = OUTPUT_FILES
        .iter()
        .filter_map(|name| {
            let bytes = std::fs::metadata(dir.join(name)).ok()?.len();
            Some(RecordingFile {
                name: (*name).to_owned(),
                bytes,
            })
        })
        .collect();
    Some(RecordingSummary {
        id: id.to_owned(),
        started_at_ms: meta.started_at_ms,
        duration_ms: meta.duration_ms,
        expires_at_ms: meta.expires_at_ms,
        files,
    })
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

fn write_meta(dir: &Path, meta: &Meta) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(meta).map_err(io::Error::other)?;
    // Written aside and renamed, so a reader never sees half a file.
    let tmp = dir.join(".meta.json.tmp");
    write_private(&tmp, &json)?;
    std::fs::rename(tmp, dir.join(META))
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

fn make_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// A recording id: 16 random bytes, URL-safe base64.
fn random_id() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` has the form of [`random_id`] (so it can never name `..` or another folder).
fn is_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Milliseconds since the Unix epoch.
pub fn millis(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, millis_of)
}

fn millis_of(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(retention: Duration) -> (Store, PathBuf) {
        let dir = std::env::temp_dir().join(format!("treff-store-{}", random_id()));
        (Store::new(dir.clone(), retention).expect("store"), dir)
    }

    fn finish(store: &Store, room: &RoomId, id: &str) {
        let dir = store.recording_dir(room, id).expect("exists");
        for name in OUTPUT_FILES {
            write_private(&dir.join(name), b"x").expect("write");
        }
        Store::update(&dir, |m| m.status = Status::Done).expect("meta");
    }

    #[test]
    fn only_finished_recordings_are_listed_and_served_and_ids_cannot_escape() {
        let (store, dir) = store(Duration::from_secs(3600));
        let room = RoomId::from_random([3; 16]);
        let other = RoomId::from_random([4; 16]);
        let (id, raw) = store.create(&room, SystemTime::now()).expect("create");
        assert!(raw.is_dir());
        assert!(store.list(&room).is_empty(), "still capturing");
        assert!(store.file(&room, &id, "recording.mp4").is_none());
        finish(&store, &room, &id);
        let list = store.list(&room);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].files.len(), 4);
        assert!(store.file(&room, &id, "recording.mp4").is_some());
        assert!(
            store.file(&room, &id, "meta.json").is_none(),
            "only output files"
        );
        assert!(
            store.file(&other, &id, "recording.mp4").is_none(),
            "another meeting's"
        );
        assert!(store.recording_dir(&room, "../../etc").is_none());
        // The meeting id itself is nowhere on disk.
        let names: Vec<String> = walk(&dir);
        assert!(
            names.iter().all(|n| !n.contains(room.as_str())),
            "{names:?}"
        );
        assert!(store.delete(&room, &id).expect("delete"));
        assert!(store.list(&room).is_empty());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn the_sweep_deletes_expired_recordings_and_unfinished_raw_captures_at_start_up() {
        let (store, dir) = store(Duration::from_secs(7 * 86_400));
        let room = RoomId::from_random([5; 16]);
        let (old, _) = store.create(&room, SystemTime::now()).expect("create");
        finish(&store, &room, &old);
        let (cut, raw) = store.create(&room, SystemTime::now()).expect("create");
        write_private(&raw.join("1-video-0.ivf"), b"raw").expect("write");
        // A week and a minute later: the finished one has expired.
        let later = SystemTime::now() + Duration::from_secs(7 * 86_400 + 60);
        assert_eq!(store.sweep(SystemTime::now(), true), 0);
        assert!(
            !raw.exists(),
            "raw tracks of an unfinished recording are removed at start-up"
        );
        let cut_dir = store
            .recording_dir(&room, &cut)
            .expect("kept, marked failed");
        assert_eq!(Store::meta(&cut_dir).expect("meta").status, Status::Failed);
        assert_eq!(store.sweep(later, false), 2);
        assert!(store.recording_dir(&room, &old).is_none());
        std::fs::remove_dir_all(dir).ok();
    }

    fn walk(dir: &Path) -> Vec<String> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            names.push(entry.file_name().to_string_lossy().into_owned());
            if entry.path().is_dir() {
                names.extend(walk(&entry.path()));
            }
        }
        names
    }
}
