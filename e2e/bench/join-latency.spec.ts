/**
 * Benchmark, not a test (`cargo xtask bench`): how long a participant waits from clicking "join" to
 * the first decoded frame of the video already in the meeting. Prints each figure and the median;
 * asserts only that a frame arrives at all.
 */
import { expect, test } from '../fixtures';

const ITERATIONS = 10;

test('join latency: click to first decoded remote video frame', async ({ participants }) => {
  const [alice, bob] = await participants('Alice', 'Bob');
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
    console.log(`join ${String(i).padStart(2)}: ${ms.toFixed(0)} ms`);
    await bob.room.leave();
  }

  const sorted = [...figures].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  console.log(
    `join latency over ${ITERATIONS} joins: median ${median.toFixed(0)} ms, ` +
      `min ${sorted[0].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`,
  );
  expect(figures).toHaveLength(ITERATIONS);
});
