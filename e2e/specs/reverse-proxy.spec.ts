/**
 * Treff behind nginx with the site file the README shows (`examples/nginx/treff.conf`): pages, the API
 * and the signalling WebSocket go through the proxy over HTTPS and WSS, media goes straight to Treff's
 * UDP port, and the whole two-participant call works; nginx adds HSTS, its HTTP port only redirects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { expect, test } from '../fixtures';
import { Nginx } from '../nginx';
import { OwnServer } from '../own-server';
import { CHROMIUM, CHROMIUM_ARGS } from '../server';
import { headerOf, makeTestCa } from '../test-ca';
import { twoInACall } from '../two-participants';

test('a call through nginx configured by the README\'s site file', async ({ guard }) => {
  test.setTimeout(150_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-nginx-'));
  const ca = makeTestCa(dir);
  // As the site file says: Treff on plain HTTP on localhost, believing the proxy's X-Forwarded-For.
  // Everything started is stopped in `finally`, whatever failed to start after it.
  let server: OwnServer | undefined;
  let nginx: Nginx | undefined;
  let browser: Browser | undefined;
  try {
    const own = (server = await OwnServer.start({ args: ['--trusted-proxy', '127.0.0.1'] }));
    const proxy = (nginx = await Nginx.start(dir, own.port + 2, own.port, { cert: ca.chain, key: ca.key }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${ca.spki}`],
    });
    const [alice, bob] = await own.participantsVia(proxy.origin, browser, guard, 'Alice', 'Bob');
    const sockets: string[] = [];

    for (const p of [alice, bob]) {
      p.page.on('websocket', (ws) => sockets.push(ws.url()));
    }

    await twoInACall(alice, bob);

    await test.step('everything went through the proxy: HTTPS pages with HSTS on every answer, WSS signalling', async () => {
      for (const p of [alice, bob]) expect(p.page.url().startsWith(`${proxy.origin}/`)).toBe(true);
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      for (const url of sockets) expect(url.startsWith(`wss://localhost:${proxy.port}/ws`)).toBe(true);
      // Asked from the test: Playwright's view of a response's headers leaves some out.
      const wasm = await alice.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('.wasm')));
      for (const url of [`${proxy.origin}/`, alice.page.url(), wasm ?? `${proxy.origin}/missing.wasm`, `${proxy.origin}/privacy`, `${proxy.origin}/no-such-page`]) {
        expect(await headerOf(ca, url, 'strict-transport-security'), url).toEqual({ status: 200, value: 'max-age=31536000' });
      }
    });

    await test.step('nginx\'s plain HTTP only redirects', async () => {
      const answer = await fetch(`http://localhost:${proxy.httpPort}/privacy`, { redirect: 'manual' });
      expect(answer.status).toBe(308);
      expect(answer.headers.get('location')).toBe(`https://localhost/privacy`);
    });
    expect(proxy.errors(), 'nginx logged no error').not.toMatch(/\[(error|crit|alert|emerg)\]/);
  } finally {
    await browser?.close();
    await nginx?.stop();
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
