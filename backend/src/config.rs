//! Server configuration: clap flags, `TREFF_*` environment variables and an optional TOML file, over
//! embedded defaults that run on localhost with no configuration at all.
//!
//! Precedence, highest first: command-line flag, environment variable, TOML file, default.

use clap::Parser;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use treff_shared::{Limits, PrivacyNotice};

/// The shipped example configuration (`examples/treff.toml`): its `[privacy]` table is what a
/// server started without any config file runs under.
pub const EXAMPLE: &str = include_str!("../../examples/treff.toml");

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the HTTP server (UI, `/ws`) listens; with [`Config::tls`], where it only redirects to
    /// HTTPS.
    pub http: SocketAddr,
    /// Where HTTPS (UI, `/ws` as WSS) listens when [`Config::tls`] is set.
    pub https: SocketAddr,
    /// The certificate and key that switch HTTPS on (`None`: plain HTTP, e.g. behind a proxy).
    pub tls: Option<crate::tls::TlsFiles>,
    /// Where the one UDP socket for all media of all rooms is bound.
    pub media_bind: SocketAddr,
    /// Where the one TCP port for media (ICE over TCP, for networks that drop UDP) listens.
    pub media_tcp_bind: SocketAddr,
    /// Which ICE candidates are announced (and so which ways media may take): UDP, TCP or both.
    pub ice_candidates: Vec<CandidateKind>,
    /// Kernel receive and send buffer of the media socket, in bytes each: a burst of media that
    /// arrives while the rooms are busy waits here instead of being lost.
    pub media_socket_buffer: usize,
    /// The addresses browsers send media to, announced as the ICE host candidates: at most one
    /// IPv4 and one IPv6 (checked). Empty: the bind address, or loopback when bound to the
    /// unspecified address.
    pub public_ips: Vec<IpAddr>,
    /// A directory with a built UI (Trunk's `dist/`) to serve instead of the one embedded in the
    /// binary. `None`: the embedded one.
    pub ui_dir: Option<PathBuf>,
    /// Origins allowed to open `/ws` besides the server's own (checked against `Host`).
    pub allowed_origins: Vec<String>,
    /// Where conferences keep their encrypted attachments while they run. The server owns the
    /// `conf-*` directories in it: it removes them at start-up and shutdown (a crash leaves them),
    /// so two servers must not share it.
    pub attachment_dir: PathBuf,
    /// Where recordings are kept (their raw capture while it is turned into output, then the
    /// output files) until their retention ends. `None`: recording is switched off.
    pub recordings_dir: Option<PathBuf>,
    /// How long a finished recording is kept before it is deleted automatically.
    pub recording_retention_days: u32,
    /// Organiser protection: an argon2 hash (PHC string, from `treff --hash-password`) of the
    /// password needed to create meetings. `None`: anyone who reaches the server creates meetings.
    pub organiser_password_hash: Option<String>,
    /// The secret behind moderator keys and created meetings' ids (32 bytes, URL-safe base64). With
    /// none, one is drawn at start-up and moderator links stop working after a restart.
    pub meeting_secret: Option<[u8; 32]>,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for a moderator's ban).
    pub trusted_proxies: Vec<IpAddr>,
    /// The operator's own TURN server, for participants whose network lets neither UDP nor TCP
    /// reach the SFU directly. `None` (the default): no ICE server at all.
    pub turn: Option<crate::turn::Turn>,
    /// The server's own state (mode 0700): the admin socket and its token, the key of held logs,
    /// held logs and the audit log (see `holds` and `admin`).
    pub state_dir: PathBuf,
    /// Where the operator's listener (`/metrics`, `/healthz`, `/readyz`) listens; `None`: off.
    pub metrics: Option<SocketAddr>,
    /// The operator's part of the privacy notice (`[privacy]`).
    pub privacy: PrivacyNotice,
    /// Whether `privacy` is the shipped example's (no config file was given).
    pub privacy_is_example: bool,
    /// All limits; see [`Limits`].
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            http: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            https: SocketAddr::from((Ipv4Addr::LOCALHOST, 8443)),
            tls: None,
            media_bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 10000)),
            media_tcp_bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 10000)),
            ice_candidates: vec![CandidateKind::Udp, CandidateKind::Tcp],
            // About 250 ms of a full room's media at 1.5 Mbit/s per camera and 20 receivers.
            media_socket_buffer: 4 << 20,
            public_ips: Vec::new(),
            ui_dir: None,
            allowed_origins: Vec::new(),
            attachment_dir: std::env::temp_dir().join("treff-attachments"),
            recordings_dir: Some(std::env::temp_dir().join("treff-recordings")),
            recording_retention_days: 7,
            organiser_password_hash: None,
            meeting_secret: None,
            trusted_proxies: Vec::new(),
            turn: None,
            state_dir: std::env::temp_dir().join("treff-state"),
            metrics: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 9464))),
            privacy: example_privacy(),
            privacy_is_example: true,
            limits: Limits::default(),
        }
    }
}

/// The `[privacy]` table of the shipped example.
pub fn example_privacy() -> PrivacyNotice {
    toml::from_str::<FileConfig>(EXAMPLE)
        .ok()
        .and_then(|f| f.privacy)
        .expect("examples/treff.toml has a valid [privacy] table (tested)")
}

