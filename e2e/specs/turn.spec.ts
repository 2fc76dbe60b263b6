/**
 * TURN (issue 13): with the operator's own TURN server configured (coturn on loopback, started here
 * with a secret it shares with Treff), every participant gets a short-lived credential for it, and a
 * call whose browsers may only use the relay (the test-only `iceTransportPolicy: "relay"` switch,
 * see `instrument.ts`) still carries video and audio. Without this configuration no page gets any ICE
 * server at all: `third-parties.spec.ts` proves that for the run's server.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Coturn, relayOnly } from '../coturn';
import { expect, test } from '../fixtures';
import { selectedCandidates } from '../media';
import { OwnServer } from '../own-server';
import { twoInACall } from '../two-participants';

/** The server's default credential lifetime (`TURN_CREDENTIAL_TTL` in `backend/src/config.rs`). */
const TTL_S = 12 * 3600;

test('with only the TURN relay allowed, the call runs through coturn', async ({ browser, guard }) => {
  test.setTimeout(150_000);
  const secret = randomBytes(24).toString('base64url');
  const coturn = await Coturn.start(secret);
  try {
    guard.allowIceServers([coturn.url]);
    // One argument with '=': a base64url secret may begin with '-', which clap would take for a flag.
    const options = { args: ['--turn-url', coturn.url, `--turn-secret=${secret}`] };
    await OwnServer.with(browser, guard, options, ['Alice', 'Bob'], async ([alice, bob], server) => {
      for (const p of [alice, bob]) await relayOnly(p);
      const startedS = Math.floor(Date.now() / 1000);
      await twoInACall(alice, bob);

      await test.step('every selected pair has a relay candidate on the browser\'s side', async () => {
        for (const p of [alice, bob]) {
          const local = (await selectedCandidates(p.page)).filter((c) => c.side === 'local');
          expect(local.length, `${p.name} has a selected candidate pair`).toBeGreaterThan(0);
          expect(new Set(local.map((c) => c.candidateType)), `${p.name}'s media goes through the relay`).toEqual(
            new Set(['relay']),
          );
        }
      });

      await test.step('the pages got coturn with a credential made for them, never the secret', async () => {
        const servers = guard.iceServers.flat();
        expect(servers.length, 'the peer connections were given the TURN server').toBeGreaterThan(0);
        for (const s of servers) {
          expect(s.urls).toEqual([coturn.url]);
          const [expiry, user] = String(s.username).split(':');
          expect(Number(expiry), 'expires after the credential lifetime').toBeGreaterThanOrEqual(startedS + TTL_S - 5);
          expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + TTL_S);
          expect(user, 'an opaque participant id, not a name').toMatch(/^p\d+$/);
          expect(s.credential).not.toContain(secret);
        }
        const log = fs.readFileSync(server.log, 'utf8');
        expect(log, 'the server log holds no TURN secret').not.toContain(secret);
        for (const s of servers) expect(log, 'nor a credential').not.toContain(String(s.credential));
      });
    });
  } finally {
    coturn.stop();
  }
});
