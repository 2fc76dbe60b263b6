/**
 * The Treff server under test: where it runs, which binary and UI it serves, where its log goes.
 *
 * One module for these facts, because the Playwright config starts the server and the fixtures
 * check requests against its origin and read its log: they must agree.
 */
import os from 'node:os';
import path from 'node:path';

/** Fixed ports, far from the defaults (8080/10000), so a developer's running Treff does not clash. */
export const HTTP_PORT = Number(process.env.TREFF_E2E_HTTP_PORT ?? 18080);
export const MEDIA_PORT = Number(process.env.TREFF_E2E_MEDIA_PORT ?? 18000);
/** The operator's listener (`/metrics`, `/healthz`, `/readyz`); a spec's own server takes the next port. */
export const METRICS_PORT = Number(process.env.TREFF_E2E_METRICS_PORT ?? 18090);

/** The run's server: the only origin tests talk to besides a spec's own server (R9: no third party, by test). */
export const ORIGIN = `http://127.0.0.1:${HTTP_PORT}`;

/** The origins of the servers under test: the run's, and a spec's own while it runs (`own-server.ts`). */
export const SERVER_ORIGINS = new Set([ORIGIN]);

/**
 * Whether a page's request to `url` stays with a server under test: its own origin (a WebSocket
 * counts as the same origin, as CSP `connect-src 'self'` agrees), or data the page made itself
 * (`data:`, `blob:`).
 */
export function isOwnOrigin(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') return true;
  const scheme = { 'ws:': 'http:', 'wss:': 'https:' }[parsed.protocol] ?? parsed.protocol;
  return SERVER_ORIGINS.has(`${scheme}//${parsed.host}`);
}

/**
 * The server binary and the built UI. `cargo xtask test` sets both; the defaults are what a plain
 * `cargo build -p treff` and `trunk build` leave behind, so `npx playwright test` works after those.
 */
export const TREFF_BIN = path.resolve(process.env.TREFF_BIN ?? path.join(__dirname, '..', 'target', 'debug', 'treff'));
export const TREFF_UI_DIR = path.resolve(process.env.TREFF_UI_DIR ?? path.join(__dirname, '..', 'dist'));

/** Playwright's output directory; it is emptied before the server starts, so the log is per run. */
export const OUTPUT_DIR = path.join(__dirname, 'test-results');

/** Everything the server writes (stdout and stderr): specs check it never holds personal data. */
export const SERVER_LOG = path.join(OUTPUT_DIR, 'server.log');

/**
 * The personal data specs handed the server in this run (names, chat texts, file names), one per line:
 * the fixtures append them, and the run's teardown checks the whole server log for every one.
 */
export const RUN_SECRETS = path.join(OUTPUT_DIR, 'run-secrets.txt');

/** Debian's Chromium (never Playwright's download, which would come from outside the allowed registries). */
export const CHROMIUM = process.env.TREFF_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** nginx for the reverse-proxy spec: `cargo xtask test` unpacks Debian's package and says where. */
export const NGINX = process.env.TREFF_E2E_NGINX ?? path.join(os.homedir(), '.cache/treff-tools/nginx/usr/sbin/nginx');

/** Chromium's flags in every spec (the config's project, and a spec that launches its own browser). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  '--no-first-run',
  // No traffic of the browser's own, so the only network activity is the app's.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // A fake camera and microphone, granted without a prompt.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // The server announces a loopback ICE candidate in tests; Chromium ignores those otherwise.
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * The server's attachment directory for the run: outside Playwright's output directory (which
 * Playwright empties at start), so specs can check that a conference's files are gone after its end.
 */
export const ATTACHMENT_DIR = path.join(os.tmpdir(), `treff-e2e-attachments-${HTTP_PORT}`);

/**
 * The server's recordings directory for the run, beside the attachments for the same reason: specs
 * check what a recording left on disk. Emptied before the server starts, so a run sees only its own.
 */
export const RECORDINGS_DIR = path.join(os.tmpdir(), `treff-e2e-recordings-${HTTP_PORT}`);

/**
 * The server's state directory for the run (admin socket and token, held logs, audit log): specs
 * act as the operator through `treff admin --state-dir` on it. Emptied before the server starts.
 */
export const STATE_DIR = path.join(os.tmpdir(), `treff-e2e-state-${HTTP_PORT}`);

/**
 * The server's configuration file for the run: a short grace period, so specs can wait it out, and
 * a `[privacy]` table of its own, so specs see the configured details, not the shipped example's.
 */
export const SERVER_CONFIG = path.join(__dirname, 'treff.e2e.toml');

/** What {@link SERVER_CONFIG}'s `[privacy]` table says. */
export const NOTICE = {
  version: 'e2e-7',
  controller: 'Treff-Testverein Beispielstadt e.V.',
  dpo: 'Datenschutzprüfung Muster GmbH',
  authority: 'Aufsicht für den Testbetrieb',
};

/** `empty_room_grace_ms` in {@link SERVER_CONFIG}. */
export const GRACE_MS = 2000;

/** `resume_window_ms` in {@link SERVER_CONFIG}. */
export const RESUME_WINDOW_MS = 8000;