impl Config {
    /// Loopback on ephemeral ports and an attachment directory of its own: what tests and
    /// benchmarks start (several at once, so they must not sweep each other's files).
    pub fn ephemeral() -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self {
            http: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            https: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            media_bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            media_tcp_bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            attachment_dir: std::env::temp_dir()
                .join(format!("treff-test-{}-{n}", std::process::id())),
            recordings_dir: Some(
                std::env::temp_dir().join(format!("treff-test-rec-{}-{n}", std::process::id())),
            ),
            state_dir: std::env::temp_dir()
                .join(format!("treff-test-state-{}-{n}", std::process::id())),
            metrics: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            ..Self::default()
        }
    }

    /// Where the UI comes from: `ui_dir`, else the binary.
    pub fn ui(&self) -> crate::ui::Ui {
        match &self.ui_dir {
            Some(dir) => crate::ui::Ui::Dir(dir.clone()),
            None => crate::ui::Ui::Embedded,
        }
    }

    /// The addresses put into ICE candidates for a socket bound to `bound` (the port it actually
    /// got): the public addresses, else the bound address, else loopback (both families for a
    /// dual-stack `[::]`).
    pub fn candidate_addresses(&self, bound: SocketAddr) -> crate::sfu::peer::Addresses {
        let at = |ip: IpAddr| Some(SocketAddr::new(ip, bound.port()));
        let ips: Vec<IpAddr> = if !self.public_ips.is_empty() {
            self.public_ips.clone()
        } else if bound.ip().is_unspecified() && bound.is_ipv6() {
            vec![
                Ipv4Addr::LOCALHOST.into(),
                std::net::Ipv6Addr::LOCALHOST.into(),
            ]
        } else if bound.ip().is_unspecified() {
            vec![Ipv4Addr::LOCALHOST.into()]
        } else {
            vec![bound.ip()]
        };
        crate::sfu::peer::Addresses {
            v4: ips.iter().copied().find(IpAddr::is_ipv4).and_then(at),
            v6: ips.iter().copied().find(IpAddr::is_ipv6).and_then(at),
        }
    }

    /// What the parsed command line asks for.
    fn invocation(mut cli: Cli) -> Result<Invocation, ConfigError> {
        if cli.hash_password {
            return Ok(Invocation::HashPassword);
        }
        match cli.command.take() {
            Some(Command::Admin { action }) => Ok(Invocation::Admin {
                state_dir: Self::from_cli(cli)?.state_dir,
                action,
            }),
            Some(Command::CheckConfig { file }) => {
                cli.config = file.or(cli.config);
                Ok(Invocation::CheckConfig(Self::from_cli(cli).map(Box::new)))
            }
            None => Self::from_cli(cli).map(|c| Invocation::Serve(Box::new(c))),
        }
    }

    /// The settings in effect as a config file (flags, `TREFF_*` variables, the file and the
    /// defaults merged), with every secret replaced by [`REDACTED`]: what `treff check-config` prints.
    pub fn effective_settings(&self) -> String {
        let secret = |set: bool| set.then(|| REDACTED.to_owned());
        let file = FileConfig {
            http: Some(self.http),
            https: self.tls.as_ref().map(|_| self.https),
            tls_cert: self.tls.as_ref().map(|t| t.cert.clone()),
            tls_key: self.tls.as_ref().map(|t| t.key.clone()),
            media_bind: Some(self.media_bind),
            media_tcp_bind: Some(self.media_tcp_bind),
            ice_candidates: Some(self.ice_candidates.clone()),
            media_socket_buffer: Some(self.media_socket_buffer),
            public_ip: (!self.public_ips.is_empty())
                .then(|| OneOrMany::Many(self.public_ips.clone())),
            ui_dir: self.ui_dir.clone(),
            allowed_origins: Some(self.allowed_origins.clone()),
            attachment_dir: Some(self.attachment_dir.clone()),
            // Empty: recording switched off, as in the file.
            recordings_dir: Some(self.recordings_dir.clone().unwrap_or_default()),
            recording_retention_days: Some(self.recording_retention_days),
            organiser_password_hash: secret(self.organiser_password_hash.is_some()),
            meeting_secret: secret(self.meeting_secret.is_some()),
            trusted_proxies: Some(self.trusted_proxies.clone()),
            turn_urls: self.turn.as_ref().map(|t| t.urls.clone()),
            turn_secret: secret(self.turn.is_some()),
            turn_credential_ttl: self
                .turn
                .as_ref()
                .map(|t| humantime::format_duration(t.ttl).to_string()),
            state_dir: Some(self.state_dir.clone()),
            metrics: Some(Listen(self.metrics)),
            privacy: Some(self.privacy.clone()),
            limits: Some(self.limits.clone()),
        };
        let origin = if self.privacy_is_example {
            "# No config file: [privacy] is the shipped example's, fine for a try, not for a service.\n"
        } else {
            ""
        };
        let body = toml::to_string(&file)
            .unwrap_or_else(|e| format!("# (cannot print the settings: {e})\n"));
        format!(
            "# The settings in effect: flags, TREFF_* variables, the config file and the defaults;\n\
             # secrets shown as {REDACTED:?}.\n{origin}\n{body}"
        )
    }

    fn from_cli(cli: Cli) -> Result<Self, ConfigError> {
        let (file, privacy) = match &cli.config {
            Some(path) => {
                let mut file = FileConfig::read(path)?;
                let privacy = file.privacy.take();
                (file, privacy)
            }
            None => (FileConfig::default(), None),
        };
        let d = Config::default();
        // Taken twice: as they are, and to check the public addresses against them.
        let media_bind = cli.media_bind.or(file.media_bind).unwrap_or(d.media_bind);
        let media_tcp_bind = cli
            .media_tcp_bind
            .or(file.media_tcp_bind)
            .unwrap_or(d.media_tcp_bind);
        let tls = match (cli.tls_cert.or(file.tls_cert), cli.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles::new(cert, key)),
            (None, None) => None,
            _ => return Err(ConfigError::TlsPair),
        };
        Ok(Config {
            http: cli.http.or(file.http).unwrap_or(d.http),
            https: cli.https.or(file.https).unwrap_or(d.https),
            tls,
            media_bind,
            media_tcp_bind,
            ice_candidates: match (cli.ice_candidates.is_empty(), file.ice_candidates) {
                (false, _) => cli.ice_candidates,
                (true, Some(kinds)) if kinds.is_empty() => return Err(ConfigError::NoCandidates),
                (true, Some(kinds)) => kinds,
                (true, None) => d.ice_candidates,
            },
            media_socket_buffer: cli
                .media_socket_buffer
                .or(file.media_socket_buffer)
                .unwrap_or(d.media_socket_buffer),
            public_ips: public_ips(
                match (cli.public_ip.is_empty(), file.public_ip) {
                    (false, _) => cli.public_ip,
                    (true, Some(OneOrMany::One(ip))) => vec![ip],
                    (true, Some(OneOrMany::Many(ips))) => ips,
                    (true, None) => Vec::new(),
                },
                &[media_bind, media_tcp_bind],
            )?,
            ui_dir: cli.ui_dir.or(file.ui_dir).or(d.ui_dir),
            allowed_origins: if cli.allowed_origin.is_empty() {
                file.allowed_origins.unwrap_or_default()
            } else {
                cli.allowed_origin
            },
            attachment_dir: cli
                .attachment_dir
                .or(file.attachment_dir)
                .unwrap_or(d.attachment_dir),
            recordings_dir: match cli.recordings_dir.or(file.recordings_dir) {
                // An empty value switches recording off.
                Some(dir) if dir.as_os_str().is_empty() => None,
                Some(dir) => Some(dir),
                None => d.recordings_dir,
            },
            recording_retention_days: cli
                .recording_retention_days
                .or(file.recording_retention_days)
                .unwrap_or(d.recording_retention_days)
                .max(1),
            organiser_password_hash: cli.organiser_password_hash.or(file.organiser_password_hash),
            meeting_secret: match cli.meeting_secret.or(file.meeting_secret) {
                Some(text) => Some(parse_secret(&text).ok_or(ConfigError::MeetingSecret)?),
                None => None,
            },
            trusted_proxies: if cli.trusted_proxy.is_empty() {
                file.trusted_proxies.unwrap_or_default()
            } else {
                cli.trusted_proxy
            },
            turn: turn(
                if cli.turn_url.is_empty() {
                    file.turn_urls.unwrap_or_default()
                } else {
                    cli.turn_url
                },
                cli.turn_secret.or(file.turn_secret),
                match (cli.turn_credential_ttl, file.turn_credential_ttl) {
                    (Some(ttl), _) => Some(ttl),
                    (None, Some(text)) => Some(
                        humantime::parse_duration(&text)
                            .map_err(|_| ConfigError::TurnTtl(text.clone()))?,
                    ),
                    (None, None) => None,
                },
            )?,
            state_dir: cli.state_dir.or(file.state_dir).unwrap_or(d.state_dir),
            metrics: cli.metrics.or(file.metrics).map_or(d.metrics, |l| l.0),
            privacy_is_example: privacy.is_none(),
            privacy: privacy.unwrap_or(d.privacy),
            limits: file.limits.unwrap_or_default(),
        })
    }
}

