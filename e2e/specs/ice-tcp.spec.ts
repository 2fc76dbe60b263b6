/**
 * ICE over TCP (issue 13): a server that announces only its passive TCP candidate still carries the
 * whole two-participant call; and so does a browser in a network that drops UDP (a network namespace
 * the spec makes, see `netns.ts`) while the server offers both. Every selected candidate pair is TCP,
 * so the media really took it.
 */
import { type Browser, chromium } from '@playwright/test';
import { expect, test } from '../fixtures';
import { selectedCandidates } from '../media';
import { TestNetwork } from '../netns';
import { OwnServer } from '../own-server';
import { CHROMIUM_ARGS } from '../server';
import type { Participant } from '../participant';
import { twoInACall } from '../two-participants';

/** Fails unless every selected candidate pair of `people` is TCP. */
async function expectAllTcp(people: Participant[]): Promise<void> {
  for (const p of people) {
    const protocols = (await selectedCandidates(p.page)).map((c) => c.protocol);
    expect(protocols.length, `${p.name} has a selected candidate pair`).toBeGreaterThan(0);
    expect(new Set(protocols), `${p.name}'s media runs over TCP`).toEqual(new Set(['tcp']));
  }
}

test('with only a TCP candidate announced, the call runs over TCP', async ({ browser, guard }) => {
  test.setTimeout(150_000);
  await OwnServer.with(browser, guard, { args: ['--ice-candidates', 'tcp'] }, ['Alice', 'Bob'], async ([alice, bob]) => {
    await twoInACall(alice, bob);
    await expectAllTcp([alice, bob]);
  });
});

test('in a network that drops UDP, the browser falls back to TCP by itself', async ({ guard }) => {
  test.setTimeout(150_000);
  const net = TestNetwork.create({ dropUdp: true });
  // Everything started is stopped in `finally`, whatever failed to start after it.
  let server: OwnServer | undefined;
  let browser: Browser | undefined;
  try {
    expect(net.udpGetsOut(), 'UDP leaves the namespace').toBe(false);
    // Pages and both media sockets (UDP and TCP announced) on the host's end of the pair.
    const own = (server = await OwnServer.start({ host: net.hostAddress, mediaHost: net.hostAddress }));
    browser = await chromium.launch({
      executablePath: net.chromium,
      // Not localhost: camera and microphone need the origin to count as secure.
      args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${own.origin}`],
    });
    const [alice, bob] = await own.participants(browser, guard, 'Alice', 'Bob');
    await twoInACall(alice, bob);
    const offered = await alice.page.evaluate(() => window.__pcs[0]?.remoteDescription?.sdp ?? '');
    expect(offered, 'the server offered UDP too').toMatch(/^a=candidate:\S+ 1 udp /m);
    await expectAllTcp([alice, bob]);
  } finally {
    await browser?.close();
    await server?.dispose();
    net.destroy();
  }
});
