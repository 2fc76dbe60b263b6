//! Installing what building and testing Treff needs, idempotently: each tool is checked first and only
//! installed when missing or at the wrong version, so the second run is a few version queries.
//!
//! - Build: `make` (apt, for the server's allocator, jemalloc), the `wasm32-unknown-unknown` target, Trunk, the wasm-bindgen CLI at exactly the
//!   version in `Cargo.lock` (the CLI and the library must match, and Trunk runs offline so it cannot
//!   fetch one itself), and binaryen's `wasm-opt` from npm at the version `tools/package-lock.json`
//!   pins (`npm ci` into `tools/node_modules`; Debian's binaryen is too old for current Rust output).
//! - Test: Debian's Chromium, Firefox ESR, ffmpeg, openssl, coturn, nftables and iproute2 (apt), geckodriver (crates.io, pinned:
//!   the WebDriver server the e2e suite drives Firefox through), Debian's nginx unpacked (not
//!   installed, see [`nginx`]), and the e2e npm packages (`npm ci`). Playwright's own browser
//!   downloads are never used: they come from GitHub-hosted storage and would be second, unpinned
//!   browsers; nor are the driver downloads some npm packages try in install scripts (see [`npm_ci`]).
//! - Bench: Debian's `janus` (apt), which `cargo xtask bench sfu` measures beside Treff.
//! - Package (and test, which checks the package): cargo-deb (crates.io, pinned), and Debian's
//!   `systemd` for `systemd-analyze`, which checks the service unit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::step::{Result, announce, capture, cargo, on_path, run};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.21.14";
/// The last geckodriver release that builds with the pinned Rust and speaks BiDi to Firefox ESR 140+.
const GECKODRIVER_VERSION: &str = "0.37.1";
/// The cargo-deb that builds the Debian package (its 3.x line builds with the pinned Rust).
const CARGO_DEB_VERSION: &str = "3.8.0";
/// Playwright 1.65 refuses older Node.js versions.
const NODE_MAJOR_MIN: u32 = 20;

/// The build toolchain: wasm32 target, Trunk, wasm-bindgen CLI, wasm-opt (npm).
pub fn toolchain(root: &Path) -> Result<()> {
    let wasm_bindgen = wasm_bindgen_version(&read_lock(root)?)
        .ok_or("Cargo.lock has no `wasm-bindgen` package: cannot tell which CLI to install")?;
    let mut installed_something = false;

    // The server's allocator (jemalloc) is built from C sources with `make`, beside the C compiler
    // that aws-lc already needs.
    if !on_path("make") {
        apt_install(&["make"])?;
        installed_something = true;
    }

    let targets = capture(Command::new("rustup").args(["target", "list", "--installed"]))
        .ok_or("`rustup target list --installed` failed: Treff needs a rustup-managed toolchain")?;
    if !targets.lines().any(|t| t.trim() == WASM_TARGET) {
        run(
            &format!("adding the {WASM_TARGET} target (rustup, once)"),
            Command::new("rustup").args(["target", "add", WASM_TARGET]),
        )?;
        installed_something = true;
    }

    if !reports_version("trunk", TRUNK_VERSION) {
        // `--locked`: Trunk's own lock file, the dependency set its release was tested with.
        run(
            &format!("installing trunk {TRUNK_VERSION} (about 10 minutes, once)"),
            cargo(root).args(["install", "trunk", "--locked", "--version", TRUNK_VERSION]),
        )?;
        installed_something = true;
    }

    if !reports_version("wasm-bindgen", &wasm_bindgen) {
        // No `--locked`: older wasm-bindgen-cli lock files pin crates that no longer build on
        // current Rust; the CLI's version is what must match the library, not its dependencies.
        run(
            &format!("installing wasm-bindgen-cli {wasm_bindgen} (about 5 minutes, once)"),
            cargo(root).args(["install", "wasm-bindgen-cli", "--version", &wasm_bindgen]),
        )?;
        installed_something = true;
    }

    for (tool, version) in [
        ("trunk", TRUNK_VERSION),
        ("wasm-bindgen", wasm_bindgen.as_str()),
    ] {
        if !reports_version(tool, version) {
            return Err(format!(
                "`{tool} --version` does not report {version} after installing it: is \
                 ~/.cargo/bin on the PATH, before any other {tool}?"
            ));
        }
    }
    if !installed_something {
        announce(&format!(
            "toolchain present: {WASM_TARGET} target, trunk {TRUNK_VERSION}, wasm-bindgen {wasm_bindgen}"
        ));
    }
    node()?;
    npm_ci(&root.join("tools"), "the build tools (wasm-opt)")
}