/// Checks the announced addresses: at most one per family, and each reachable on the media
/// sockets (an IPv6 address needs an IPv6 bind; an IPv4 one an IPv4 or dual-stack `[::]` bind).
fn public_ips(ips: Vec<IpAddr>, binds: &[SocketAddr]) -> Result<Vec<IpAddr>, ConfigError> {
    for v6 in [false, true] {
        if ips.iter().filter(|ip| ip.is_ipv6() == v6).count() > 1 {
            return Err(ConfigError::PublicIps(format!(
                "more than one {} address; give at most one IPv4 and one IPv6",
                if v6 { "IPv6" } else { "IPv4" }
            )));
        }
    }
    for ip in &ips {
        for bind in binds {
            let reachable = match (ip, bind) {
                (IpAddr::V6(_), SocketAddr::V6(_)) => true,
                (IpAddr::V6(_), SocketAddr::V4(_)) => false,
                (IpAddr::V4(_), SocketAddr::V4(_)) => true,
                (IpAddr::V4(_), SocketAddr::V6(b)) => b.ip().is_unspecified(),
            };
            if !reachable {
                return Err(ConfigError::PublicIps(format!(
                    "{ip} cannot reach the media socket bound to {bind}: bind [::]:<port> for both \
                     families"
                )));
            }
        }
    }
    Ok(ips)
}

/// How long TURN credentials live by default: longer than any meeting (a credential that expires
/// while in use ends the relayed media at the allocation's next refresh), short enough to be
/// worthless the next day.
pub const TURN_CREDENTIAL_TTL: Duration = Duration::from_secs(12 * 3600);

