/**
 * Firefox participants: Debian's `firefox-esr` with a fake camera and microphone, driven over WebDriver
 * BiDi by webdriverio through a `geckodriver` built from crates.io (`cargo xtask test` installs both).
 * Playwright's own Firefox is a patched build downloaded from outside the allowed registries, so specs
 * that mix browsers put a Chromium participant (Playwright) beside a Firefox one (this module).
 *
 * A Firefox participant is watched like a Chromium one (`fixtures.ts`): the same instrumentation
 * (`instrument.ts`) runs before the app's scripts, its reports and every request of the page go to the
 * test's guard. It speaks the same test ids as the page objects; only the driver differs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from '@playwright/test';
import { remote } from 'webdriverio';
import { canvasDisplayMedia } from './display';
import { type Guard, rememberSecrets, test as base } from './fixtures';
import { instrument, type Report } from './instrument';
import type { InPage } from './media';
import { OwnServer } from './own-server';
import type { Participant } from './participant';
import { OUTPUT_DIR } from './server';

/** Debian's Firefox ESR (`cargo xtask test` installs it with apt). */
export const FIREFOX = process.env.TREFF_E2E_FIREFOX ?? '/usr/bin/firefox-esr';

/** geckodriver where `cargo install` leaves it (`cargo xtask test` installs the pinned version). */
export const GECKODRIVER =
  process.env.TREFF_E2E_GECKODRIVER ?? path.join(process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo'), 'bin', 'geckodriver');

/** How long a WebDriver session (a fresh Firefox with a fresh profile) may take to start on a busy CI. */
const START_TIMEOUT_MS = 60_000;
/** How long an element or a state may take to appear, as Playwright's `expect` timeout in the config. */
const WAIT_MS = 10_000;

/**
 * The preferences that make Firefox a test participant, as Chromium's flags do (`CHROMIUM_ARGS`).
 * geckodriver adds its own set (no updates, no telemetry, no first-run pages).
 */
const PREFS: Record<string, boolean | number | string> = {
  // A fake camera (a moving colour pattern) and microphone (a tone), granted without a prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // The server announces a loopback ICE candidate in tests; Firefox ignores those otherwise, and
  // would hide its own host address behind an mDNS name nobody here resolves.
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Remote video plays without a click.
  'media.autoplay.default': 0,
  // Straight to the server, never through a proxy from the environment.
  'network.proxy.type': 0,
  // No traffic of the browser's own, so the only network activity is the app's.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.update.enabled': false,
  'extensions.update.enabled': false,
};

/** A running geckodriver: it serves one session, so every Firefox participant has its own. */
class Geckodriver {
  private constructor(
    readonly process: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts geckodriver on a free port (and a free BiDi port) and waits until it listens. */
  static async start(log: string): Promise<Geckodriver> {
    if (!fs.existsSync(GECKODRIVER)) {
      throw new Error(`no geckodriver at ${GECKODRIVER}: run cargo xtask test (it installs it), or set TREFF_E2E_GECKODRIVER`);
    }
    const child = spawn(GECKODRIVER, ['--port', '0', '--websocket-port', '0', '--binary', FIREFOX], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = fs.createWriteStream(log);
    child.stderr?.pipe(out);
    const port = await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`geckodriver did not listen within 10 s:\n${seen}`)), 10_000);
      child.once('exit', (code) => reject(new Error(`geckodriver exited (${code}):\n${seen}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        out.write(chunk);
        seen += chunk.toString();
        // "… geckodriver INFO Listening on 127.0.0.1:41234"
        const found = /Listening on [^\s]*:(\d+)/.exec(seen);
        if (found) {
          clearTimeout(timer);
          resolve(Number(found[1]));
        }
      });
    });
    return new Geckodriver(child, port);
  }

  stop(): void {
    this.process.kill('SIGTERM');
  }
}

/** One Firefox participant: its own Firefox (own profile, own fake devices) and its page. */
export class FirefoxParticipant implements InPage {
  private constructor(
    readonly name: string,
    readonly browser: WebdriverIO.Browser,
    private readonly driver: Geckodriver,
    private readonly guard: Guard,
    private readonly origin: string,
  ) {}

  /** Starts Firefox for `name` on the server at `origin`, instrumented and watched by `guard`. */
  static async launch(name: string, guard: Guard, origin: string): Promise<FirefoxParticipant> {
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    const driver = await Geckodriver.start(path.join(OUTPUT_DIR, `geckodriver-${name}.log`));
    try {
      const browser = await remote({
        hostname: '127.0.0.1',
        port: driver.port,
        logLevel: 'warn',
        connectionRetryTimeout: START_TIMEOUT_MS,
        capabilities: {
          browserName: 'firefox',
          // WebDriver BiDi: scripts before the app's own, and the page's requests as events.
          webSocketUrl: true,
          'moz:firefoxOptions': { binary: FIREFOX, args: ['-headless'], prefs: PREFS },
        },
      });
      const participant = new FirefoxParticipant(name, browser, driver, guard, origin);
      await participant.watch();
      return participant;
    } catch (e) {
      driver.stop();
      throw e;
    }
  }

  /** The guard's watch (`Guard.watch`), over BiDi: instrumentation, its reports, every request. */
  private async watch(): Promise<void> {
    const reports = await this.browser.addInitScript((emit: (report: [Parameters<Report>[0], string]) => void) => {
      window.__treffReport = (kind, detail) => emit([kind, detail]);
    });
    reports.on('data', ([kind, detail]) => this.guard.report(kind, detail));
    await this.browser.addInitScript(instrument);
    await this.browser.sessionSubscribe({ events: ['network.beforeRequestSent'] });
    this.browser.on('network.beforeRequestSent', (event) => this.guard.checkUrl('request', event.request.url));
  }

  /** Replaces the screen picker with a canvas stream (`display.ts`) in pages opened from now on. */
  async stubDisplayMedia(): Promise<void> {
    await this.browser.addInitScript(canvasDisplayMedia);
  }

  /** Runs `fn` in the page (see `InPage`). */
  evaluate<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.browser.execute(fn) as Promise<R>;
  }

  /** The element with test id `id` (the page objects' `getByTestId`), within `scope` if given. */
  private byTestId(id: string, scope = ''): ReturnType<WebdriverIO.Browser['$']> {
    return this.browser.$(`${scope} [data-testid="${id}"]`.trim());
  }

  /** Clicks a toggle unless it is already as wanted, then waits until it is (`setPressed`). */
  private async setPressed(id: string, on: boolean): Promise<void> {
    const toggle = this.byTestId(id);
    await toggle.waitForDisplayed({ timeout: WAIT_MS });
    const wanted = String(on);
    if ((await toggle.getAttribute('aria-pressed')) !== wanted) await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-pressed'), { message: `${id} aria-pressed=${wanted}` }).toBe(wanted);
  }

  /** Opens the meeting link, fills in the pre-join page, joins and waits for the own tile. */
  async join(meetingId: string, { mic = false, cam = false }: { mic?: boolean; cam?: boolean } = {}): Promise<void> {
    await this.browser.url(`${this.origin}/m/${meetingId}`);
    const name = this.byTestId('name-input');
    await name.waitForDisplayed({ timeout: WAIT_MS });
    await name.setValue(this.name);
    await this.setPressed('prejoin-mic', mic);
    await this.setPressed('prejoin-cam', cam);
    await this.byTestId('join-button').click();
    await this.selfTile().waitForDisplayed({ timeout: WAIT_MS });
  }

  private selfTile(): ReturnType<WebdriverIO.Browser['$']> {
    return this.browser.$('[data-testid="tile"][data-self="true"]');
  }

  /** This participant's id, as the server assigned it. */
  async selfId(): Promise<string> {
    const id = await this.selfTile().getAttribute('data-participant-id');
    if (!id) throw new Error('the own tile has no data-participant-id');
    return id;
  }

  /** Attribute `name` of participant `id`'s tile (`null` while there is no such tile). */
  async tileAttribute(id: string, name: string): Promise<string | null> {
    const tile = this.browser.$(`[data-testid="tile"][data-participant-id="${id}"]`);
    return (await tile.isExisting()) ? tile.getAttribute(name) : null;
  }

  /** The names on all tiles, sorted. */
  async names(): Promise<string[]> {
    return this.evaluate(() =>
      [...document.querySelectorAll('[data-testid="tile"] [data-testid="tile-name"]')]
        .map((n) => (n.textContent ?? '').trim())
        .sort(),
    );
  }

  async setCam(on: boolean): Promise<void> {
    await this.setPressed('toggle-cam', on);
  }

  async setSharing(on: boolean): Promise<void> {
    await this.setPressed('toggle-screen', on);
  }

  /** Opens the chat panel and sends `text` to everyone with Enter. */
  async sendChat(text: string): Promise<void> {
    if (!(await this.byTestId('chat-panel').isDisplayed())) await this.byTestId('chat-toggle').click();
    const input = this.byTestId('chat-input');
    await input.waitForDisplayed({ timeout: WAIT_MS });
    await input.setValue(text);
    await this.browser.keys('Enter');
  }

  /** The texts of the chat messages the page shows (the panel need not be open). */
  async chatTexts(): Promise<string[]> {
    return this.evaluate(() =>
      [...document.querySelectorAll('[data-testid="chat-message"] [data-testid="chat-message-text"]')].map((m) =>
        (m.textContent ?? '').trim(),
      ),
    );
  }

  /** `videoWidth` of every `<video>` under `selector`: more than 0 once a picture shows. */
  async videoWidths(selector: string): Promise<number[]> {
    return this.browser.execute(
      (s: string) => [...document.querySelectorAll(s)].map((v) => (v as HTMLVideoElement).videoWidth),
      selector,
    );
  }

  /** Ends the session, Firefox and its geckodriver. */
  async close(): Promise<void> {
    try {
      await this.browser.deleteSession();
    } finally {
      this.driver.stop();
    }
  }
}

/**
 * This machine's first non-loopback IPv4 address. Firefox pairs its candidates only with a server
 * candidate on an address it gathered itself, and it gathers none on loopback (the
 * `media.peerconnection.ice.loopback` preference did not change that in Firefox ESR 153), so a meeting
 * with Firefox needs a server that announces an address of a real interface.
 */
export function interfaceAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address for Firefox to reach the SFU on');
}

/** Participants in Chromium and in Firefox, on one server that both browsers reach (see `interfaceAddress`). */
export interface MixedMeeting {
  chromium(...names: string[]): Promise<Participant[]>;
  firefox(...names: string[]): Promise<FirefoxParticipant[]>;
}

/**
 * The `test` of specs that mix browsers: a `mixed` fixture with a server of the spec's own whose
 * media sockets listen on every interface and announce {@link interfaceAddress}; every participant
 * is watched by the guard and closed after the test, then the server goes.
 */
export const test = base.extend<{ mixed: MixedMeeting }>({
  mixed: async ({ browser, guard }, use) => {
    const server = await OwnServer.start({ mediaHost: '0.0.0.0', args: ['--public-ip', interfaceAddress()] });
    const foxes: FirefoxParticipant[] = [];
    try {
      await use({
        chromium: (...names) => {
          rememberSecrets(names);
          return server.participants(browser, guard, ...names);
        },
        firefox: async (...names) => {
          rememberSecrets(names);
          const created: FirefoxParticipant[] = [];
          for (const name of names) {
            const fox = await FirefoxParticipant.launch(name, guard, server.origin);
            foxes.push(fox);
            created.push(fox);
          }
          return created;
        },
      });
    } finally {
      await Promise.all([...foxes.map((f) => f.close()), ...browser.contexts().map((c) => c.close())]);
      await server.dispose();
    }
  },
});
