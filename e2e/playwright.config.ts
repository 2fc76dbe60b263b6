/**
 * Playwright configuration of Treff's end-to-end suite: Debian's Chromium with a fake camera and
 * microphone, one worker, against one Treff server started for the run.
 */
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import {
  ATTACHMENT_DIR,
  CHROMIUM,
  CHROMIUM_ARGS,
  HTTP_PORT,
  MEDIA_PORT,
  METRICS_PORT,
  ORIGIN,
  OUTPUT_DIR,
  RECORDINGS_DIR,
  SERVER_CONFIG,
  SERVER_LOG,
  STATE_DIR,
  TREFF_BIN,
  TREFF_UI_DIR,
} from './server';

/** Single-quotes a string for `sh -c`. */
const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// A missing binary or UI would otherwise only show as "timed out waiting for config.webServer".
const preflight = [
  `test -x ${sh(TREFF_BIN)} || { echo "no server binary at ${TREFF_BIN}: run cargo build -p treff" >&2; exit 1; }`,
  `test -f ${sh(path.join(TREFF_UI_DIR, 'index.html'))} || { echo "no built UI in ${TREFF_UI_DIR}: run cargo xtask build-ui" >&2; exit 1; }`,
  `mkdir -p ${sh(OUTPUT_DIR)}`,
  // Recordings of an earlier run would otherwise be found by this run's specs (the server makes it anew).
  `rm -rf ${sh(RECORDINGS_DIR)} ${sh(STATE_DIR)}`,
].join(' && ');

// No --ui-dir: the suite's server serves the UI it carries (a debug build reads the dist/ next to the
// sources it was built from; a release binary has it embedded). Specs with a server of their own
// (own-server.ts) pass --ui-dir, the operator's override.
const serverCommand = [
  'exec',
  sh(TREFF_BIN),
  `--http 127.0.0.1:${HTTP_PORT}`,
  `--media-bind 127.0.0.1:${MEDIA_PORT}`,
  `--media-tcp-bind 127.0.0.1:${MEDIA_PORT}`,
  `--metrics 127.0.0.1:${METRICS_PORT}`,
  `--config ${sh(SERVER_CONFIG)}`,
  `--attachment-dir ${sh(ATTACHMENT_DIR)}`,
  `--recordings-dir ${sh(RECORDINGS_DIR)}`,
  `--state-dir ${sh(STATE_DIR)}`,
].join(' ');

export default defineConfig({
  testDir: './specs',
  outputDir: OUTPUT_DIR,
  // The whole server log, once more at the end: no IP address, no name or text of any spec.
  globalTeardown: './teardown.ts',
  // Two cores, and every participant encodes and decodes real video: one browser at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: ORIGIN,
    // A missing element fails in seconds with its own message, not as the whole test's timeout.
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    permissions: ['camera', 'microphone'],
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: CHROMIUM,
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
  webServer: {
    // Through `sh` so that the server's whole output lands in a file the fixtures can read
    // (specs check it for personal data); `exec` so Playwright stops the server itself.
    command: `${preflight} && ${serverCommand} > ${sh(SERVER_LOG)} 2>&1`,
    // Plain text in the log: colour codes would split what specs search for.
    env: { NO_COLOR: '1' },
    url: `${ORIGIN}/`,
    reuseExistingServer: false,
    timeout: 30_000,
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