/// The TURN server from its URLs, secret and credential lifetime, or `None` without URLs and secret.
fn turn(
    urls: Vec<String>,
    secret: Option<String>,
    ttl: Option<Duration>,
) -> Result<Option<crate::turn::Turn>, ConfigError> {
    let secret = secret.filter(|s| !s.is_empty());
    match (urls.is_empty(), secret) {
        (true, None) => Ok(None),
        (false, Some(secret)) => {
            if let Some(bad) = urls.iter().find(|u| !crate::turn::is_turn_url(u)) {
                return Err(ConfigError::TurnUrl(bad.clone()));
            }
            let ttl = ttl.unwrap_or(TURN_CREDENTIAL_TTL);
            if ttl.is_zero() {
                return Err(ConfigError::TurnTtl("0".into()));
            }
            Ok(Some(crate::turn::Turn::new(urls, &secret, ttl)))
        }
        _ => Err(ConfigError::TurnPair),
    }
}

/// A kind of ICE candidate the server announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CandidateKind {
    /// The UDP socket: what browsers use whenever it gets through.
    Udp,
    /// The TCP port (passive): for networks that drop UDP.
    Tcp,
}

/// The parsed command line, before the configuration is built from it: logging is set up first
/// (its format is a flag), so that building the configuration can log.
#[derive(Debug)]
pub struct Args(Cli);

impl Args {
    /// Parses the command line and the `TREFF_*` environment (clap prints usage errors and exits).
    pub fn parse() -> Self {
        Self(Cli::parse())
    }

    /// The log format asked for.
    pub fn log_format(&self) -> LogFormat {
        self.0.log_format
    }

    /// What the command line asks for, with the configuration read from the file it names.
    pub fn invocation(self) -> Result<Invocation, ConfigError> {
        Config::invocation(self.0)
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: one line per event.
    #[default]
    Text,
    /// For log collectors: one JSON object per line.
    Json,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// Run the server with this configuration.
    Serve(Box<Config>),
    /// Hash a password from standard input for `organiser_password_hash`, print it, exit.
    HashPassword,
    /// Print the effective settings (`Config::effective_settings`), or why there are none, and exit.
    CheckConfig(Result<Box<Config>, ConfigError>),
    /// Talk to the running server over its local admin channel.
    Admin {
        /// The running server's state directory.
        state_dir: PathBuf,
        /// What to ask.
        action: AdminAction,
    },
}

/// `treff admin …`: incident holds on a conference's session log.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum AdminAction {
    /// Keep a running conference's session log past its end, encrypted, for a security incident.
    Hold {
        /// The meeting: its link or its id.
        meeting: String,
        /// Why (goes to the audit log; name the incident, not the people).
        #[arg(long)]
        reason: String,
        /// How long, e.g. `7d` or `12h` [default and maximum: `incident_hold_days` of [privacy]].
        #[arg(long = "for", value_parser = humantime::parse_duration)]
        duration: Option<Duration>,
    },
    /// Delete a held log now.
    Release {
        /// The hold's id (from `hold` or `list`).
        #[arg(allow_hyphen_values = true)]
        hold: String,
    },
    /// List the holds: id, reason, when held, when they expire.
    List,
    /// Development builds only, for tests: offer everyone in a running meeting an ICE restart.
    #[cfg(debug_assertions)]
    #[command(hide = true)]
    IceRestart {
        /// The meeting: its link or its id.
        meeting: String,
    },
    /// Write a held log as JSON, for the investigation.
    Export {
        /// The hold's id.
        #[arg(allow_hyphen_values = true)]
        hold: String,
        /// Write to this file (created with mode 0600) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file could not be read.
    #[error("cannot read config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The TOML file is not valid: every wrong key, each with what is wrong (the `[privacy]`
    /// table is required).
    #[error("invalid config file {}:{}", .0.display(), .1.iter().map(|e| format!("\n  - {e}")).collect::<String>())]
    Invalid(PathBuf, Vec<String>),
    /// The meeting secret is not 32 bytes of URL-safe base64.
    #[error("meeting_secret: must be 32 bytes in URL-safe base64 (43 characters)")]
    MeetingSecret,
    /// `ice_candidates = []`: no way for media to reach the server.
    #[error("ice_candidates must name udp, tcp or both: without any, no media can flow")]
    NoCandidates,
    /// A certificate without a key, or a key without a certificate.
    #[error("tls_cert and tls_key go together: give both (HTTPS) or neither (plain HTTP)")]
    TlsPair,
    /// TURN URLs without the secret, or a secret without URLs.
    #[error(
        "turn_urls and turn_secret go together: give both (your TURN server) or neither (no ICE \
         server at all)"
    )]
    TurnPair,
    /// A TURN URL that is not one.
    #[error("turn_urls: {0:?} is not a turn: or turns: URL")]
    TurnUrl(String),
    /// Public addresses that cannot all be announced.
    #[error("public_ip: {0}")]
    PublicIps(String),
    /// A credential lifetime that is not a positive duration.
    #[error("turn_credential_ttl: {0:?} is not a positive duration such as \"12h\"")]
    TurnTtl(String),
}

fn parse_secret(text: &str) -> Option<[u8; 32]> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?
        .try_into()
        .ok()
}

