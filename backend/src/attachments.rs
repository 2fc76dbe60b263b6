//! Chat attachments of one conference: encrypted files in a temp directory, readable only with a key
//! that lives in the room task's memory (DESIGN.md, "attachments unreadable after the end").
//!
//! Layout on disk: `<attachment dir>/conf-<random>/<attachment id>`, one directory per conference,
//! made at its first upload (file mode 0600, directories 0700). A file is the 7-byte STREAM nonce
//! prefix followed by AES-256-GCM STREAM chunks (RustCrypto's `aead::stream`, big-endian 32-bit
//! counter) of [`CHUNK`] plaintext bytes, each bound to the attachment id as associated data, so files
//! can neither be read without the key nor swapped or truncated unnoticed. Chunking lets uploads and
//! downloads stream: the server never holds a whole file in memory.
//!
//! Invariants:
//! - The key is made per conference from the OS random source and never leaves memory; when the
//!   conference ends, [`Store::purge`] removes the directory and the key is dropped (and zeroised).
//! - Sizes are reserved before a byte is written, so the per-file and per-conference limits hold
//!   even with uploads running in parallel.
//! - Who may download: the uploader; everyone present once it was sent to everyone; the addressee
//!   once it was sent privately. Nobody else, and nobody after the end.
//! - At start-up [`sweep`] removes what a crash left behind: only directories named `conf-*`.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use aes_gcm::aead::stream::{DecryptorBE32, EncryptorBE32};
use aes_gcm::aead::{KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use treff_shared::{Attachment, AttachmentId, ErrorCode, Limits, ParticipantId};

/// Plaintext bytes per encrypted chunk: large enough that the 16-byte tag per chunk is noise, small
/// enough that a stream holds little in memory.
pub const CHUNK: usize = 64 * 1024;
/// AES-GCM's authentication tag per chunk.
const TAG: usize = 16;
/// The STREAM nonce prefix: 12-byte GCM nonce minus the 5 bytes of counter and last-chunk flag.
const NONCE_PREFIX: usize = 7;
/// Directories of conferences start with this, so [`sweep`] touches nothing else.
const CONFERENCE_DIR_PREFIX: &str = "conf-";

/// What an upload handler needs to write one file: where, with which key, and the most it may write.
pub struct UploadTicket {
    /// The new attachment's id.
    pub id: AttachmentId,
    /// The file to create.
    pub path: PathBuf,
    /// The conference's cipher (a copy of the key, held for the request only).
    pub cipher: Aes256Gcm,
    /// The size the client declared; more is refused.
    pub declared: u64,
}

/// What a download handler needs to stream one file back.
pub struct DownloadTicket {
    /// The attachment as shown in chat (sanitised name, size).
    pub attachment: Attachment,
    /// The encrypted file.
    pub path: PathBuf,
    /// The conference's cipher.
    pub cipher: Aes256Gcm,
}

/// Never the key, nor the path (it names the conference's directory).
impl std::fmt::Debug for UploadTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadTicket")
            .field("id", &self.id)
            .field("declared", &self.declared)
            .finish_non_exhaustive()
    }
}

/// Never the key, the path or the file name.
impl std::fmt::Debug for DownloadTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadTicket")
            .field("id", &self.attachment.id)
            .field("size", &self.attachment.size)
            .finish_non_exhaustive()
    }
}

/// Who may read a file.
enum Audience {
    /// Only the uploader: uploaded, not yet sent.
    Uploader,
    /// Everyone in the conference.
    Everyone,
    /// The uploader and this addressee.
    Private(ParticipantId),
}

struct File {
    owner: ParticipantId,
    /// Reserved (while uploading) or stored size.
    size: u64,
    /// Set once the upload completed.
    attachment: Option<Attachment>,
    audience: Audience,
}

/// The attachments of one conference.
pub struct Store {
    limits: Limits,
    root: PathBuf,
    dir: Option<PathBuf>,
    cipher: Aes256Gcm,
    files: HashMap<AttachmentId, File>,
}

/// What [`Store::purge`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Completed files.
    pub files: u64,
    /// Their bytes (plaintext sizes).
    pub bytes: u64,
}

