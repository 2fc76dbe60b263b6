/**
 * ICE over TCP (issue 13): a server that announces only its passive TCP candidate still carries the
 * whole two-participant call; every selected candidate pair is TCP, so the media really took it.
 */
import { expect, test } from '../fixtures';
import { selectedProtocols } from '../media';
import { OwnServer } from '../own-server';
import { twoInACall } from '../two-participants';

test('with only a TCP candidate announced, the call runs over TCP', async ({ browser, guard }) => {
  test.setTimeout(150_000);
  const server = await OwnServer.start({ args: ['--ice-candidates', 'tcp'] });
  try {
    const [alice, bob] = await server.participants(browser, guard, 'Alice', 'Bob');
    await twoInACall(alice, bob);
    for (const p of [alice, bob]) {
      const protocols = await selectedProtocols(p.page);
      expect(protocols.length, `${p.name} has a selected candidate pair`).toBeGreaterThan(0);
      expect(new Set(protocols), `${p.name}'s media runs over TCP`).toEqual(new Set(['tcp']));
    }
  } finally {
    await Promise.all(browser.contexts().map((c) => c.close()));
    await server.dispose();
  }
});
