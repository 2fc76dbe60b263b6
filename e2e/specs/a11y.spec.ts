/**
 * Accessibility: axe-core finds no serious or critical violation on the home page, the pre-join page
 * and the room (plain, with a raised hand and a reaction, with the chat, the participants panel, the
 * reactions menu, the help dialog and "My data" open), and every control of the room is reachable with
 * Tab.
 */
import { expectAccessible } from '../a11y';
import { expect, test } from '../fixtures';

test('home, pre-join and room pages pass axe without serious or critical violations', async ({ participants }) => {
  test.setTimeout(90_000);
  const [alice, bob] = await participants('Alice', 'Bob');

  await alice.home.goto();
  await expectAccessible(alice.page, 'the home page');
  await alice.home.joinInput.fill('not a link');
  await alice.home.joinSubmit.click();
  await alice.home.expectJoinError();
  await expectAccessible(alice.page, 'the home page with an error');

  const id = await alice.home.newMeeting();
  await expectAccessible(alice.page, 'the pre-join page');
  await alice.prepare(id, { mic: true, cam: true });
  await expectAccessible(alice.page, 'the pre-join page with camera preview');
  await alice.prejoin.joinButton.click();
  await alice.room.expectJoined();
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  const aliceId = await alice.room.selfId();

  await expectAccessible(alice.page, 'the room');
  await alice.room.setHand(true);
  await alice.room.react('celebrate');
  await expect(bob.room.tileReactions(aliceId)).toHaveCount(1);
  await expectAccessible(bob.page, 'the room with a raised hand, a reaction and the reactions menu closed');
  await expectAccessible(alice.page, 'the room with the reactions menu open');

  await bob.chat.send('Hello');
  await expect(alice.chat.message('Hello')).toHaveCount(1);
  await expectAccessible(bob.page, 'the room with the chat panel open');
  await bob.participantsPanel.open();
  await expectAccessible(bob.page, 'the room with the participants panel open');
  await bob.room.helpButton.click();
  await expect(bob.room.helpDialog).toBeVisible();
  await expectAccessible(bob.page, 'the room with the help dialog open');
  await bob.page.keyboard.press('Escape');
  await expect(bob.room.helpDialog).toBeHidden();
  await bob.page.getByTestId('my-data-button').click();
  const myData = bob.page.getByTestId('my-data');
  await expect(myData.getByTestId('my-data-log-entry')).toHaveCount(1);
  await expectAccessible(bob.page, 'the room with "My data" open');
});

test('every control of the room is reachable with Tab', async ({ participants }) => {
  const [alice] = await participants('Alice');
  await alice.join(await alice.newMeeting());
  const controls = ['toggle-mic', 'toggle-cam', 'toggle-hand', 'reactions-button', 'chat-toggle', 'participants-toggle', 'help-button', 'my-data-button', 'leave'];
  const reached = new Set<string>();
  for (let i = 0; i < 20 && reached.size < controls.length; i++) {
    await alice.page.keyboard.press('Tab');
    const testId = await alice.page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '');
    if (controls.includes(testId)) reached.add(testId);
  }
  expect([...reached].sort()).toEqual([...controls].sort());
});
