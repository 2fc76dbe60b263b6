/**
 * Reactions: one of six fixed emoji, floating for a few seconds over the sender's tile for everyone
 * (the sender included, on the server's echo); reachable by keyboard; more than the server's rate
 * limit are dropped quietly, without an error banner.
 */
import { expect, test } from '../fixtures';

const REACTIONS = ['thumbs_up', 'clap', 'laugh', 'heart', 'surprised', 'celebrate'];

test('a reaction floats over the sender\'s tile for everyone, then goes', async ({ participants }) => {
  const [alice, bob] = await participants('Alice', 'Bob');
  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  const aliceId = await alice.room.selfId();
  const bobId = await bob.room.selfId();

  await test.step('the menu offers six labelled reactions', async () => {
    await alice.room.reactionsButton.click();
    await expect(alice.room.reactionsMenu).toBeVisible();
    for (const name of REACTIONS) await expect(alice.room.reaction(name)).toHaveAccessibleName(/\w/);
  });

  await test.step('Alice applauds: both see 👏 over her tile, not over Bob\'s', async () => {
    await alice.room.reaction('clap').click();
    for (const p of [alice, bob]) {
      const floating = p.room.tileReactions(aliceId);
      await expect(floating).toHaveCount(1);
      await expect(floating).toHaveAttribute('data-reaction', 'clap');
      await expect(floating).toHaveText('👏');
      await expect(p.room.tileReactions(bobId)).toHaveCount(0);
    }
  });

  await test.step('after about four seconds it is gone', async () => {
    await expect(bob.room.tileReactions(aliceId)).toHaveCount(0, { timeout: 8_000 });
    await expect(alice.room.tileReactions(aliceId)).toHaveCount(0);
  });

  await test.step('Bob reacts by keyboard: Enter opens the menu, Tab reaches the first reaction', async () => {
    await bob.room.reactionsButton.focus();
    await bob.page.keyboard.press('Enter');
    await expect(bob.room.reactionsMenu).toBeVisible();
    await bob.page.keyboard.press('Tab');
    await expect(bob.room.reaction('thumbs_up')).toBeFocused();
    await bob.page.keyboard.press('Enter');
    await expect(alice.room.tileReactions(bobId)).toHaveAttribute('data-reaction', 'thumbs_up');
    // Escape closes the menu and gives the focus back to its button.
    await bob.page.keyboard.press('Escape');
    await expect(bob.room.reactionsMenu).toBeHidden();
    await expect(bob.room.reactionsButton).toBeFocused();
  });

  await test.step('a burst beyond the rate limit is dropped quietly', async () => {
    await expect(alice.room.tileReactions(aliceId)).toHaveCount(0, { timeout: 8_000 });
    for (let i = 0; i < 10; i++) await alice.room.react('heart');
    await expect(bob.room.tileReactions(aliceId).first()).toBeVisible();
    // The default burst is 5; ten clicks take far less than the two seconds one more would need.
    expect(await bob.room.tileReactions(aliceId).count()).toBeLessThanOrEqual(6);
    await expect(alice.room.error).toHaveCount(0);
  });
});
