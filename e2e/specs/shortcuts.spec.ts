/**
 * Keyboard shortcuts: M (microphone), V (camera), R (hand), C (chat), P (participants) and ? (help)
 * work and the other participant sees their effect; they do not fire while typing or with Ctrl held.
 */
import { expect, test } from '../fixtures';

test('keyboard shortcuts switch mic, camera and hand, open the panels and the help', async ({ participants }) => {
  // Alice's camera runs for a moment, on two cores.
  test.setTimeout(90_000);
  const [alice, bob] = await participants('Alice', 'Bob');
  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  const aliceId = await alice.room.selfId();
  const aliceOnBob = bob.room.tile(aliceId);
  const keys = alice.page.keyboard;

  for (const [key, toggle, attribute, what] of [
    ['m', alice.room.toggleMic, 'data-mic', 'microphone'],
    ['v', alice.room.toggleCam, 'data-cam', 'camera'],
  ] as const) {
    await test.step(`${key.toUpperCase()} switches the ${what} on and off; Bob sees it`, async () => {
      for (const state of ['on', 'off']) {
        await keys.press(key);
        await expect(toggle).toHaveAttribute('aria-pressed', String(state === 'on'));
        await expect(aliceOnBob).toHaveAttribute(attribute, state);
      }
    });
  }

  await test.step('R raises and lowers the hand; Bob sees it', async () => {
    await keys.press('r');
    await expect(alice.room.toggleHand).toHaveAttribute('aria-pressed', 'true');
    await expect(bob.room.tileHand(aliceId)).toBeVisible();
    await keys.press('r');
    await expect(alice.room.toggleHand).toHaveAttribute('aria-pressed', 'false');
    await expect(bob.room.tileHand(aliceId)).toHaveCount(0);
  });

  await test.step('with Ctrl held, M does nothing', async () => {
    await keys.press('Control+m');
    await expect(alice.room.toggleMic).toHaveAttribute('aria-pressed', 'false');
  });

  await test.step('C opens the chat; letters typed there stay text; Escape closes it', async () => {
    await keys.press('c');
    await expect(alice.chat.panel).toBeVisible();
    await expect(alice.chat.input).toBeFocused();
    await keys.type('mvrcp?');
    await expect(alice.chat.input).toHaveValue('mvrcp?');
    await expect(alice.room.toggleMic).toHaveAttribute('aria-pressed', 'false');
    await expect(alice.room.toggleCam).toHaveAttribute('aria-pressed', 'false');
    await expect(alice.room.helpDialog).toBeHidden();
    await keys.press('Escape');
    await expect(alice.chat.panel).toBeHidden();
    await expect(alice.chat.toggle, 'the focus goes back to the toggle').toBeFocused();
  });

  await test.step('P opens the participants panel, and closes it again', async () => {
    await keys.press('p');
    await expect(alice.participantsPanel.panel).toBeVisible();
    await expect(alice.participantsPanel.rows).toHaveCount(2);
    await keys.press('p');
    await expect(alice.participantsPanel.panel).toBeHidden();
  });

  await test.step('? opens the help, which lists the shortcuts; shortcuts rest while it is open', async () => {
    await keys.press('?');
    const help = alice.room.helpDialog;
    await expect(help).toBeVisible();
    for (const key of ['M', 'V', 'R', 'C', 'P', '?']) await expect(help.locator('kbd', { hasText: key })).toHaveCount(1);
    await keys.press('m');
    await expect(alice.room.toggleMic).toHaveAttribute('aria-pressed', 'false');
    await keys.press('Escape');
    await expect(help).toBeHidden();
  });

  await test.step('the help button opens it too; its close button closes it and the focus returns', async () => {
    await alice.room.helpButton.click();
    await expect(alice.room.helpDialog).toBeVisible();
    await expect(alice.room.helpDialog.getByTestId('help-close')).toBeFocused();
    await alice.room.helpDialog.getByTestId('help-close').click();
    await expect(alice.room.helpDialog).toBeHidden();
    await expect(alice.room.helpButton).toBeFocused();
  });
});