/// Command line and environment.
#[derive(Parser, Debug, Default)]
#[command(
    name = "treff",
    version,
    about = "Treff: privacy-first video conferencing (server)"
)]
struct Cli {
    /// TOML configuration file (keys as the long flags with `_`, a `[privacy]` table and a
    /// `[limits]` table; see examples/treff.toml) [default: none, run with the example's notice].
    #[arg(long, env = "TREFF_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// The server's state directory (admin socket and token, held logs, audit log)
    /// [default: <temp>/treff-state].
    #[arg(long, env = "TREFF_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
    /// HTTP listen address; with --tls-cert it only redirects to HTTPS [default: 127.0.0.1:8080].
    #[arg(long, env = "TREFF_HTTP")]
    http: Option<SocketAddr>,
    /// HTTPS listen address, used with --tls-cert and --tls-key [default: 127.0.0.1:8443].
    #[arg(long, env = "TREFF_HTTPS")]
    https: Option<SocketAddr>,
    /// Certificate chain (PEM) for HTTPS; re-read when the file changes (renewals need no restart).
    #[arg(long, env = "TREFF_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) of the certificate; re-read with it.
    #[arg(long, env = "TREFF_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// UDP address for all media [default: 127.0.0.1:10000].
    #[arg(long, env = "TREFF_MEDIA_BIND")]
    media_bind: Option<SocketAddr>,
    /// TCP address for media where UDP is blocked (ICE over TCP) [default: 127.0.0.1:10000].
    #[arg(long, env = "TREFF_MEDIA_TCP_BIND")]
    media_tcp_bind: Option<SocketAddr>,
    /// ICE candidates announced to browsers, comma-separated [default: udp,tcp].
    #[arg(long, env = "TREFF_ICE_CANDIDATES", value_delimiter = ',')]
    ice_candidates: Vec<CandidateKind>,
    /// Kernel receive and send buffer of the media socket, bytes each [default: 4194304].
    #[arg(long, env = "TREFF_MEDIA_SOCKET_BUFFER")]
    media_socket_buffer: Option<usize>,
    /// Public IP announced to browsers for media: one IPv4, one IPv6 or one of each (repeatable;
    /// comma-separated in the environment) [default: the media bind address].
    #[arg(long, env = "TREFF_PUBLIC_IP", value_delimiter = ',')]
    public_ip: Vec<IpAddr>,
    /// Serve the built UI from this directory instead of the one embedded in the binary.
    #[arg(long, env = "TREFF_UI_DIR")]
    ui_dir: Option<PathBuf>,
    /// Extra origin allowed to open the WebSocket (repeatable; comma-separated in the environment).
    #[arg(long, env = "TREFF_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origin: Vec<String>,
    /// Directory for the encrypted attachments of running conferences [default: <temp>/treff-attachments].
    #[arg(long, env = "TREFF_ATTACHMENT_DIR")]
    attachment_dir: Option<PathBuf>,
    /// Directory of recordings; empty switches recording off [default: <temp>/treff-recordings].
    #[arg(long, env = "TREFF_RECORDINGS_DIR")]
    recordings_dir: Option<PathBuf>,
    /// Days a finished recording is kept before it is deleted automatically [default: 7].
    #[arg(long, env = "TREFF_RECORDING_RETENTION_DAYS")]
    recording_retention_days: Option<u32>,
    /// Organiser protection: argon2 hash of the password needed to create meetings (make one with
    /// --hash-password) [default: none, anyone may create meetings].
    #[arg(long, env = "TREFF_ORGANISER_PASSWORD_HASH")]
    organiser_password_hash: Option<String>,
    /// Secret behind moderator links, 32 bytes in URL-safe base64, so they survive restarts
    /// [default: drawn at start-up].
    #[arg(long, env = "TREFF_MEETING_SECRET")]
    meeting_secret: Option<String>,
    /// Reverse proxy whose X-Forwarded-For header names the client (repeatable).
    #[arg(long, env = "TREFF_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxy: Vec<IpAddr>,
    /// Your own TURN server's URL, e.g. turn:turn.example.org:3478 (repeatable; comma-separated in
    /// the environment); needs --turn-secret [default: none, no ICE server at all].
    #[arg(long, env = "TREFF_TURN_URLS", value_delimiter = ',')]
    turn_url: Vec<String>,
    /// The secret shared with the TURN server (coturn: static-auth-secret), for its short-lived
    /// credentials.
    #[arg(long, env = "TREFF_TURN_SECRET", hide_env_values = true)]
    turn_secret: Option<String>,
    /// How long a TURN credential is valid, e.g. 12h [default: 12h].
    #[arg(long, env = "TREFF_TURN_CREDENTIAL_TTL", value_parser = humantime::parse_duration)]
    turn_credential_ttl: Option<Duration>,
    /// The operator's listener for /metrics, /healthz and /readyz: an address (keep it local) or
    /// "off" [default: 127.0.0.1:9464].
    #[arg(long, env = "TREFF_METRICS")]
    metrics: Option<Listen>,
    /// Log lines as text (no colour unless standard error is a terminal and NO_COLOR is unset) or as
    /// JSON objects, one per line, for log collectors.
    #[arg(
        long,
        env = "TREFF_LOG_FORMAT",
        value_enum,
        default_value_t,
        global = true
    )]
    log_format: LogFormat,
    /// Read a password from standard input, print its argon2 hash for organiser_password_hash, exit.
    #[arg(long)]
    pub hash_password: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Check a config file (FILE, else --config): print the settings in effect with secrets
    /// redacted, or every error with its key and exit non-zero.
    CheckConfig {
        /// The file to check [default: --config or TREFF_CONFIG].
        file: Option<PathBuf>,
    },
    /// Talk to the running server (same --config or --state-dir as the server's).
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

/// `public_ip = "203.0.113.7"` or `public_ip = ["203.0.113.7", "2001:db8::7"]`.
#[derive(Deserialize, Serialize, Debug)]
#[serde(untagged)]
enum OneOrMany {
    One(IpAddr),
    Many(Vec<IpAddr>),
}

