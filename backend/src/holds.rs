//! Incident holds: a conference's session log kept past its end for a security incident (R7 of the
//! privacy notice: "longer only for a security incident"), encrypted at rest, until the hold expires
//! or is released, and an append-only audit log of every operator action on them.
//!
//! Layout under the server's state directory (created 0700; every file 0600):
//! - `hold.key`: the AES-256-GCM key of held logs, 32 random bytes made on first use. It must
//!   survive restarts (held logs do), so it is a file, readable only by the service user.
//! - `holds/<id>.json`: one held log: its [`HoldMeta`] in clear (id, reason, times: what `list`
//!   shows and the expiry sweep needs) and the entries sealed with AES-256-GCM, the metadata bound
//!   as associated data so that editing the expiry breaks the seal.
//! - `audit.log`: JSON lines, appended: time, action, hold id, reason, expiry. Never held content.
//!
//! Invariants:
//! - The entries exist on disk only encrypted; the clear part holds no personal data unless the
//!   operator writes it into the reason.
//! - An expiry is at most `incident_hold_days` after the hold, and is enforced at start-up and by a
//!   timer while the server runs ([`Holds::sweep`], [`Holds::next_expiry`]).
//! - File operations are serialised by one lock, so a release racing with the conference's end
//!   cannot bring a released log back.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Key};

/// The nonce of one sealing: 96 random bits, fresh for every write.
type Nonce = aes_gcm::aead::Nonce<Aes256Gcm>;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use treff_shared::{LogEntry, ParticipantId};

use crate::recording::store::millis;

/// A hold's opaque id: 12 random bytes, URL-safe base64 (16 characters). It names no meeting.
/// A new id never starts with `-`, so that it does not read as an option on a command line.
pub type HoldId = String;

/// What is known about a hold without opening it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldMeta {
    /// The opaque id.
    pub id: HoldId,
    /// Why, as the operator gave it.
    pub reason: String,
    /// When it was put on hold, ms since the Unix epoch.
    pub held_at_ms: u64,
    /// When it is deleted at the latest, ms since the Unix epoch.
    pub expires_at_ms: u64,
}

/// A held session log, as `treff admin export` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLog {
    /// The hold.
    pub hold: HoldMeta,
    /// When the conference started, ms since the Unix epoch.
    pub conference_started_at_ms: u64,
    /// When it ended; `None` while it still ran when this copy was written.
    pub conference_ended_at_ms: Option<u64>,
    /// The entries, oldest first, each with the participant (the conference's own number) it is about.
    pub entries: Vec<(ParticipantId, LogEntry)>,
    /// Entries the log did not keep because it was full.
    pub omitted: u64,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
    /// What was done.
    pub action: AuditAction,
    /// Which hold, if the action concerned one.
    pub hold: Option<HoldId>,
    /// The hold's reason (for `hold`), or why a request was refused.
    pub reason: Option<String>,
    /// The hold's expiry (for `hold`), ms since the Unix epoch.
    pub expires_at_ms: Option<u64>,
}

/// The operator actions the audit log records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A conference's session log was put on hold.
    Hold,
    /// A hold was released and its log deleted.
    Release,
    /// A held log was exported.
    Export,
    /// A hold ran out and its log was deleted.
    Expire,
    /// An admin request was refused (wrong or missing token).
    Refused,
}

/// Why a hold operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    /// No hold has this id (never made, released or expired).
    #[error("no hold with this id")]
    Unknown,
    /// The asked-for expiry is beyond the configured maximum.
    #[error("a hold lasts at most {0} days")]
    TooLong(u32),
    /// The held file does not open with this server's key (tampered with, or another key).
    #[error("the held log does not decrypt with this server's key")]
    Sealed,
    /// The disk said no.
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The held logs of one server and its audit log.
pub struct Holds {
    dir: PathBuf,
    audit: PathBuf,
    cipher: Aes256Gcm,
    max: Duration,
    max_days: u32,
    /// Serialises every file operation (see the module's invariants).
    lock: Mutex<()>,
    /// Woken when a hold is added, so the expiry timer can look at the new earliest expiry.
    changed: tokio::sync::Notify,
}