impl Store {
    /// An empty store with a fresh key; nothing touches the disk until the first upload.
    pub fn new(limits: Limits, root: PathBuf) -> Self {
        let mut key = Key::<Aes256Gcm>::default();
        getrandom::fill(&mut key).expect("the OS random source is available");
        let cipher = Aes256Gcm::new(&key);
        // The cipher holds the expanded key; this copy of the raw key is not needed any more.
        zeroize::Zeroize::zeroize(key.as_mut_slice());
        Self {
            limits,
            root,
            dir: None,
            cipher,
            files: HashMap::new(),
        }
    }

    fn reserved(&self) -> u64 {
        self.files.values().map(|f| f.size).sum()
    }

    /// Reserves room for an upload of `declared` bytes by `owner`.
    pub fn begin_upload(
        &mut self,
        owner: ParticipantId,
        declared: u64,
    ) -> Result<UploadTicket, ErrorCode> {
        if declared > self.limits.attachment_max_bytes {
            return Err(ErrorCode::FileTooLarge);
        }
        if self.reserved() + declared > self.limits.conference_attachments_max_bytes {
            return Err(ErrorCode::StorageFull);
        }
        let own: u64 = self
            .files
            .values()
            .filter(|f| f.owner == owner)
            .map(|f| f.size)
            .sum();
        if own + declared > self.limits.participant_attachments_max_bytes {
            return Err(ErrorCode::UploadQuota);
        }
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let dir = self
                    .root
                    .join(format!("{CONFERENCE_DIR_PREFIX}{}", random_id()));
                private_dir(&dir).map_err(|e| {
                    tracing::error!(error = %e, "cannot create a conference's attachment directory");
                    ErrorCode::StorageFull
                })?;
                self.dir = Some(dir.clone());
                dir
            }
        };
        let id = AttachmentId::parse(&random_id()).expect("random_id makes attachment ids");
        self.files.insert(
            id.clone(),
            File {
                owner,
                size: declared,
                attachment: None,
                audience: Audience::Uploader,
            },
        );
        Ok(UploadTicket {
            path: dir.join(id.as_str()),
            id,
            cipher: self.cipher.clone(),
            declared,
        })
    }

    /// The upload of `id` completed with `size` bytes under `name` (already sanitised).
    pub fn finish_upload(
        &mut self,
        id: &AttachmentId,
        name: String,
        size: u64,
    ) -> Option<Attachment> {
        let file = self.files.get_mut(id).filter(|f| f.attachment.is_none())?;
        file.size = size;
        let attachment = Attachment {
            id: id.clone(),
            name,
            size,
        };
        file.attachment = Some(attachment.clone());
        Some(attachment)
    }

    /// The upload of `id` failed or its uploader left, or the message that carried it was erased:
    /// forget it and remove its file at once.
    pub fn abort_upload(&mut self, id: &AttachmentId) {
        if self.files.remove(id).is_some()
            && let Some(dir) = &self.dir
        {
            remove_quietly(&dir.join(id.as_str()));
        }
    }

    /// `owner` sends their completed, unsent upload `id` in a message to `to` (or everyone).
    pub fn claim(
        &mut self,
        id: &AttachmentId,
        owner: ParticipantId,
        to: Option<ParticipantId>,
    ) -> Result<Attachment, ErrorCode> {
        let file = self
            .files
            .get_mut(id)
            .filter(|f| f.owner == owner && matches!(f.audience, Audience::Uploader))
            .ok_or(ErrorCode::UnknownAttachment)?;
        let attachment = file
            .attachment
            .clone()
            .ok_or(ErrorCode::UnknownAttachment)?;
        file.audience = to.map_or(Audience::Everyone, Audience::Private);
        Ok(attachment)
    }

    /// What `viewer` needs to download `id`, if they may.
    pub fn download(&self, id: &AttachmentId, viewer: ParticipantId) -> Option<DownloadTicket> {
        let file = self.files.get(id)?;
        let allowed = file.owner == viewer
            || match file.audience {
                Audience::Uploader => false,
                Audience::Everyone => true,
                Audience::Private(to) => to == viewer,
            };
        if !allowed {
            return None;
        }
        Some(DownloadTicket {
            attachment: file.attachment.clone()?,
            path: self.dir.as_ref()?.join(id.as_str()),
            cipher: self.cipher.clone(),
        })
    }

    /// The uploader left: uploads they never sent go with them.
    pub fn forget_unsent(&mut self, owner: ParticipantId) {
        let unsent: Vec<_> = self
            .files
            .iter()
            .filter(|(_, f)| f.owner == owner && matches!(f.audience, Audience::Uploader))
            .map(|(id, _)| id.clone())
            .collect();
        for id in unsent {
            self.abort_upload(&id);
        }
    }

    /// This conference's directory, once made.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The conference ended: removes every file and the directory. The key goes with `self`.
    pub fn purge(&mut self) -> Purged {
        let done = self.files.values().filter(|f| f.attachment.is_some());
        let purged = Purged {
            files: done.clone().count() as u64,
            bytes: done.map(|f| f.size).sum(),
        };
        self.files.clear();
        if let Some(dir) = self.dir.take()
            && let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != io::ErrorKind::NotFound
        {
            // The files are unreadable without the key, which is dropped anyway; the next start
            // sweeps the directory.
            tracing::error!(error = %e, "could not remove a conference's attachment directory");
        }
        purged
    }
}