/// What `treff check-config` prints instead of a secret.
pub const REDACTED: &str = "(redacted)";

/// The TOML file (also the form `treff check-config` prints the effective settings in).
#[derive(Deserialize, Serialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    http: Option<SocketAddr>,
    https: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    media_bind: Option<SocketAddr>,
    media_tcp_bind: Option<SocketAddr>,
    ice_candidates: Option<Vec<CandidateKind>>,
    media_socket_buffer: Option<usize>,
    public_ip: Option<OneOrMany>,
    ui_dir: Option<PathBuf>,
    allowed_origins: Option<Vec<String>>,
    attachment_dir: Option<PathBuf>,
    recordings_dir: Option<PathBuf>,
    recording_retention_days: Option<u32>,
    organiser_password_hash: Option<String>,
    meeting_secret: Option<String>,
    trusted_proxies: Option<Vec<IpAddr>>,
    turn_urls: Option<Vec<String>>,
    turn_secret: Option<String>,
    turn_credential_ttl: Option<String>,
    state_dir: Option<PathBuf>,
    metrics: Option<Listen>,
    privacy: Option<PrivacyNotice>,
    limits: Option<Limits>,
}

/// A listener that may be switched off: `"127.0.0.1:9464"`, or `"off"`.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
struct Listen(Option<SocketAddr>);

impl std::str::FromStr for Listen {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "off" => Ok(Self(None)),
            addr => addr.parse().map(|a| Self(Some(a))).map_err(|_| {
                format!("{text:?} is neither an address such as \"127.0.0.1:9464\" nor \"off\"")
            }),
        }
    }
}

