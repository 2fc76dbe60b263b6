/**
 * Treff behind nginx with the site file the README shows (`examples/nginx/treff.conf`): pages, the API
 * and the signalling WebSocket go through the proxy over HTTPS and WSS, media goes straight to Treff's
 * UDP port, and the whole two-participant call works; nginx adds HSTS, its HTTP port only redirects.
 */
import { expect, test } from '../fixtures';
import { Nginx } from '../nginx';
import { OwnServer } from '../own-server';
import { expectHstsOnEveryAnswer, socketsOf, withTrustingChromium } from '../test-ca';
import { twoInACall } from '../two-participants';

test('a call through nginx configured by the README\'s site file', async ({ guard }) => {
  test.setTimeout(150_000);
  await withTrustingChromium(async (ca, dir, browser) => {
    // As the site file says: Treff on plain HTTP on localhost, believing the proxy's X-Forwarded-For.
    const own = await OwnServer.start({ args: ['--trusted-proxy', '127.0.0.1'] });
    let nginx: Nginx | undefined;
    try {
      const proxy = (nginx = await Nginx.start(dir, own.port + 2, own.port, { cert: ca.chain, key: ca.key }));
      const [alice, bob] = await own.participantsVia(proxy.origin, browser, guard, 'Alice', 'Bob');
      const sockets = socketsOf([alice.page, bob.page]);
      await twoInACall(alice, bob);

      await test.step('everything went through the proxy: HTTPS pages with HSTS on every answer, WSS signalling', async () => {
        for (const p of [alice, bob]) expect(p.page.url().startsWith(`${proxy.origin}/`)).toBe(true);
        expect(sockets.length).toBeGreaterThanOrEqual(2);
        for (const url of sockets) expect(url.startsWith(`wss://localhost:${proxy.port}/ws`)).toBe(true);
        await expectHstsOnEveryAnswer(ca, proxy.origin, alice.page);
      });

      await test.step('nginx\'s plain HTTP only redirects', async () => {
        const answer = await fetch(`http://localhost:${proxy.httpPort}/privacy`, { redirect: 'manual' });
        expect(answer.status).toBe(308);
        expect(answer.headers.get('location')).toBe(`https://localhost/privacy`);
      });
      expect(proxy.errors(), 'nginx logged no error').not.toMatch(/\[(error|crit|alert|emerg)\]/);
    } finally {
      await Promise.all(browser.contexts().map((c) => c.close()));
      await nginx?.stop();
      await own.dispose();
    }
  });
});