/// The toolchain plus what the browser tests need: Chromium, Firefox, geckodriver, ffmpeg, openssl,
/// nginx, systemd-analyze, cargo-deb (the package the tests check), the e2e Node packages.
pub fn test_dependencies(root: &Path) -> Result<()> {
    toolchain(root)?;
    debian_packages()?;
    geckodriver(root)?;
    cargo_deb(root)?;
    nginx()?;
    npm_ci(
        &root.join("e2e"),
        "the e2e packages (Playwright, webdriverio)",
    )
}

/// geckodriver at the pinned version, from crates.io (`--locked`: the dependency set it was released
/// with). Its npm namesake would download a binary from GitHub instead.
fn geckodriver(root: &Path) -> Result<()> {
    cargo_tool(root, "geckodriver", GECKODRIVER_VERSION, "about 3 minutes")
}

/// cargo-deb at the pinned version (crates.io, `--locked`): `cargo xtask package` makes the Debian
/// package with it.
pub fn cargo_deb(root: &Path) -> Result<()> {
    cargo_tool(root, "cargo-deb", CARGO_DEB_VERSION, "about 2 minutes")
}

/// `cargo install --locked <tool> --version <version>` unless `<tool> --version` reports it.
fn cargo_tool(root: &Path, tool: &str, version: &str, takes: &str) -> Result<()> {
    if reports_version(tool, version) {
        announce(&format!("tool present: {tool} {version}"));
        return Ok(());
    }
    run(
        &format!("installing {tool} {version} ({takes}, once)"),
        cargo(root).args(["install", tool, "--locked", "--version", version]),
    )?;
    if !reports_version(tool, version) {
        return Err(format!(
            "`{tool} --version` does not report {version} after installing it: is ~/.cargo/bin on \
             the PATH, before any other {tool}?"
        ));
    }
    Ok(())
}

/// Where the reverse-proxy spec finds nginx: Debian's package unpacked under the user's cache.
pub fn nginx_bin() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache/treff-tools/nginx/usr/sbin/nginx")
}

/// Debian's nginx for the reverse-proxy spec, unpacked from its package (`apt-get download`,
/// `dpkg-deb -x`) rather than installed: installing it would start an nginx service on port 80 of
/// the developer's machine. Its libraries (OpenSSL, PCRE2, zlib) are part of every Debian with
/// openssl.
fn nginx() -> Result<()> {
    let bin = nginx_bin();
    if bin.is_file() {
        announce(&format!("nginx present: {}", bin.display()));
        return Ok(());
    }
    let dir = bin
        .ancestors()
        .nth(3)
        .ok_or("no directory for nginx")?
        .to_path_buf();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let download = || {
        Command::new("apt-get")
            .args(["download", "nginx"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success())
    };
    announce("downloading Debian's nginx package (apt-get download; unpacked, not installed)");
    if !download() {
        // A fresh machine may have no package lists yet.
        apt_update()?;
        if !download() {
            return Err("`apt-get download nginx` failed".into());
        }
    }
    let deb = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("apt-get download left no .deb")?;
    run(
        "unpacking nginx (dpkg-deb -x)",
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir),
    )?;
    let _ = std::fs::remove_file(&deb);
    if bin.is_file() {
        Ok(())
    } else {
        Err(format!("the nginx package has no {}", bin.display()))
    }
}

/// Where Debian's `janus` package puts the server binary.
pub const JANUS_BIN: &str = "/usr/bin/janus";

/// Debian's Janus, which the SFU bench measures beside Treff (skipped when present).
pub fn janus() -> Result<()> {
    if Path::new(JANUS_BIN).exists() {
        announce("bench tools present: janus");
        return Ok(());
    }
    apt_install(&["janus"])
}

fn debian_packages() -> Result<()> {
    let mut missing = Vec::new();
    // The path the Playwright config launches; Debian's package puts its wrapper there.
    if !Path::new("/usr/bin/chromium").exists() {
        missing.push("chromium");
    }
    // The Firefox the mixed-browser specs drive (`e2e/firefox.ts`).
    if !Path::new("/usr/bin/firefox-esr").exists() {
        missing.push("firefox-esr");
    }
    if !on_path("ffmpeg") {
        missing.push("ffmpeg");
    }
    // The font recordings draw names with (the server's recording output, and its tests).
    if !Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists() {
        missing.push("fonts-dejavu-core");
    }
    // The HTTPS spec makes its test CA with it.
    if !on_path("openssl") {
        missing.push("openssl");
    }
    // The TURN server the TURN test and spec start on loopback (Debian does not start its service).
    if !on_path("turnserver") {
        missing.push("coturn");
    }
    // The firewall of the network without UDP that an ICE-over-TCP spec makes (`e2e/netns.ts`).
    if !on_path("nft") && !Path::new("/usr/sbin/nft").exists() {
        missing.push("nftables");
    }
    // The namespaces, links and the slow line of the network specs (`e2e/netns.ts`).
    if !on_path("tc") && !Path::new("/usr/sbin/tc").exists() {
        missing.push("iproute2");
    }
    // `systemd-analyze verify` and `security` check the service unit (`tests/operator.rs`).
    if !on_path("systemd-analyze") && !Path::new("/usr/bin/systemd-analyze").exists() {
        missing.push("systemd");
    }
    if missing.is_empty() {
        announce(
            "test tools present: chromium, firefox-esr, ffmpeg, fonts-dejavu-core, openssl, coturn, \
             nftables, iproute2, systemd",
        );
        return Ok(());
    }
    apt_install(&missing)
}

