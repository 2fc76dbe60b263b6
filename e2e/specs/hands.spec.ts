/**
 * Raise hand: everyone (the moderator first of all) sees a raised hand on the tile and in the
 * participants panel, where raised
 * hands come first in the order they went up (the server's time), each with its place; a late
 * joiner gets the same queue; lowering a hand moves the others up. The toggle follows the server's
 * echo, not the click.
 *
 * Camera and microphone stay off (except one microphone, to see its state in the panel): these
 * tests are about signalling, and two cores are better spent on three browsers.
 */
import { expect, test } from '../fixtures';

test('raised hands are seen by everyone, in the order they went up', async ({ participants, serverLog }) => {
  test.setTimeout(90_000);
  const [alice, bob, carol] = await participants('Alice-Hand', 'Bob-Hand', 'Carol-Hand');

  // Alice runs the meeting (moderator link): the queue of hands is what a moderator works through.
  const { id } = await alice.host();
  await expect(alice.moderation.menuButton, 'Alice is the moderator').toBeVisible();
  await bob.join(id);
  const aliceId = await alice.room.selfId();
  const bobId = await bob.room.selfId();

  await test.step('Bob raises his hand: both see it on his tile, nobody else has one', async () => {
    await expect(bob.room.toggleHand).toHaveAttribute('aria-pressed', 'false');
    await bob.room.setHand(true);
    for (const p of [alice, bob]) {
      await expect(p.room.tileHand(bobId)).toBeVisible();
      await expect(p.room.tileHand(aliceId)).toHaveCount(0);
    }
    await expect(alice.room.toggleHand).toHaveAttribute('aria-pressed', 'false');
  });

  await test.step('Alice raises hers after him: the panel lists Bob first, then Alice', async () => {
    await alice.room.setHand(true);
    await alice.participantsPanel.open();
    await expect.poll(() => alice.participantsPanel.order()).toEqual([
      [bobId, '1'],
      [aliceId, '2'],
    ]);
  });

  const carolId = await test.step('Carol joins late and gets the same queue, herself last without a number', async () => {
    await carol.join(id);
    const carolId = await carol.room.selfId();
    await carol.participantsPanel.open();
    await expect.poll(() => carol.participantsPanel.order()).toEqual([
      [bobId, '1'],
      [aliceId, '2'],
      [carolId, null],
    ]);
    await expect(carol.room.tileHand(bobId)).toBeVisible();
    await expect(carol.room.tileHand(aliceId)).toBeVisible();
    await expect(carol.room.tileHand(carolId)).toHaveCount(0);
    return carolId;
  });

  await test.step('Bob lowers his hand: Alice moves up to 1, Bob goes back among the others', async () => {
    await bob.room.setHand(false);
    for (const p of [alice, carol]) {
      await expect.poll(() => p.participantsPanel.order()).toEqual([
        [aliceId, '1'],
        [bobId, null],
        [carolId, null],
      ]);
      await expect(p.room.tileHand(bobId)).toHaveCount(0);
    }
  });

  await test.step('Bob raises it again: he queues up behind Alice', async () => {
    await bob.room.setHand(true);
    await expect.poll(() => carol.participantsPanel.order()).toEqual([
      [aliceId, '1'],
      [bobId, '2'],
      [carolId, null],
    ]);
  });

  await test.step('the panel shows names and microphone state', async () => {
    const row = carol.participantsPanel.row(aliceId);
    await expect(row.getByTestId('participant-name')).toHaveText(alice.name);
    await expect(row.getByTestId('participant-mic')).toHaveClass(/\boff\b/);
    await alice.room.setMic(true);
    await expect(row.getByTestId('participant-mic')).not.toHaveClass(/\boff\b/);
    await expect(row.getByTestId('participant-cam')).toHaveClass(/\boff\b/);
  });

  serverLog.expectNoneOf([alice.name, bob.name, carol.name]);
});