/// A held file: the metadata in clear, the rest sealed.
#[derive(Serialize, Deserialize)]
struct Sealed {
    meta: HoldMeta,
    nonce: String,
    sealed: String,
}

/// What is sealed.
#[derive(Serialize, Deserialize)]
struct Content {
    conference_started_at_ms: u64,
    conference_ended_at_ms: Option<u64>,
    entries: Vec<(ParticipantId, LogEntry)>,
    omitted: u64,
}

impl Holds {
    /// Opens (making what is missing) the holds under `state_dir`; a hold lasts at most `max_days`.
    pub fn open(state_dir: &Path, max_days: u32) -> io::Result<Self> {
        make_private_dir(state_dir)?;
        let dir = state_dir.join("holds");
        make_private_dir(&dir)?;
        let key = load_or_make_key(&state_dir.join("hold.key"))?;
        Ok(Self {
            dir,
            audit: state_dir.join("audit.log"),
            cipher: Aes256Gcm::new(&key),
            max: Duration::from_secs(u64::from(max_days) * 86_400),
            max_days,
            lock: Mutex::new(()),
            changed: tokio::sync::Notify::new(),
        })
    }

    /// How long a hold asked for `duration` lasts: the maximum when `None`, refused beyond it.
    pub fn length(&self, duration: Option<Duration>) -> Result<Duration, HoldError> {
        match duration {
            None => Ok(self.max),
            Some(d) if d <= self.max => Ok(d),
            Some(_) => Err(HoldError::TooLong(self.max_days)),
        }
    }

    /// A new hold's metadata: held `now`, expiring after `duration` (the maximum when `None`).
    pub fn new_hold(
        &self,
        reason: String,
        duration: Option<Duration>,
        now: SystemTime,
    ) -> Result<HoldMeta, HoldError> {
        let duration = self.length(duration)?;
        let id = loop {
            let mut bytes = [0u8; 12];
            getrandom::fill(&mut bytes).expect("the OS random source is available");
            let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            if !id.starts_with('-') {
                break id;
            }
        };
        Ok(HoldMeta {
            id,
            reason,
            held_at_ms: millis(now),
            expires_at_ms: millis(now + duration),
        })
    }

    /// Writes a new hold (and audits it). The room calls [`Holds::update`] from then on.
    pub fn hold(&self, log: &HeldLog, now: SystemTime) -> Result<(), HoldError> {
        let _guard = self.lock();
        self.write(log)?;
        self.audit(AuditEntry {
            at_ms: millis(now),
            action: AuditAction::Hold,
            hold: Some(log.hold.id.clone()),
            reason: Some(log.hold.reason.clone()),
            expires_at_ms: Some(log.hold.expires_at_ms),
        })?;
        self.changed.notify_one();
        Ok(())
    }

    /// Rewrites a held log with what the conference logged since, if the hold still exists.
    /// Returns whether it did: a released or expired hold stays gone.
    pub fn update(&self, log: &HeldLog) -> Result<bool, HoldError> {
        let _guard = self.lock();
        if !self.path(&log.hold.id).exists() {
            return Ok(false);
        }
        self.write(log)?;
        Ok(true)
    }

    /// Whether hold `id` still exists.
    pub fn is_held(&self, id: &str) -> bool {
        valid_id(id) && self.path(id).exists()
    }

    /// Every hold, earliest expiry first.
    pub fn list(&self) -> Vec<HoldMeta> {
        let _guard = self.lock();
        let mut holds: Vec<HoldMeta> = self.files().filter_map(|p| read_meta(&p)).collect();
        holds.sort_by_key(|h| h.expires_at_ms);
        holds
    }

