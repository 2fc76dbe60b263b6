/**
 * Real networks: a participant's signalling connection is cut and comes back within the resume
 * window (same tile for the others, same chat, video decoding again, no leave and no join), or stays
 * cut for longer (the others see them leave); and an ICE restart the server forces brings video back.
 */
import { treffAdmin } from '../admin';
import { expectDecodingVideo } from '../media';
import { expect, test } from '../fixtures';
import type { Participant } from '../participant';
import { RESUME_WINDOW_MS } from '../server';

/** Alice and Bob in a meeting with cameras on, each decoding the other; the meeting's id. */
async function aliceAndBob(participants: (...names: string[]) => Promise<Participant[]>): Promise<[Participant, Participant, string]> {
  const [alice, bob] = await participants('Alice', 'Bob');
  const id = await alice.newMeeting();
  await alice.join(id, { cam: true });
  await bob.join(id, { cam: true });
  for (const p of [alice, bob]) await expectDecodingVideo(p.page, 1);
  return [alice, bob, id];
}

/** The ICE username fragment the server offered last to `p`. */
async function offeredUfrag(p: Participant): Promise<string> {
  return p.page.evaluate(() => /a=ice-ufrag:(\S+)/.exec(window.__pcs[0]?.remoteDescription?.sdp ?? '')?.[1] ?? '');
}

test('a connection cut within the window comes back as the same participant, with chat and video', async ({ participants }) => {
  test.setTimeout(120_000);
  const [alice, bob] = await aliceAndBob(participants);
  const bobId = await bob.room.selfId();
  await bob.chat.send('before the cut');
  await expect(alice.chat.message('before the cut')).toHaveCount(1);
  const ufrag = await offeredUfrag(bob);

  await bob.page.evaluate(() => window.__cutSignalling(2000));
  await expect(bob.page.getByTestId('reconnecting')).toBeVisible();
  const bobOnAlice = alice.room.tile(bobId);
  await expect(bobOnAlice).toHaveAttribute('data-away', 'true');
  await expect(bobOnAlice.getByTestId('tile-reconnecting')).toBeVisible();
  await alice.chat.send('during the cut');

  // Back: the same tile (same id), never gone meanwhile; the chat complete; video decoding again
  // after the ICE restart of the resume.
  await expect(bob.page.getByTestId('reconnecting')).toBeHidden({ timeout: RESUME_WINDOW_MS });
  await expect(bobOnAlice).toHaveAttribute('data-away', 'false');
  await expect(alice.room.tiles).toHaveCount(2);
  expect(await bob.room.selfId()).toBe(bobId);
  await expect(bob.chat.message('before the cut')).toHaveCount(1);
  await expect(bob.chat.message('during the cut')).toHaveCount(1);
  await expect.poll(() => offeredUfrag(bob), { message: 'media renegotiated with an ICE restart' }).not.toBe(ufrag);
  for (const p of [alice, bob]) await expectDecodingVideo(p.page, 1);
  await bob.chat.send('after the cut');
  await expect(alice.chat.message('after the cut')).toHaveCount(1);
});

test('a connection cut for longer than the window: the others see the participant leave', async ({ participants }) => {
  test.setTimeout(120_000);
  const [alice, bob] = await aliceAndBob(participants);
  const bobId = await bob.room.selfId();
  await bob.page.evaluate((ms) => window.__cutSignalling(ms), RESUME_WINDOW_MS + 10_000);
  await expect(alice.room.tile(bobId)).toHaveAttribute('data-away', 'true');
  await expect(alice.room.tile(bobId)).toHaveCount(0, { timeout: RESUME_WINDOW_MS + 5000 });
  await expect(alice.room.tiles).toHaveCount(1);
  // Bob's page gave up resuming and says the connection is lost (it rejoins anew once it can).
  await expect(bob.page.getByTestId('connection-lost')).toBeVisible({ timeout: 10_000 });
});

test('an ICE restart forced by the server brings video back on new credentials', async ({ participants }) => {
  test.setTimeout(120_000);
  const [alice, bob, id] = await aliceAndBob(participants);
  const ufrags = [await offeredUfrag(alice), await offeredUfrag(bob)];
  expect(treffAdmin('ice-restart', id)).toContain('ICE restart');
  for (const [i, p] of [alice, bob].entries()) {
    await expect.poll(() => offeredUfrag(p), { message: `${p.name} got the restart` }).not.toBe(ufrags[i]);
  }
  for (const p of [alice, bob]) await expectDecodingVideo(p.page, 1);
});
