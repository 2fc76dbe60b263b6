/**
 * Three participants: simultaneous joins (the room task must serialise them), each one receiving
 * both others' video through the SFU, and a departure seen by the rest.
 */
import { expectDecodingVideo } from '../media';
import { expect, test } from '../fixtures';

test('three join at once, all see each other, one leaves', async ({ participants }) => {
  // Three browsers each encoding one video and decoding two, on 2 cores.
  test.setTimeout(150_000);
  const all = await participants('Alice', 'Bob', 'Carol');
  const [alice, bob, carol] = all;

  const id = await alice.newMeeting();
  for (const p of all) await p.prepare(id, { mic: true, cam: true });

  await test.step('all three click "join" at the same moment', async () => {
    await Promise.all(all.map((p) => p.prejoin.joinButton.click()));
    for (const p of all) await p.room.expectJoined();
  });

  await test.step('each sees three tiles and decodes two remote videos', async () => {
    for (const p of all) {
      await expect(p.room.tiles).toHaveCount(3);
      await expect.poll(() => p.room.names()).toEqual(['Alice', 'Bob', 'Carol']);
    }
    for (const p of all) await expectDecodingVideo(p.page, 2);
  });

  await test.step('Carol leaves: her tile disappears for the others', async () => {
    const carolId = await carol.room.selfId();
    await carol.room.leave();
    for (const p of [alice, bob]) {
      await expect(p.room.tile(carolId)).toHaveCount(0, { timeout: 5_000 });
      await expect(p.room.tiles).toHaveCount(2);
    }
  });

  await test.step('Alice and Bob still decode each other', async () => {
    for (const p of [alice, bob]) await expectDecodingVideo(p.page, 1);
  });
});