    /// The held log `id`, decrypted (and audited as exported).
    pub fn export(&self, id: &str, now: SystemTime) -> Result<HeldLog, HoldError> {
        let _guard = self.lock();
        let log = self.read(id)?;
        self.audit(AuditEntry {
            at_ms: millis(now),
            action: AuditAction::Export,
            hold: Some(id.to_string()),
            reason: None,
            expires_at_ms: None,
        })?;
        Ok(log)
    }

    /// Releases hold `id`: its log is deleted at once (and the release audited).
    pub fn release(&self, id: &str, now: SystemTime) -> Result<(), HoldError> {
        let _guard = self.lock();
        if !self.is_held(id) {
            return Err(HoldError::Unknown);
        }
        fs::remove_file(self.path(id))?;
        self.audit(AuditEntry {
            at_ms: millis(now),
            action: AuditAction::Release,
            hold: Some(id.to_string()),
            reason: None,
            expires_at_ms: None,
        })?;
        Ok(())
    }

    /// Deletes every hold expired at `now` (auditing each) and returns how many.
    pub fn sweep(&self, now: SystemTime) -> usize {
        let _guard = self.lock();
        let now_ms = millis(now);
        let mut removed = 0;
        for path in self.files() {
            // An unreadable file cannot say when it expires; it is kept for the operator to look at.
            let Some(meta) = read_meta(&path) else {
                continue;
            };
            if meta.expires_at_ms <= now_ms && fs::remove_file(&path).is_ok() {
                removed += 1;
                let _ = self.audit(AuditEntry {
                    at_ms: now_ms,
                    action: AuditAction::Expire,
                    hold: Some(meta.id),
                    reason: None,
                    expires_at_ms: Some(meta.expires_at_ms),
                });
            }
        }
        removed
    }

    /// When the next hold expires, if any.
    pub fn next_expiry(&self) -> Option<SystemTime> {
        self.list()
            .first()
            .map(|h| SystemTime::UNIX_EPOCH + Duration::from_millis(h.expires_at_ms))
    }

    /// Audits a refused admin request.
    pub fn refused(&self, why: &str, now: SystemTime) {
        let _guard = self.lock();
        let _ = self.audit(AuditEntry {
            at_ms: millis(now),
            action: AuditAction::Refused,
            hold: None,
            reason: Some(why.to_string()),
            expires_at_ms: None,
        });
    }

    /// Deletes expired holds until the server stops: at every expiry, and when a hold is added.
    pub async fn expire(self: std::sync::Arc<Self>) {
        // Also wakes now and then: the wall clock may jump, a sleep does not follow it.
        const RECHECK: Duration = Duration::from_secs(3600);
        loop {
            let wait = self
                .next_expiry()
                .map_or(RECHECK, |at| {
                    at.duration_since(SystemTime::now()).unwrap_or_default()
                })
                .min(RECHECK);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.changed.notified() => continue,
            }
            let holds = self.clone();
            let removed = tokio::task::spawn_blocking(move || holds.sweep(SystemTime::now()))
                .await
                .unwrap_or(0);
            if removed > 0 {
                tracing::info!(
                    holds = removed,
                    "incident holds expired; their logs deleted"
                );
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn files(&self) -> impl Iterator<Item = PathBuf> {
        fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
    }

    fn write(&self, log: &HeldLog) -> Result<(), HoldError> {
        let content = Content {
            conference_started_at_ms: log.conference_started_at_ms,
            conference_ended_at_ms: log.conference_ended_at_ms,
            entries: log.entries.clone(),
            omitted: log.omitted,
        };
        let plain = serde_json::to_vec(&content).map_err(io::Error::other)?;
        let aad = serde_json::to_vec(&log.hold).map_err(io::Error::other)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| HoldError::Sealed)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let file = Sealed {
            meta: log.hold.clone(),
            nonce: b64.encode(nonce),
            sealed: b64.encode(sealed),
        };
        // Written beside and renamed over: a crash leaves the old copy or the new, never half.
        let path = self.path(&log.hold.id);
        let tmp = path.with_extension("tmp");
        let mut out = private_file(&tmp, false)?;
        out.write_all(&serde_json::to_vec(&file).map_err(io::Error::other)?)?;
        out.sync_all()?;
        fs::rename(tmp, path)?;
        Ok(())
    }

    fn read(&self, id: &str) -> Result<HeldLog, HoldError> {
        if !self.is_held(id) {
            return Err(HoldError::Unknown);
        }
        let file: Sealed =
            serde_json::from_slice(&fs::read(self.path(id))?).map_err(|_| HoldError::Sealed)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce = b64.decode(&file.nonce).map_err(|_| HoldError::Sealed)?;
        let sealed = b64.decode(&file.sealed).map_err(|_| HoldError::Sealed)?;
        if nonce.len() != 12 {
            return Err(HoldError::Sealed);
        }
        let aad = serde_json::to_vec(&file.meta).map_err(io::Error::other)?;
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| HoldError::Sealed)?;
        let content: Content = serde_json::from_slice(&plain).map_err(|_| HoldError::Sealed)?;
        Ok(HeldLog {
            hold: file.meta,
            conference_started_at_ms: content.conference_started_at_ms,
            conference_ended_at_ms: content.conference_ended_at_ms,
            entries: content.entries,
            omitted: content.omitted,
        })
    }

