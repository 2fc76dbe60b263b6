/**
 * HTTPS and WSS served by the binary itself (issue 13): the whole two-participant call over
 * `https://`, with a test CA the spec makes and the browser trusts by a launch flag; the page is a
 * secure context, signalling runs over `wss://`, every answer carries HSTS, and plain HTTP only
 * redirects.
 */
import { expect, test } from '../fixtures';
import { OwnServer } from '../own-server';
import { expectHstsOnEveryAnswer, socketsOf, withTrustingChromium } from '../test-ca';
import { twoInACall } from '../two-participants';

test('two participants over HTTPS and WSS; HSTS on every answer; plain HTTP only redirects', async ({ guard }) => {
  test.setTimeout(150_000);
  await withTrustingChromium(async (ca, _dir, browser) => {
    const tls = { cert: ca.chain, key: ca.key };
    await OwnServer.with(browser, guard, { tls }, ['Alice', 'Bob'], async ([alice, bob], own) => {
      const sockets = socketsOf([alice.page, bob.page]);
      await twoInACall(alice, bob);

      await test.step('the pages were secure contexts, signalling ran over WSS, HSTS on every answer', async () => {
        for (const p of [alice, bob]) {
          expect(p.page.url()).toMatch(/^https:\/\/localhost:\d+\//);
          expect(await p.page.evaluate(() => window.isSecureContext)).toBe(true);
        }
        expect(sockets.length).toBeGreaterThanOrEqual(2);
        for (const url of sockets) expect(url).toMatch(/^wss:\/\/localhost:\d+\/ws/);
        await expectHstsOnEveryAnswer(ca, own.origin, alice.page);
      });

      await test.step('plain HTTP answers nothing but a redirect to the same path over HTTPS', async () => {
        const httpPort = own.port + 1;
        // From the test, not a page: a page's request to another origin would be a third party.
        const answer = await fetch(`http://localhost:${httpPort}/privacy?lang=en`, { redirect: 'manual' });
        expect(answer.status).toBe(308);
        expect(answer.headers.get('location')).toBe(`${own.origin}/privacy?lang=en`);
        expect(await answer.text()).not.toContain('<html');
      });
    });
  });
});
