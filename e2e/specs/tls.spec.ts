/**
 * HTTPS and WSS served by the binary itself (issue 13): the whole two-participant call over
 * `https://`, with a test CA the spec makes and the browser trusts by a launch flag; the page is a
 * secure context, signalling runs over `wss://`, every answer carries HSTS, and plain HTTP only
 * redirects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { expect, test } from '../fixtures';
import { OwnServer } from '../own-server';
import { CHROMIUM, CHROMIUM_ARGS } from '../server';
import { headerOf, makeTestCa } from '../test-ca';
import { twoInACall } from '../two-participants';

test('two participants over HTTPS and WSS; HSTS on every answer; plain HTTP only redirects', async ({ guard }) => {
  test.setTimeout(150_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-ca-'));
  const ca = makeTestCa(dir);
  // Everything started is stopped in `finally`, whatever failed to start after it.
  let server: OwnServer | undefined;
  let browser: Browser | undefined;
  try {
    const own = (server = await OwnServer.start({ tls: { cert: ca.chain, key: ca.key } }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${ca.spki}`],
    });
    const [alice, bob] = await own.participants(browser, guard, 'Alice', 'Bob');
    const sockets: string[] = [];

    for (const p of [alice, bob]) {
      p.page.on('websocket', (ws) => sockets.push(ws.url()));
    }

    await twoInACall(alice, bob);

    await test.step('the pages were secure contexts, signalling ran over WSS, HSTS on every answer', async () => {
      for (const p of [alice, bob]) {
        expect(p.page.url()).toMatch(/^https:\/\/localhost:\d+\//);
        expect(await p.page.evaluate(() => window.isSecureContext)).toBe(true);
      }
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      for (const url of sockets) expect(url).toMatch(/^wss:\/\/localhost:\d+\/ws/);
      // Asked from the test: Playwright's view of a response's headers leaves some out.
      const wasm = await alice.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('.wasm')));
      for (const url of [`${own.origin}/`, alice.page.url(), wasm ?? `${own.origin}/missing.wasm`, `${own.origin}/privacy`, `${own.origin}/no-such-page`]) {
        expect(await headerOf(ca, url, 'strict-transport-security'), url).toEqual({ status: 200, value: 'max-age=31536000' });
      }
    });

    await test.step('plain HTTP answers nothing but a redirect to the same path over HTTPS', async () => {
      const httpPort = own.port + 1;
      // From the test, not a page: a page's request to another origin would be a third party.
      const answer = await fetch(`http://localhost:${httpPort}/privacy?lang=en`, { redirect: 'manual' });
      expect(answer.status).toBe(308);
      expect(answer.headers.get('location')).toBe(`${own.origin}/privacy?lang=en`);
      expect(await answer.text()).not.toContain('<html');
    });
  } finally {
    await browser?.close();
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