    fn audit(&self, entry: AuditEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        line.push(b'\n');
        // One write of one line in append mode: lines of concurrent writers never interleave.
        private_file(&self.audit, true)?.write_all(&line)
    }
}

/// Whether `id` can be a hold id (and so a file name under `holds/`): URL-safe base64 only.
fn valid_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn read_meta(path: &Path) -> Option<HoldMeta> {
    let file: Sealed = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    Some(file.meta)
}

/// Makes `dir` (and its parents) if missing, readable by the owner only.
pub fn make_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Opens `path` for writing, created 0600: truncated, or appended to with `append`.
pub fn private_file(path: &Path, append: bool) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .mode(0o600)
        .open(path)
}

fn load_or_make_key(path: &Path) -> io::Result<Key<Aes256Gcm>> {
    let mut key = Key::<Aes256Gcm>::default();
    match fs::read(path) {
        Ok(bytes) if bytes.len() == key.len() => key.copy_from_slice(&bytes),
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a 32-byte key", path.display()),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            getrandom::fill(&mut key).expect("the OS random source is available");
            let mut out = OpenOptions::new()
                .create_new(true)
                .write(true)
                .mode(0o600)
                .open(path)?;
            out.write_all(&key)?;
            out.sync_all()?;
        }
        Err(e) => return Err(e),
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;
    use treff_shared::LogEvent;

    const DAY: Duration = Duration::from_secs(86_400);

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("treff-holds-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn new_ids_never_start_with_a_dash() {
        let dir = dir("dash");
        let holds = Holds::open(&dir, 7).expect("holds");
        for _ in 0..2_000 {
            let meta = holds
                .new_hold("r".into(), None, SystemTime::now())
                .expect("hold");
            assert!(valid_id(&meta.id), "{}", meta.id);
            assert!(!meta.id.starts_with('-'), "{}", meta.id);
        }
        fs::remove_dir_all(&dir).expect("clean up");
    }

    fn log(holds: &Holds, now: SystemTime, duration: Option<Duration>) -> HeldLog {
        HeldLog {
            hold: holds
                .new_hold("report of an attack".into(), duration, now)
                .expect("within the maximum"),
            conference_started_at_ms: millis(now) - 60_000,
            conference_ended_at_ms: None,
            entries: vec![(
                ParticipantId(3),
                LogEntry {
                    at_ms: millis(now) - 30_000,
                    event: LogEvent::Join,
                    browser: Some("Firefox 128.0".into()),
                    os: Some("Linux".into()),
                    address: Some("198.51.100.23".into()),
                    referrer: None,
                },
            )],
            omitted: 0,
        }
    }

    fn audit(dir: &Path) -> Vec<AuditEntry> {
        fs::read_to_string(dir.join("audit.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    #[test]
    fn a_held_log_is_private_sealed_and_comes_back_whole() {
        let dir = dir("sealed");
        let holds = Holds::open(&dir, 30).expect("open");
        let now = SystemTime::now();
        let held = log(&holds, now, None);
        holds.hold(&held, now).expect("hold");
        let file = holds.path(&held.hold.id);
        let text = fs::read_to_string(&file).expect("held file");
        assert!(
            !text.contains("198.51.100.23") && !text.contains("Firefox"),
            "{text}"
        );
        for private in [
            &dir,
            &dir.join("holds"),
            &file,
            &dir.join("hold.key"),
            &dir.join("audit.log"),
        ] {
            let mode = fs::metadata(private).expect("exists").permissions().mode() & 0o777;
            assert!(mode & 0o077 == 0, "{} is {mode:o}", private.display());
        }
        assert_eq!(
            held.hold.expires_at_ms - held.hold.held_at_ms,
            30 * 86_400_000
        );
        // A restart reads it with the key on disk.
        let again = Holds::open(&dir, 30).expect("reopen");
        assert_eq!(again.export(&held.hold.id, now).expect("export"), held);
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_changed_expiry_breaks_the_seal() {
        let dir = dir("tamper");
        let holds = Holds::open(&dir, 30).expect("open");
        let now = SystemTime::now();
        let held = log(&holds, now, None);
        holds.hold(&held, now).expect("hold");
        let path = holds.path(&held.hold.id);
        let text = fs::read_to_string(&path).expect("held file");
        let later = (held.hold.expires_at_ms + 365 * 86_400_000).to_string();
        fs::write(
            &path,
            text.replace(&held.hold.expires_at_ms.to_string(), &later),
        )
        .expect("edit");
        assert!(matches!(
            holds.export(&held.hold.id, now),
            Err(HoldError::Sealed)
        ));
        fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn holds_expire_are_released_and_every_action_is_audited_without_content() {
        let dir = dir("expiry");
        let holds = Holds::open(&dir, 30).expect("open");
        let now = SystemTime::now();
        assert!(matches!(
            holds.new_hold("x".into(), Some(31 * DAY), now),
            Err(HoldError::TooLong(30))
        ));
        let short = log(&holds, now, Some(DAY));
        let long = log(&holds, now, None);
        holds.hold(&short, now).expect("hold");
        holds.hold(&long, now).expect("hold");
        assert_eq!(holds.list(), [short.hold.clone(), long.hold.clone()]);
        assert_eq!(
            holds.next_expiry(),
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(short.hold.expires_at_ms))
        );
        // Simulated time: a day and a bit later the short one is gone, the long one stays.
        assert_eq!(holds.sweep(now + DAY - Duration::from_secs(1)), 0);
        assert_eq!(holds.sweep(now + DAY + Duration::from_secs(1)), 1);
        assert!(!holds.is_held(&short.hold.id));
        assert!(matches!(
            holds.export(&short.hold.id, now),
            Err(HoldError::Unknown)
        ));
        // A conference that ends after its hold was released does not bring the log back.
        holds.release(&long.hold.id, now).expect("release");
        assert!(!holds.update(&long).expect("update"));
        assert!(holds.list().is_empty());
        assert!(matches!(
            holds.release("../../etc/passwd", now),
            Err(HoldError::Unknown)
        ));
        let actions: Vec<_> = audit(&dir).iter().map(|a| a.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::Hold,
                AuditAction::Hold,
                AuditAction::Expire,
                AuditAction::Release
            ]
        );
        let text = fs::read_to_string(dir.join("audit.log")).expect("audit");
        assert!(text.contains("report of an attack") && text.contains(&short.hold.id));
        assert!(
            !text.contains("198.51.100.23") && !text.contains("Firefox"),
            "{text}"
        );
        fs::remove_dir_all(dir).ok();
    }
}
