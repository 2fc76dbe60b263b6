/**
 * The `test` every spec imports. On top of Playwright's it adds:
 *
 * - `guard` (automatic): every browser context of the test, the default one and each participant's,
 *   is instrumented (see `instrument.ts`) and watched; the test fails if any page hit a
 *   Content-Security-Policy violation, requested any origin other than the server's, or configured a
 *   STUN/TURN server (R9: no third party, by construction and by test).
 * - `participants(...names)`: one participant per name, each in a browser context of its own (a
 *   separate "browser" with its own storage, fake camera and microphone), closed after the test.
 * - `serverLog`: the server's output, to check it holds no personal data. Every name a participant
 *   gets and every secret a spec checks is also remembered for the run's teardown (`teardown.ts`),
 *   which checks the whole log once more at the end.
 */
import fs from 'node:fs';
import { test as base, expect, type BrowserContext } from '@playwright/test';
import { instrument, type Report } from './instrument';
import { Participant } from './participant';
import { isOwnOrigin, ORIGIN, RUN_SECRETS, SERVER_LOG } from './server';

export { expect };

/** Collects what no page may do, from every context it watches. */
export class Guard {
  readonly cspViolations: string[] = [];
  readonly foreignRequests: string[] = [];
  /** The ICE server URLs of a TURN server the spec itself runs for its server (`allowIceServers`). */
  private readonly ownIceServers = new Set<string>();
  /** The `iceServers` every peer connection got, as the pages reported them. */
  readonly iceServers: RTCIceServer[][] = [];

  /** What the instrumentation reports from a page (`instrument.ts`). */
  readonly report: Report = (kind, detail) => {
    if (kind === 'csp') {
      this.cspViolations.push(detail);
      return;
    }
    const servers = JSON.parse(detail) as RTCIceServer[];
    this.iceServers.push(servers);
    const urls = servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
    if (urls.length === 0 || urls.some((u) => !this.ownIceServers.has(u))) {
      this.foreignRequests.push(`RTCPeerConnection with ICE servers ${detail}`);
    }
  };

  /** Accepts ICE servers with these URLs: a TURN server the spec started for its own server. */
  allowIceServers(urls: string[]): void {
    for (const url of urls) this.ownIceServers.add(url);
  }

  async watch(context: BrowserContext): Promise<void> {
    await context.exposeBinding('__treffReport', (_source, kind: Parameters<Report>[0], detail: string) =>
      this.report(kind, detail),
    );
    await context.addInitScript(instrument);
    context.on('request', (request) => this.checkUrl('request', request.url()));
    // WebSockets are not `request` events: the signalling socket is checked separately.
    context.on('page', (page) => page.on('websocket', (ws) => this.checkUrl('websocket', ws.url())));
    // Some violations (e.g. of `frame-ancestors`) reach the console only, not the page's event.
    context.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) this.cspViolations.push(`console: ${message.text()}`);
    });
  }

  checkUrl(kind: string, url: string): void {
    if (!isOwnOrigin(url)) this.foreignRequests.push(`${kind} to ${url}`);
  }

  verify(): void {
    // One assertion for both lists, so a failure shows everything that went wrong.
    expect(
      { cspViolations: this.cspViolations, foreignRequests: this.foreignRequests },
      `no CSP violation and no request to an origin other than ${ORIGIN}`,
    ).toEqual({ cspViolations: [], foreignRequests: [] });
  }
}

/** Adds `secrets` to the run's list, which the teardown checks against the whole server log. */
export function rememberSecrets(secrets: string[]): void {
  fs.appendFileSync(RUN_SECRETS, secrets.map((s) => `${s.replace(/\n/g, ' ')}\n`).join(''));
}

/** The server's output since the start of the test (the log file is shared by the whole run). */
export class ServerLog {
  private readonly start = ServerLog.size();

  private static size(): number {
    return fs.existsSync(SERVER_LOG) ? fs.statSync(SERVER_LOG).size : 0;
  }

  /** Everything the server wrote since this test started. */
  sinceTestStart(): string {
    if (!fs.existsSync(SERVER_LOG)) return '';
    return fs.readFileSync(SERVER_LOG).subarray(this.start).toString('utf8');
  }

  /**
   * Fails unless the server wrote none of `secrets` (names, chat texts, file names) since the test
   * started, neither as they are nor percent-encoded (as file names travel in a header).
   */
  expectNoneOf(secrets: string[]): void {
    rememberSecrets(secrets);
    const log = this.sinceTestStart();
    for (const secret of secrets) {
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        expect(log, `the server log holds no "${form}"`).not.toContain(form);
      }
    }
  }

  /** Everything the server wrote in this run. */
  all(): string {
    return fs.existsSync(SERVER_LOG) ? fs.readFileSync(SERVER_LOG, 'utf8') : '';
  }
}

type Fixtures = {
  guard: Guard;
  participants: (...names: string[]) => Promise<Participant[]>;
  serverLog: ServerLog;
};

export const test = base.extend<Fixtures>({
  guard: [
    async ({}, use) => {
      const guard = new Guard();
      await use(guard);
      guard.verify();
    },
    { auto: true },
  ],

  // The default context (behind `page`) is watched like every participant's.
  context: async ({ context, guard }, use) => {
    await guard.watch(context);
    await use(context);
  },

  participants: async ({ browser, guard }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (...names) => {
      const created: Participant[] = [];
      rememberSecrets(names);
      for (const name of names) {
        const context = await browser.newContext({ baseURL: ORIGIN, permissions: ['camera', 'microphone'] });
        contexts.push(context);
        await guard.watch(context);
        created.push(new Participant(name, context, await context.newPage()));
      }
      return created;
    });
    await Promise.all(contexts.map((c) => c.close()));
  },

  serverLog: async ({}, use) => {
    await use(new ServerLog());
  },
});
