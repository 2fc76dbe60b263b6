//! The servers under test as processes of their own, and the cores everyone runs on.
//!
//! With two or more cores the server runs on core 0 (`taskset -c 0`) and the generator pins itself
//! to core 1, so the two never take each other's time and the server's CPU figure is its own. Treff
//! is the release binary with a generated config (loopback, ephemeral ports, recordings in the temp
//! dir, the bench-only room limit) and `TREFF_LOG=warn`, so that logging does not distort the figures. Janus
//! is Debian's `janus` with a generated config in the bench's temp directory: only the VideoRoom
//! plugin and the WebSocket transport, ICE-lite, loopback, one UDP port range.
//!
//! A [`ServerProcess`] is stopped when dropped; the temp directory is removed by [`TempDir`]'s drop.

use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The shipped example configuration: its `[privacy]` table, which a config file must have.
const EXAMPLE_CONFIG: &str = include_str!("../../examples/treff.toml");

/// Where Debian's janus package puts its plugins and transports.
const JANUS_LIB: &str = "/usr/lib/x86_64-linux-gnu/janus";
/// How long a server may take to listen.
const START: Duration = Duration::from_secs(20);

/// A directory removed with everything in it when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory under the system temp dir.
    pub fn new(prefix: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How the work is spread over the cores.
#[derive(Clone, Copy, Debug)]
pub struct Pinning {
    /// The server's core, if pinned.
    pub server: Option<usize>,
    /// The generator's core, if pinned.
    pub generator: Option<usize>,
}

impl Pinning {
    /// Server on core 0 and generator on core 1 where there are two or more cores; else nothing.
    pub fn decide() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        if cores >= 2 && which("taskset").is_some() {
            Self {
                server: Some(0),
                generator: Some(1),
            }
        } else {
            Self {
                server: None,
                generator: None,
            }
        }
    }

    /// Pins the calling thread (and the threads it starts later) to the generator's core.
    pub fn pin_generator(&self) -> Result<()> {
        if let Some(core) = self.generator {
            let mut set = nix::sched::CpuSet::new();
            set.set(core)?;
            nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)?;
        }
        Ok(())
    }

    fn command(&self, program: &Path) -> Command {
        match self.server {
            Some(core) => {
                let mut c = Command::new("taskset");
                // taskset execs the program: the child's pid is the server's.
                c.arg("-c").arg(core.to_string()).arg(program);
                c
            }
            None => Command::new(program),
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// A free loopback TCP port (bound and released: a race with other programs is possible but rare).
fn free_tcp_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn free_udp_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running server under test.
pub struct ServerProcess {
    child: Child,
    /// Its pid, for `/proc`.
    pub pid: u32,
    /// Treff's HTTP address or Janus's WebSocket address.
    pub addr: SocketAddr,
    /// Its log file.
    pub log: PathBuf,
    /// Where it gathers its media candidate, if not loopback (Janus).
    pub media_ip: Option<std::net::IpAddr>,
}

impl ServerProcess {
    /// Starts `command` (the server `program`, its output already directed) without input, and
    /// waits until it listens on `addr`.
    fn spawn(
        command: &mut Command,
        program: &Path,
        addr: SocketAddr,
        log: PathBuf,
        media_ip: Option<std::net::IpAddr>,
    ) -> Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("start {}", program.display()))?;
        let pid = child.id();
        Self {
            child,
            pid,
            addr,
            log,
            media_ip,
        }
        .wait_listening()
    }

    fn wait_listening(mut self) -> Result<Self> {
        let deadline = Instant::now() + START;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(self);
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before listening; its log: {}",
                    tail(&self.log)
                );
            }
            if Instant::now() >= deadline {
                bail!(
                    "the server did not listen on {} within {START:?}; its log: {}",
                    self.addr,
                    tail(&self.log)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProcess {
    /// SIGINT first (Treff shuts down cleanly on it, Janus too), SIGKILL after 3 s.
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill};
        if let Ok(pid) = i32::try_from(self.pid) {
            let _ = kill(nix::unistd::Pid::from_raw(pid), Signal::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last lines of a log, for error messages.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Starts the release Treff server with the bench-only room limit `room_limit`.
pub fn start_treff(
    bin: &Path,
    dir: &Path,
    pin: Pinning,
    room_limit: usize,
) -> Result<ServerProcess> {
    if !bin.is_file() {
        bail!(
            "no Treff binary at {} (build it: cargo build --release -p treff)",
            bin.display()
        );
    }
    let http = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()?));
    let media = SocketAddr::from(([127, 0, 0, 1], free_udp_port()?));
    let config = dir.join("treff-bench.toml");
    std::fs::write(
        &config,
        format!(
            "# Generated by treff-loadgen. Recordings (of the recorded rows) and the server's state\n\
             # in the bench's temp dir; the privacy notice of the shipped example.\n\
             recordings_dir = {recordings:?}\n\
             state_dir = {state:?}\n\
             {EXAMPLE_CONFIG}\n\
             # Bench-only: rooms larger than the default limit of 20, and all their participants\n\
             # from one address (loopback; the default allows 50 sockets per address); and every\n\
             # camera forwarded to everyone, as Janus does (no last-N), so the rows compare.\n\
             [limits]\nroom_max_participants = {room_limit}\n\
             ws_max_connections_per_address = {room_limit}\n\
             last_n_above = {room_limit}\n",
            recordings = dir.join("recordings").display().to_string(),
            state = dir.join("state").display().to_string(),
        ),
    )?;
    let ui = dir.join("ui");
    std::fs::create_dir_all(&ui)?;
    std::fs::write(ui.join("index.html"), "<!doctype html><title>bench</title>")?;
    let log = dir.join("treff.log");
    let mut command = pin.command(bin);
    command
        .arg("--config")
        .arg(&config)
        .arg("--http")
        .arg(http.to_string())
        .arg("--media-bind")
        .arg(media.to_string())
        // webrtc-rs speaks ICE over UDP only; no TCP port to bind (or clash with another server's).
        .args(["--ice-candidates", "udp"])
        // The bench reads the server's CPU from /proc, not from its metrics listener.
        .args(["--metrics", "off"])
        .arg("--ui-dir")
        .arg(&ui)
        .arg("--attachment-dir")
        .arg(dir.join("attachments"))
        .env("TREFF_LOG", "warn")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?);
    ServerProcess::spawn(&mut command, bin, http, log, None)
}

/// The address Janus gathers its ICE candidate on. Janus (libnice) never gathers on a loopback
/// interface, so it gets the host's first IPv4 address that is up: packets to it never leave the
/// machine (the kernel delivers them over `lo`), which is as local as loopback.
pub fn janus_media_ip() -> Result<std::net::Ipv4Addr> {
    use nix::net::if_::InterfaceFlags;
    nix::ifaddrs::getifaddrs()?
        .filter(|i| {
            i.flags.contains(InterfaceFlags::IFF_UP)
                && !i.flags.contains(InterfaceFlags::IFF_LOOPBACK)
        })
        .find_map(|i| i.address?.as_sockaddr_in().map(|a| a.ip()))
        .context("no IPv4 address besides loopback for Janus's media (libnice skips loopback)")
}

/// Writes Janus's configuration into `dir/janus` and starts it (`janus -C <cfg> -F <cfgdir>`).
pub fn start_janus(bin: &Path, dir: &Path, pin: Pinning) -> Result<ServerProcess> {
    if !bin.is_file() {
        bail!(
            "no Janus binary at {} (install Debian's janus: cargo xtask bench sfu does it)",
            bin.display()
        );
    }
    let cfg = dir.join("janus");
    std::fs::create_dir_all(&cfg)?;
    let janus_media_ip = janus_media_ip()?;
    let ws_port = free_tcp_port()?;
    let disabled = |folder: &str, keep: &str| -> String {
        let mut names: Vec<String> = std::fs::read_dir(Path::new(JANUS_LIB).join(folder))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".so") && n != keep)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.join(",")
    };
    let main = format!(
        r#"# Generated by treff-loadgen: VideoRoom over WebSockets on loopback, ICE-lite.
general: {{
	configs_folder = "{cfg}"
	plugins_folder = "{lib}/plugins"
	transports_folder = "{lib}/transports"
	events_folder = "{lib}/events"
	loggers_folder = "{lib}/loggers"
	debug_level = 3
	debug_colors = false
	session_timeout = 60
}}
certificates: {{
}}
media: {{
	ipv6 = false
	rtp_port_range = "41000-49000"
}}
nat: {{
	nice_debug = false
	ice_lite = true
	ice_enforce_list = "{media_ip}"
	ignore_mdns = true
}}
plugins: {{
	disable = "{plugins}"
}}
transports: {{
	disable = "{transports}"
}}
loggers: {{
	disable = "{loggers}"
}}
events: {{
	broadcast = false
}}
"#,
        cfg = cfg.display(),
        lib = JANUS_LIB,
        plugins = disabled("plugins", "libjanus_videoroom.so"),
        transports = disabled("transports", "libjanus_websockets.so"),
        loggers = disabled("loggers", ""),
        media_ip = janus_media_ip,
    );
    std::fs::write(cfg.join("janus.jcfg"), main)?;
    std::fs::write(
        cfg.join("janus.plugin.videoroom.jcfg"),
        "# Generated by treff-loadgen: no static rooms, the bench creates its own.\ngeneral: {\n}\n",
    )?;
    std::fs::write(
        cfg.join("janus.transport.websockets.jcfg"),
        format!(
            "# Generated by treff-loadgen: plain WebSockets on loopback only.\n\
             general: {{\n\tjson = \"compact\"\n\tws = true\n\tws_port = {ws_port}\n\tws_ip = \"127.0.0.1\"\n\twss = false\n}}\n\
             admin: {{\n\tadmin_ws = false\n\tadmin_wss = false\n}}\n"
        ),
    )?;
    let log = dir.join("janus.log");
    let mut command = pin.command(bin);
    command
        .arg("-C")
        .arg(cfg.join("janus.jcfg"))
        .arg("-F")
        .arg(&cfg)
        .stdout(std::fs::File::create(&log)?)
        .stderr(Stdio::inherit());
    let addr = SocketAddr::from(([127, 0, 0, 1], ws_port));
    ServerProcess::spawn(&mut command, bin, addr, log, Some(janus_media_ip.into()))
}