/// However a conference's store goes (its task ended without [`Store::purge`], or a test dropped
/// it), its files go with it: they are unreadable without the key, which goes now too, and nothing of
/// a conference may outlive it (R8). After a purge there is nothing left to do.
impl Drop for Store {
    fn drop(&mut self) {
        if self.dir.is_some() {
            self.purge();
        }
    }
}

/// 16 random bytes as URL-safe base64: the shape of [`AttachmentId`].
fn random_id() -> String {
    let mut bytes = [0u8; treff_shared::ids::ATTACHMENT_ID_RANDOM_BYTES];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    AttachmentId::from_random(bytes).as_str().to_owned()
}

fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, "could not remove an attachment file");
    }
}

/// Makes the attachment directory and removes every conference directory in it: at start-up no
/// conference is running, so anything there was left by a crash. Returns how many were removed.
pub fn sweep(root: &Path) -> io::Result<usize> {
    private_dir(root)?;
    let mut removed = 0;
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(CONFERENCE_DIR_PREFIX)
            && entry.file_type()?.is_dir()
        {
            std::fs::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Why an upload's body could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body was longer than declared.
    #[error("the body is longer than its Content-Length")]
    TooLong,
    /// The client went away or sent a broken body.
    #[error("the upload was interrupted")]
    Interrupted,
    /// Writing failed.
    #[error("storing the file failed: {0}")]
    Io(#[from] io::Error),
    /// The cipher refused (cannot happen below 2^32 chunks).
    #[error("encryption failed")]
    Crypto,
}

/// Encrypts `body` chunk by chunk into the ticket's file and returns the plaintext size.
pub async fn write_encrypted<E>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    ticket: &UploadTicket,
) -> Result<u64, UploadError> {
    let mut nonce = [0u8; NONCE_PREFIX];
    getrandom::fill(&mut nonce).expect("the OS random source is available");
    let mut encryptor = EncryptorBE32::from_aead(ticket.cipher.clone(), (&nonce).into());
    let aad = ticket.id.as_str().as_bytes();
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&ticket.path)
        .await?;
    file.write_all(&nonce).await?;
    let mut pending = Vec::with_capacity(2 * CHUNK);
    let mut total = 0u64;
    while let Some(data) = body.next().await {
        let data = data.map_err(|_| UploadError::Interrupted)?;
        total += data.len() as u64;
        if total > ticket.declared {
            return Err(UploadError::TooLong);
        }
        pending.extend_from_slice(&data);
        // Keep at least one byte back while more may come: the last chunk is sealed differently.
        while pending.len() > CHUNK {
            let sealed = encryptor
                .encrypt_next(Payload {
                    msg: &pending[..CHUNK],
                    aad,
                })
                .map_err(|_| UploadError::Crypto)?;
            file.write_all(&sealed).await?;
            pending.drain(..CHUNK);
        }
    }
    let sealed = encryptor
        .encrypt_last(Payload { msg: &pending, aad })
        .map_err(|_| UploadError::Crypto)?;
    file.write_all(&sealed).await?;
    file.flush().await?;
    Ok(total)
}