impl TryFrom<String> for Listen {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<Listen> for String {
    fn from(listen: Listen) -> String {
        listen.0.map_or_else(|| "off".to_owned(), |a| a.to_string())
    }
}

impl FileConfig {
    /// Reads and checks a config file. Every top-level key is checked on its own, so that one run
    /// names every wrong key (`http: invalid socket address syntax`, `privacy.dpo: missing field
    /// `email``, `htp: unknown field …`), not only the first; the `[privacy]` table is required.
    fn read(path: &std::path::Path) -> Result<Self, ConfigError> {
        let invalid = |errors| ConfigError::Invalid(path.to_owned(), errors);
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.to_owned(), e))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| invalid(vec![e.to_string().trim().to_owned()]))?;
        let mut errors: Vec<String> = table
            .iter()
            .filter_map(|(key, value)| {
                let alone = toml::Table::from_iter([(key.clone(), value.clone())]);
                Self::from_table(alone).err()
            })
            .collect();
        if !table.contains_key("privacy") {
            errors.push(
                "privacy: the table is missing; the operator's details for the privacy notice are \
                 required (see examples/treff.toml)"
                    .to_owned(),
            );
        }
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        Self::from_table(table).map_err(|e| invalid(vec![e]))
    }

    /// The config of a parsed table, or the first error prefixed with the key it is about.
    fn from_table(table: toml::Table) -> Result<Self, String> {
        serde_path_to_error::deserialize(table).map_err(|e| {
            // toml's own text would add the key again on a line of its own.
            let key = e.path().to_string();
            format!("{key}: {}", e.into_inner().message().trim())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("treff-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("treff.toml");
        std::fs::write(
            &path,
            format!(
                "http = \"127.0.0.1:9000\"\nui_dir = \"/srv/ui\"\n{EXAMPLE}\n[limits]\nroom_max_participants = 4\n"
            ),
        )
        .expect("write");
        let cli = Cli::try_parse_from([
            "treff",
            "--config",
            path.to_str().expect("utf-8"),
            "--http",
            "127.0.0.1:9100",
        ])
        .expect("flags");
        let c = Config::from_cli(cli).expect("valid");
        assert_eq!(c.http.port(), 9100);
        assert_eq!(c.ui_dir, Some(PathBuf::from("/srv/ui")));
        assert_eq!(c.limits.room_max_participants, 4);
        assert_eq!(c.media_bind, Config::default().media_bind);
        std::fs::remove_dir_all(dir).ok();
    }

    /// The configuration that `args` (after `treff`) make, or why they make none.
    fn from_flags(args: &[&str]) -> Result<Config, ConfigError> {
        Config::from_cli(Cli::try_parse_from([&["treff"], args].concat()).expect("flags"))
    }

    #[test]
    fn the_metrics_listener_is_local_by_default_moves_or_goes_off() {
        let local = from_flags(&[]).expect("defaults");
        assert_eq!(local.metrics, Some("127.0.0.1:9464".parse().expect("addr")));
        let moved = from_flags(&["--metrics", "10.0.0.5:9100"]).expect("an address");
        assert_eq!(moved.metrics, Some("10.0.0.5:9100".parse().expect("addr")));
        assert_eq!(
            from_flags(&["--metrics", "off"]).expect("off").metrics,
            None
        );
        // The file's spelling, and what check-config prints back.
        let text = format!("metrics = \"off\"\n{EXAMPLE}");
        let table: toml::Table = toml::from_str(&text).expect("toml");
        let file = FileConfig::from_table(table).expect("valid");
        assert_eq!(file.metrics, Some(Listen(None)));
        assert!(
            local
                .effective_settings()
                .contains("metrics = \"127.0.0.1:9464\"")
        );
        let error = error_of("metrics", &format!("metrics = \"everywhere\"\n{EXAMPLE}"));
        assert!(
            error.contains("metrics: \"everywhere\" is neither an address"),
            "{error}"
        );
    }

    /// The config error for `text` as a config file.
    fn error_of(name: &str, text: &str) -> String {
        let dir = std::env::temp_dir().join(format!("treff-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("treff.toml");
        std::fs::write(&path, text).expect("write");
        let cli = Cli::try_parse_from(["treff", "--config", path.to_str().expect("utf-8")])
            .expect("flags");
        let error = Config::from_cli(cli).expect_err("refused").to_string();
        std::fs::remove_dir_all(dir).ok();
        error
    }

    #[test]
    fn the_shipped_example_is_a_complete_config() {
        let privacy = example_privacy();
        assert_eq!(
            privacy.controller.name,
            "Caritasverband für das Dekanat Borken e.V."
        );
        assert_eq!(
            privacy.authority.address,
            ["Brackeler Hellweg 144", "44309 Dortmund"]
        );
        assert_eq!(privacy.incident_hold_days, 30);
        let c = Config::from_cli(Cli::default()).expect("no file");
        assert!(c.privacy_is_example);
    }

    #[test]
    fn a_config_file_without_the_privacy_notice_or_a_field_of_it_is_refused_by_name() {
        let without = error_of("none", "http = \"127.0.0.1:9000\"\n");
        assert!(
            without.contains("privacy: the table is missing"),
            "{without}"
        );
        let no_email = EXAMPLE.replace("email = \"datenschutz@itm-systems.com\"", "");
        let error = error_of("field", &no_email);
        assert!(
            error.contains("privacy.dpo: missing field `email`"),
            "{error}"
        );
        let no_law = EXAMPLE.replace("law = \"KDG\"", "");
        let error = error_of("law", &no_law);
        assert!(error.contains("missing field `law`"), "{error}");
    }

    #[test]
    fn admin_takes_the_state_directory_from_the_flag_or_the_file() {
        let cli = Cli::try_parse_from([
            "treff",
            "admin",
            "--state-dir",
            "/var/lib/t",
            "hold",
            "https://x/m/abc",
            "--reason",
            "attack",
            "--for",
            "7d",
        ])
        .expect("flags");
        let Ok(Invocation::Admin { state_dir, action }) = Config::invocation(cli) else {
            panic!("an admin invocation");
        };
        assert_eq!(state_dir, PathBuf::from("/var/lib/t"));
        assert_eq!(
            action,
            AdminAction::Hold {
                meeting: "https://x/m/abc".into(),
                reason: "attack".into(),
                duration: Some(Duration::from_secs(7 * 86_400)),
            }
        );
    }

    #[test]
    fn a_hold_id_that_starts_with_a_dash_is_an_id_not_an_option() {
        let action = |args: &[&str]| {
            let cli = Cli::try_parse_from(
                ["treff", "admin", "--state-dir", "/var/lib/t"]
                    .iter()
                    .chain(args),
            )
            .expect("flags");
            let Ok(Invocation::Admin { action, .. }) = Config::invocation(cli) else {
                panic!("an admin invocation");
            };
            action
        };
        assert_eq!(
            action(&["release", "-Sx2Lr1Q0aZk9dPq"]),
            AdminAction::Release {
                hold: "-Sx2Lr1Q0aZk9dPq".into()
            }
        );
        let export = AdminAction::Export {
            hold: "-Sx2Lr1Q0aZk9dPq".into(),
            out: Some("/tmp/held.json".into()),
        };
        assert_eq!(
            action(&["export", "-Sx2Lr1Q0aZk9dPq", "--out", "/tmp/held.json"]),
            export
        );
        assert_eq!(
            action(&["export", "--out", "/tmp/held.json", "-Sx2Lr1Q0aZk9dPq"]),
            export
        );
    }

    #[test]
    fn tls_needs_both_files() {
        let only_cert =
            Cli::try_parse_from(["treff", "--tls-cert", "/etc/treff/cert.pem"]).expect("flags");
        let error = Config::from_cli(only_cert)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("tls_cert and tls_key go together"),
            "{error}"
        );
        let both = Cli::try_parse_from([
            "treff",
            "--tls-cert",
            "/etc/treff/cert.pem",
            "--tls-key",
            "/etc/treff/key.pem",
            "--https",
            "0.0.0.0:443",
        ])
        .expect("flags");
        let c = Config::from_cli(both).expect("valid");
        let tls = c.tls.expect("TLS on");
        assert_eq!(tls.cert, PathBuf::from("/etc/treff/cert.pem"));
        assert_eq!(c.https.port(), 443);
    }

    #[test]
    fn turn_needs_urls_and_secret_and_takes_only_turn_urls() {
        assert!(
            from_flags(&[]).expect("valid").turn.is_none(),
            "none by default"
        );
        let error = from_flags(&["--turn-url", "turn:t.example:3478"]).expect_err("no secret");
        assert!(error.to_string().contains("go together"), "{error}");
        let error = from_flags(&["--turn-secret", "s"]).expect_err("no url");
        assert!(error.to_string().contains("go together"), "{error}");
        let error =
            from_flags(&["--turn-url", "stun:t.example", "--turn-secret", "s"]).expect_err("stun");
        assert!(error.to_string().contains("\"stun:t.example\""), "{error}");
        let c = from_flags(&[
            "--turn-url",
            "turn:t.example:3478,turns:t.example:5349",
            "--turn-secret",
            "s",
        ])
        .expect("valid");
        let turn = c.turn.expect("TURN on");
        assert_eq!(turn.urls.len(), 2);
        assert_eq!(turn.ttl, TURN_CREDENTIAL_TTL);
        let c = from_flags(&[
            "--turn-url",
            "turn:t.example:3478",
            "--turn-secret",
            "s",
            "--turn-credential-ttl",
            "90m",
        ])
        .expect("valid");
        assert_eq!(c.turn.expect("TURN on").ttl, Duration::from_secs(5400));
    }

    #[test]
    fn public_addresses_are_one_per_family_and_reachable_on_the_binds() {
        let dual = [
            "--media-bind",
            "[::]:10000",
            "--media-tcp-bind",
            "[::]:10000",
        ];
        let c = from_flags(&[&dual[..], &["--public-ip", "203.0.113.7,2001:db8::7"]].concat())
            .expect("one of each on dual-stack binds");
        let a = c.candidate_addresses("[::]:10000".parse().expect("addr"));
        assert_eq!(a.v4, Some("203.0.113.7:10000".parse().expect("addr")));
        assert_eq!(a.v6, Some("[2001:db8::7]:10000".parse().expect("addr")));

        let error = from_flags(&[&dual[..], &["--public-ip", "203.0.113.7,203.0.113.8"]].concat())
            .expect_err("two IPv4");
        assert!(error.to_string().contains("more than one IPv4"), "{error}");
        let error = from_flags(&["--public-ip", "2001:db8::7"]).expect_err("IPv6 on an IPv4 bind");
        assert!(error.to_string().contains("cannot reach"), "{error}");
        let error = from_flags(&[
            "--media-bind",
            "[2001:db8::1]:10000",
            "--media-tcp-bind",
            "[2001:db8::1]:10000",
            "--public-ip",
            "203.0.113.7",
        ])
        .expect_err("IPv4 on an IPv6-only bind");
        assert!(error.to_string().contains("cannot reach"), "{error}");

        // Without public addresses: the bind address, or loopback for the unspecified ones.
        let c = from_flags(&[]).expect("defaults");
        let any6 = c.candidate_addresses("[::]:9".parse().expect("addr"));
        assert_eq!(
            any6.iter().collect::<Vec<_>>(),
            [
                "127.0.0.1:9".parse().expect("addr"),
                "[::1]:9".parse().expect("addr")
            ]
        );
        let any4 = c.candidate_addresses("0.0.0.0:9".parse().expect("addr"));
        assert_eq!(
            any4.iter().collect::<Vec<_>>(),
            ["127.0.0.1:9".parse().expect("addr")]
        );
        let one = c.candidate_addresses("[::1]:9".parse().expect("addr"));
        assert_eq!(
            (one.v4, one.v6),
            (None, Some("[::1]:9".parse().expect("addr")))
        );
    }

    #[test]
    fn the_file_takes_one_public_ip_or_a_list() {
        let one: FileConfig = toml::from_str("public_ip = \"203.0.113.7\"").expect("one");
        assert!(matches!(one.public_ip, Some(OneOrMany::One(_))));
        let two: FileConfig =
            toml::from_str("public_ip = [\"203.0.113.7\", \"2001:db8::7\"]").expect("a list");
        assert!(matches!(two.public_ip, Some(OneOrMany::Many(ref ips)) if ips.len() == 2));
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error() {
        assert!(toml::from_str::<FileConfig>("htp = \"x\"").is_err());
    }

    #[test]
    fn every_wrong_key_is_named_in_one_error() {
        let text = format!(
            "htp = \"x\"\nhttp = \"nonsense\"\nmedia_bind = \"1.2.3.4\"\n{}\n[limits]\nroom_max_participants = \"many\"\n",
            EXAMPLE.replace("law = \"KDG\"", "")
        );
        let error = error_of("every", &text);
        for expected in [
            "htp: unknown field `htp`",
            "http: invalid socket address syntax",
            "media_bind: invalid socket address syntax",
            "privacy: missing field `law`",
            "limits.room_max_participants: invalid type",
        ] {
            assert!(error.contains(expected), "{expected:?} in {error}");
        }
        assert_eq!(
            error.matches("\n  - ").count(),
            5,
            "one line per key: {error}"
        );
    }

    #[test]
    fn the_effective_settings_hide_every_secret_and_read_back_as_a_config() {
        let secret = "s3cr3t-turn-shared-secret";
        let meeting_secret = "A".repeat(43);
        let config = from_flags(&[
            "--turn-url",
            "turn:turn.example.org:3478",
            "--turn-secret",
            secret,
            "--meeting-secret",
            &meeting_secret,
            "--organiser-password-hash",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        ])
        .expect("valid");
        let printed = config.effective_settings();
        for hidden in [secret, meeting_secret.as_str(), "argon2id"] {
            assert!(!printed.contains(hidden), "{hidden} printed: {printed}");
        }
        assert_eq!(printed.matches(REDACTED).count(), 3 + 1, "{printed}");
        let back: FileConfig = toml::from_str(&printed).expect("a config file");
        assert_eq!(back.http, Some(config.http));
        assert_eq!(
            back.turn_urls,
            Some(vec!["turn:turn.example.org:3478".to_owned()])
        );
        assert_eq!(back.turn_credential_ttl.as_deref(), Some("12h"));
        assert_eq!(back.limits, Some(config.limits));
        assert_eq!(back.privacy, Some(config.privacy));
    }
}
