//! The `treff` binary: reads the configuration, sets up logging, and runs the server until SIGTERM or
//! SIGINT, then shuts it down (every conference ended the normal way) within 5 s; or runs `treff admin`.

use tracing_subscriber::EnvFilter;

/// jemalloc returns the pages of ended rooms to the system (glibc's malloc would keep the peak).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Treff at info, the WebRTC stack at warn.
const DEFAULT_LOG_FILTER: &str =
    "info,str0m=warn,str0m_proto=warn,is=warn,dimpl=warn,sctp_proto=warn";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = treff::config::Args::parse();
    init_logs(args.log_format());
    let config = match args.invocation() {
        Ok(treff::config::Invocation::Serve(c)) => *c,
        Ok(treff::config::Invocation::CheckConfig(checked)) => {
            return match checked {
                Ok(config) => {
                    print!("{}", config.effective_settings());
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("treff: {e}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
        Ok(treff::config::Invocation::HashPassword) => {
            let mut password = String::new();
            if std::io::stdin().read_line(&mut password).is_err() {
                eprintln!("treff: could not read a password from standard input");
                return std::process::ExitCode::FAILURE;
            }
            let password = password.trim_end_matches(['\r', '\n']);
            println!(
                "{}",
                treff::meetings::hash_password(password, argon2::Params::default())
            );
            return std::process::ExitCode::SUCCESS;
        }
        Ok(treff::config::Invocation::Admin { state_dir, action }) => {
            return if treff::admin::command_line(&state_dir, action).await {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            };
        }
        Err(e) => {
            tracing::error!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let stop = match stop_signals() {
        Ok(stop) => stop,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM and SIGINT: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let server = match treff::Server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (scheme, addr) = match server.https_addr {
        Some(a) => ("https", a),
        None => ("http", server.http_addr),
    };
    tracing::info!(
        media_port = server.media_addr.port(),
        "Treff is running at {}",
        url(scheme, addr)
    );
    match server.metrics_addr {
        Some(a) => tracing::info!(
            "metrics and health checks at {}/metrics, /healthz and /readyz",
            url("http", a)
        ),
        None => tracing::info!("metrics and health checks are off"),
    }
    let signal = stop.await;
    tracing::info!(signal, "shutting down");
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}

/// The server's own address as a URL for its log: `localhost` for loopback (the log never holds an
/// IP address of loopback either, so that a check for addresses in it has no exception).
fn url(scheme: &str, addr: std::net::SocketAddr) -> String {
    if addr.ip().is_loopback() {
        format!("{scheme}://localhost:{}", addr.port())
    } else {
        format!("{scheme}://{addr}")
    }
}

/// Operational logs go to stderr and never carry personal data. The WebRTC stack (str0m and its
/// ICE, DTLS and SCTP crates) is kept at warn: its debug output describes peers, even redacted.
/// Colour only for a person at a terminal: not into a pipe or the journal, and not with `NO_COLOR`.
fn init_logs(format: treff::config::LogFormat) {
    use std::io::IsTerminal as _;
    let filter =
        EnvFilter::try_from_env("TREFF_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && !no_color);
    match format {
        treff::config::LogFormat::Text => logs.init(),
        treff::config::LogFormat::Json => logs.json().init(),
    }
}

/// Listens for SIGTERM (systemd, `kill`) and SIGINT (Ctrl-C) from this call on, and names the first
/// that comes. Registered before the server starts: a stop that arrives right after "Treff is
/// running" (a service manager, a test) must shut down cleanly, not hit the default action and kill
/// the process with every conference in it.
fn stop_signals() -> std::io::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        }
    })
}