/// Installs Debian packages with apt-get (through sudo unless root).
fn apt_install(missing: &[&str]) -> Result<()> {
    if !on_path("apt-get") {
        return Err(format!(
            "missing {}, and there is no apt-get to install them: install them by hand",
            missing.join(", ")
        ));
    }
    apt_update()?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(missing);
    let (mut apt, sudo_note) = apt_get();
    run(
        &format!("installing {} (apt{sudo_note}, once)", missing.join(", ")),
        apt.args(&install),
    )
}

/// Fetches the package lists (a fresh machine may have none).
fn apt_update() -> Result<()> {
    let (mut apt, sudo_note) = apt_get();
    run(
        &format!("updating the apt package lists{sudo_note}"),
        apt.arg("update"),
    )
}

/// `apt-get` as root (through sudo unless already root), non-interactive, and how to say so.
fn apt_get() -> (Command, &'static str) {
    let as_root = capture(Command::new("id").arg("-u")).as_deref() == Some("0");
    let mut command = if as_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.env("DEBIAN_FRONTEND", "noninteractive");
    (command, if as_root { "" } else { " with sudo" })
}

/// Node.js with npm, new enough for Playwright (and for binaryen's wasm-opt, which is JS and wasm).
fn node() -> Result<()> {
    let node = capture(Command::new("node").arg("--version"));
    let major = node.as_deref().and_then(|v| {
        v.trim_start_matches('v')
            .split('.')
            .next()?
            .parse::<u32>()
            .ok()
    });
    if major.is_none_or(|m| m < NODE_MAJOR_MIN) || !on_path("npm") {
        return Err(format!(
            "building and testing Treff needs Node.js {NODE_MAJOR_MIN} or newer with npm (found: {}); \
             Debian bookworm's own nodejs is too old, install a newer one (e.g. NodeSource)",
            node.as_deref().unwrap_or("no node")
        ));
    }
    Ok(())
}

/// `npm ci` in `dir` unless its `node_modules` is at least as new as its lock file. Without install
/// scripts: none of our packages needs one, and webdriverio's driver packages (`geckodriver`,
/// `edgedriver`) would download binaries from GitHub in theirs (we start our own geckodriver).
fn npm_ci(dir: &Path, what: &str) -> Result<()> {
    let lock = modified(&dir.join("package-lock.json"))
        .ok_or_else(|| format!("{} is missing", dir.join("package-lock.json").display()))?;
    // npm writes this file at the end of every install: older than the lock file means stale.
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    if installed.is_some_and(|at| at >= lock) {
        announce(&format!("{what}: npm packages present"));
        return Ok(());
    }
    run(
        &format!("installing {what} (npm ci)"),
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            // Belt and braces: Playwright must use Debian's Chromium, never download its own.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .current_dir(dir),
    )
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// Whether `<tool> --version` runs and its second word is `version` (`trunk 0.21.14`).
fn reports_version(tool: &str, version: &str) -> bool {
    capture(Command::new(tool).arg("--version"))
        .is_some_and(|out| out.split_whitespace().nth(1) == Some(version))
}

fn read_lock(root: &Path) -> Result<String> {
    let path = root.join("Cargo.lock");
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The version of the `wasm-bindgen` package in a Cargo.lock. The format is stable and flat
/// (`[[package]]`, then `name = "…"` and `version = "…"` lines), so a TOML parser is not worth
/// compiling on every xtask run.
fn wasm_bindgen_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines().map(str::trim);
    lines.find(|line| *line == r#"name = "wasm-bindgen""#)?;
    let version = lines.next()?.strip_prefix(r#"version = ""#)?;
    Some(version.strip_suffix('"')?.to_string())
}

#[cfg(test)]
mod tests {
    use super::wasm_bindgen_version;

    #[test]
    fn finds_the_wasm_bindgen_version_and_not_its_namesakes() {
        let lock = r#"
[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(wasm_bindgen_version(lock).as_deref(), Some("0.2.130"));
    }

    #[test]
    fn no_wasm_bindgen_means_none() {
        assert_eq!(
            wasm_bindgen_version("[[package]]\nname = \"serde\"\n"),
            None
        );
    }
}
