/**
 * Benchmark, not a test (`cargo xtask bench`): after a `kill -9` of the server, how long from the
 * restarted server's first answer to video decoding again in pages that stayed open (they rejoin by
 * themselves: the resume is refused by the new process, then the lost-connection page rejoins with
 * its backoff). Prints each figure and the median; asserts only that video comes back.
 */
import crypto from 'node:crypto';
import { expect, test } from '../fixtures';
import { expectDecodingVideo } from '../media';
import { OwnServer } from '../own-server';

const ITERATIONS = 5;

test('restart to media: kill -9, restart, video decoding again in the open pages', async ({ browser, guard }) => {
  const server = await OwnServer.start();
  try {
    const t = crypto.randomBytes(5).toString('hex');
    const people = await server.participants(browser, guard, `Alice-${t}`, `Bob-${t}`);
    const [alice, bob] = people;
    const id = await alice.newMeeting();
    await alice.join(id, { cam: true });
    await bob.join(id, { cam: true });
    for (const p of people) await expectDecodingVideo(p.page, 1);

    const figures: number[] = [];
    for (let i = 1; i <= ITERATIONS; i++) {
      await server.stop('SIGKILL');
      for (const p of people) await expect(p.page.getByTestId('auto-rejoin')).toBeVisible({ timeout: 20_000 });
      await server.restart();
      const back = Date.now();
      for (const p of people) {
        await expect(p.room.tiles).toHaveCount(2, { timeout: 30_000 });
        await expectDecodingVideo(p.page, 1);
      }
      const ms = Date.now() - back;
      figures.push(ms);
      console.log(`restart ${i}: video decoding again in both pages after ${ms} ms`);
    }
    const sorted = [...figures].sort((a, b) => a - b);
    console.log(
      `restart to media over ${ITERATIONS} restarts: median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
        `min ${sorted[0]} ms, max ${sorted[sorted.length - 1]} ms`,
    );
    expect(figures).toHaveLength(ITERATIONS);
    await Promise.all(people.map((p) => p.context.close()));
  } finally {
    await server.dispose();
  }
});
