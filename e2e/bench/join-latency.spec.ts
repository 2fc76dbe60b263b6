/**
 * Benchmark, not a test (`cargo xtask bench`): how long a participant waits from clicking "join" to
 * the first decoded frame of the video already in the meeting, over each way media can take: UDP
 * (the run's server), ICE over TCP (a server announcing only its TCP candidate) and a TURN relay
 * (coturn on loopback; the joining browser may use relay candidates only). Prints each figure and the
 * median per way; asserts only that a frame arrives at all.
 */
import { randomBytes } from 'node:crypto';
import { Coturn, relayOnly } from '../coturn';
import { expect, test } from '../fixtures';
import { OwnServer } from '../own-server';
import type { Participant } from '../participant';

const ITERATIONS = 10;

/** Alice is in the meeting with her camera on; Bob joins and leaves ITERATIONS times. */
async function measureJoins(way: string, alice: Participant, bob: Participant): Promise<void> {
  const id = await alice.newMeeting();
  await alice.join(id, { cam: true });

  const figures: number[] = [];
  for (let i = 1; i <= ITERATIONS; i++) {
    await bob.prepare(id);
    // Clicked and timed inside the page, so the figure holds no Playwright round trips.
    const ms = await bob.page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const start = performance.now();
          const deadline = start + 20_000;
          const poll = async (): Promise<void> => {
            for (const pc of window.__pcs) {
              if (pc.signalingState === 'closed') continue;
              const stats = await pc.getStats();
              for (const r of stats.values()) {
                if (r.type === 'inbound-rtp' && r.kind === 'video' && r.framesDecoded > 0) {
                  resolve(performance.now() - start);
                  return;
                }
              }
            }
            if (performance.now() > deadline) reject(new Error('no remote video frame within 20 s'));
            else setTimeout(poll, 20);
          };
          document.querySelector<HTMLButtonElement>('[data-testid="join-button"]')?.click();
          void poll();
        }),
    );
    figures.push(ms);
    console.log(`join over ${way} ${String(i).padStart(2)}: ${ms.toFixed(0)} ms`);
    await bob.room.leave();
  }

  const sorted = [...figures].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  console.log(
    `join latency over ${way}, ${ITERATIONS} joins: median ${median.toFixed(0)} ms, ` +
      `min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`,
  );
  expect(figures).toHaveLength(ITERATIONS);
}

test('join latency over UDP: click to first decoded remote video frame', async ({ participants }) => {
  const [alice, bob] = await participants('Alice', 'Bob');
  await measureJoins('UDP', alice, bob);
});

test('join latency over ICE-TCP', async ({ browser, guard }) => {
  await OwnServer.with(browser, guard, { args: ['--ice-candidates', 'tcp'] }, ['Alice', 'Bob'], ([alice, bob]) =>
    measureJoins('TCP', alice, bob),
  );
});

test('join latency over a TURN relay', async ({ browser, guard }) => {
  const secret = randomBytes(24).toString('base64url');
  const coturn = await Coturn.start(secret);
  try {
    guard.allowIceServers([coturn.url]);
    const options = { args: ['--turn-url', coturn.url, '--turn-secret', secret] };
    await OwnServer.with(browser, guard, options, ['Alice', 'Bob'], async ([alice, bob]) => {
      await relayOnly(bob);
      await measureJoins('TURN relay', alice, bob);
    });
  } finally {
    coturn.stop();
  }
});