/// Opens the ticket's file and returns its plaintext as a stream of chunks. A file that fails
/// authentication (tampered, truncated, another key) ends the stream with an error.
pub async fn read_decrypted(
    ticket: DownloadTicket,
) -> io::Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static> {
    let mut file = tokio::fs::File::open(&ticket.path).await?;
    let len = file.metadata().await?.len();
    let mut nonce = [0u8; NONCE_PREFIX];
    file.read_exact(&mut nonce).await?;
    let decryptor = DecryptorBE32::from_aead(ticket.cipher, (&nonce).into());
    let aad = ticket.attachment.id.as_str().as_bytes().to_vec();
    let state = (file, Some(decryptor), len - NONCE_PREFIX as u64, aad);
    Ok(futures_util::stream::try_unfold(
        state,
        |(mut file, decryptor, remaining, aad)| async move {
            let Some(mut decryptor) = decryptor else {
                return Ok(None);
            };
            let unit = (CHUNK + TAG) as u64;
            let last = remaining <= unit;
            let mut sealed = vec![0u8; remaining.min(unit) as usize];
            file.read_exact(&mut sealed).await?;
            let payload = Payload {
                msg: &sealed,
                aad: &aad,
            };
            let unreadable = |_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "attachment fails authentication",
                )
            };
            if last {
                let plain = decryptor.decrypt_last(payload).map_err(unreadable)?;
                Ok(Some((Bytes::from(plain), (file, None, 0, aad))))
            } else {
                let plain = decryptor.decrypt_next(payload).map_err(unreadable)?;
                Ok(Some((
                    Bytes::from(plain),
                    (file, Some(decryptor), remaining - unit, aad),
                )))
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    const ANNA: ParticipantId = ParticipantId(1);
    const BEN: ParticipantId = ParticipantId(2);
    const CARL: ParticipantId = ParticipantId(3);

    fn temp_root(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("treff-att-test-{name}-{}", std::process::id()))
    }

    async fn upload(store: &mut Store, owner: ParticipantId, data: &[u8]) -> Attachment {
        let ticket = store
            .begin_upload(owner, data.len() as u64)
            .expect("room for it");
        // Split at odd places to exercise chunk boundaries.
        let parts: Vec<Result<Bytes, io::Error>> = data
            .chunks(7777)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let n = write_encrypted(futures_util::stream::iter(parts), &ticket)
            .await
            .expect("written");
        store
            .finish_upload(&ticket.id, "f.bin".into(), n)
            .expect("finished")
    }

    async fn download(store: &Store, id: &AttachmentId, viewer: ParticipantId) -> Option<Vec<u8>> {
        let ticket = store.download(id, viewer)?;
        let chunks: Vec<Bytes> = read_decrypted(ticket)
            .await
            .expect("opens")
            .try_collect()
            .await
            .expect("decrypts");
        Some(chunks.concat())
    }

    #[tokio::test]
    async fn files_round_trip_at_every_chunk_boundary_and_are_not_plaintext_on_disk() {
        let root = temp_root("roundtrip");
        let mut store = Store::new(Limits::default(), root.clone());
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let a = upload(&mut store, ANNA, &data).await;
            assert_eq!(a.size, len as u64);
            let on_disk =
                std::fs::read(store.dir.as_ref().expect("dir").join(a.id.as_str())).expect("file");
            if len >= 64 {
                assert!(
                    !on_disk.windows(64).any(|w| w == &data[..64]),
                    "plaintext on disk"
                );
            }
            assert_eq!(download(&store, &a.id, ANNA).await, Some(data), "len {len}");
        }
        let purged = store.purge();
        assert_eq!(purged.files, 7);
        assert!(
            !root.read_dir().expect("root").any(|_| true),
            "nothing left"
        );
        std::fs::remove_dir_all(root).ok();
    }

    #[tokio::test]
    async fn only_the_audience_may_download() {
        let root = temp_root("audience");
        let mut store = Store::new(Limits::default(), root.clone());
        let a = upload(&mut store, ANNA, b"hello").await;
        assert!(
            store.download(&a.id, BEN).is_none(),
            "unsent: uploader only"
        );
        assert!(store.download(&a.id, ANNA).is_some());
        assert_eq!(
            store.claim(&a.id, BEN, None),
            Err(ErrorCode::UnknownAttachment),
            "not Ben's"
        );
        store
            .claim(&a.id, ANNA, Some(BEN))
            .expect("Anna sends it to Ben");
        assert_eq!(
            store.claim(&a.id, ANNA, None),
            Err(ErrorCode::UnknownAttachment),
            "sent once"
        );
        assert!(store.download(&a.id, BEN).is_some());
        assert!(store.download(&a.id, CARL).is_none(), "private to Ben");
        store.purge();
        assert!(store.download(&a.id, ANNA).is_none(), "gone after the end");
        std::fs::remove_dir_all(root).ok();
    }

    #[tokio::test]
    async fn sizes_are_limited_per_file_and_per_conference() {
        let limits = Limits {
            attachment_max_bytes: 100,
            conference_attachments_max_bytes: 150,
            ..Limits::default()
        };
        let root = temp_root("limits");
        let mut store = Store::new(limits, root.clone());
        assert!(matches!(
            store.begin_upload(ANNA, 101),
            Err(ErrorCode::FileTooLarge)
        ));
        let first = store.begin_upload(ANNA, 100).expect("fits");
        assert!(matches!(
            store.begin_upload(BEN, 51),
            Err(ErrorCode::StorageFull)
        ));
        store.abort_upload(&first.id);
        store
            .begin_upload(BEN, 51)
            .expect("fits again once the first was aborted");
        // A body longer than declared is refused.
        let ticket = store.begin_upload(ANNA, 3).expect("fits");
        let body = futures_util::stream::iter([Ok::<_, io::Error>(Bytes::from_static(b"four"))]);
        assert!(matches!(
            write_encrypted(body, &ticket).await,
            Err(UploadError::TooLong)
        ));
        store.purge();
        std::fs::remove_dir_all(root).ok();
    }

    #[test]
    fn one_participant_cannot_use_up_the_conferences_budget() {
        let limits = Limits {
            attachment_max_bytes: 100,
            participant_attachments_max_bytes: 150,
            conference_attachments_max_bytes: 1000,
            ..Limits::default()
        };
        let root = temp_root("quota");
        let mut store = Store::new(limits, root.clone());
        let first = store.begin_upload(ANNA, 100).expect("fits");
        assert!(matches!(
            store.begin_upload(ANNA, 51),
            Err(ErrorCode::UploadQuota)
        ));
        store
            .begin_upload(BEN, 100)
            .expect("another participant's quota is their own");
        store.abort_upload(&first.id);
        store
            .begin_upload(ANNA, 51)
            .expect("an aborted upload gives its share back");
        store.purge();
        std::fs::remove_dir_all(root).ok();
    }

    #[tokio::test]
    async fn a_store_dropped_without_a_purge_takes_its_files_along() {
        let root = temp_root("drop");
        let mut store = Store::new(Limits::default(), root.clone());
        upload(&mut store, ParticipantId(1), b"notes").await;
        let dir = store.dir().expect("made by the upload").to_path_buf();
        assert!(dir.exists());
        drop(store);
        assert!(!dir.exists(), "no file of a conference outlives its store");
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn the_sweep_removes_conference_directories_only() {
        let root = temp_root("sweep");
        std::fs::create_dir_all(root.join("conf-leftover")).expect("dir");
        std::fs::write(root.join("conf-leftover").join("x"), b"x").expect("file");
        std::fs::write(root.join("keep.txt"), b"x").expect("file");
        assert_eq!(sweep(&root).expect("sweeps"), 1);
        assert!(!root.join("conf-leftover").exists());
        assert!(root.join("keep.txt").exists());
        std::fs::remove_dir_all(root).ok();
    }
}
