/**
 * Moderation (issue 4): the moderator link, the lobby, the lock, the meeting password, mute-all (a
 * moderator can switch microphones off, never on), removal with and without a ban, and ending the
 * meeting for all. Each test starts its own meeting through "New meeting" (POST /api/meetings).
 */
import { expectAccessible } from '../a11y';
import { expect, test } from '../fixtures';
import { actionsIn } from '../pages/moderation';

test('the moderator link makes a moderator, the plain link does not', async ({ participants, serverLog }) => {
  const [alice, bob, carol] = await participants('Alice', 'Bob', 'Carol');
  const { id, key } = await alice.host();
  await bob.join(id);

  const aliceId = await alice.room.selfId();
  const bobId = await bob.room.selfId();
  await test.step('Alice (moderator link) is a moderator, Bob (plain link) is not', async () => {
    await expect(alice.moderation.menuButton).toBeVisible();
    await expect(bob.moderation.menuButton).toHaveCount(0);
    for (const p of [alice, bob]) {
      await expect(p.room.tile(aliceId).getByTestId('moderator-badge')).toBeVisible();
      await expect(p.room.tile(bobId).getByTestId('moderator-badge')).toHaveCount(0);
    }
    await bob.participantsPanel.open();
    await expect(bob.page.getByTestId('participant-actions')).toHaveCount(0);
  });

  await test.step('the participant link to copy has no fragment', async () => {
    await alice.moderation.openMenu();
    await expect(alice.moderation.copyLink).toHaveAttribute('data-link', new RegExp(`/m/${id}$`));
    await expect(alice.page.getByTestId('copy-moderator-link')).toBeVisible();
  });

  await test.step('whoever opens the moderator link (pasted on the home page) is a moderator too', async () => {
    await carol.home.goto();
    await carol.home.join(`/m/${id}#mod=${key}`);
    await carol.prejoin.setName(carol.name);
    await carol.prejoin.joinButton.click();
    await carol.room.expectJoined();
    await expect(carol.moderation.menuButton).toBeVisible();
    const carolId = await carol.room.selfId();
    await expect(alice.room.tile(carolId).getByTestId('moderator-badge')).toBeVisible();
  });

  await test.step('a moderator makes Bob a moderator', async () => {
    await alice.participantsPanel.open();
    await actionsIn(alice.participantsPanel.row(bobId)).makeModerator.click();
    await expect(bob.moderation.menuButton).toBeVisible();
    await expect(alice.room.tile(bobId).getByTestId('moderator-badge')).toBeVisible();
  });

  // The key travels only in the fragment and inside the WebSocket: never in the server's log.
  serverLog.expectNoneOf([key]);
});

test('lobby: the moderator admits one newcomer and denies another', async ({ participants }) => {
  const [alice, bob, carol] = await participants('Alice', 'Bob', 'Carol');
  const { id } = await alice.host();
  await alice.moderation.setToggle(alice.moderation.lobbyToggle, true);
  await expect(alice.moderation.stateLobby).toBeVisible();

  await test.step('Bob waits until Alice admits him', async () => {
    await bob.prepare(id);
    await bob.prejoin.joinButton.click();
    await expect(bob.moderation.waitingPage).toBeVisible();
    await expect(alice.moderation.knockBadge).toBeVisible();
    await alice.participantsPanel.open();
    await expect(alice.moderation.knock('Bob')).toBeVisible();
    await expectAccessible(alice.page, 'the moderator\'s room with the lobby and the participant actions');
    await expectAccessible(bob.page, 'the waiting page');
    await alice.moderation.knock('Bob').getByTestId('admit').click();
    await bob.room.expectJoined();
    await expect(alice.room.tiles).toHaveCount(2);
    await expect(alice.moderation.knocks).toHaveCount(0);
    await expect(bob.moderation.stateLobby).toBeVisible();
  });

  await test.step('Carol waits and is denied', async () => {
    await carol.prepare(id);
    await carol.prejoin.joinButton.click();
    await expect(carol.moderation.waitingPage).toBeVisible();
    await alice.moderation.knock('Carol').getByTestId('deny').click();
    await carol.moderation.expectRefused('EntryDenied');
    await expect(alice.room.tiles).toHaveCount(2);
  });
});

test('a locked meeting refuses newcomers', async ({ participants }) => {
  const [alice, bob, carol] = await participants('Alice', 'Bob', 'Carol');
  const { id } = await alice.host();
  await bob.join(id);
  await alice.moderation.setToggle(alice.moderation.lockToggle, true);
  await expect(bob.moderation.stateLocked).toBeVisible();

  await carol.prepare(id);
  await carol.prejoin.joinButton.click();
  await carol.moderation.expectRefused('RoomLocked');
  await expect(alice.room.tiles).toHaveCount(2);

  await test.step('unlocked, Carol gets in', async () => {
    await alice.moderation.setToggle(alice.moderation.lockToggle, false);
    await carol.join(id);
    await expect(alice.room.tiles).toHaveCount(3);
  });
});

test('meeting password: none and a wrong one are refused, the right one lets in', async ({ participants }) => {
  const [alice, bob] = await participants('Alice', 'Bob');
  const { id } = await alice.host();
  await alice.moderation.setMeetingPassword('open sesame');

  await bob.prepare(id);
  await bob.prejoin.joinButton.click();
  await bob.moderation.expectRefused('PasswordRequired');
  await expectAccessible(bob.page, 'the password form of a refused join');

  await bob.moderation.passwordInput.fill('wrong');
  await bob.moderation.passwordSubmit.click();
  await bob.moderation.expectRefused('WrongPassword');

  await bob.moderation.passwordInput.fill('open sesame');
  await bob.moderation.passwordSubmit.click();
  await bob.room.expectJoined();
  await expect(alice.room.tiles).toHaveCount(2);
  await expect(bob.moderation.statePassword).toBeVisible();
});

test('mute-all: nobody can be unmuted by the moderator, only by themselves', async ({ participants }) => {
  test.setTimeout(120_000);
  const [alice, bob, carol] = await participants('Alice', 'Bob', 'Carol');
  const { id } = await alice.host({ mic: true });
  await bob.join(id, { mic: true });
  await carol.join(id, { mic: true });
  const aliceId = await alice.room.selfId();
  const bobId = await bob.room.selfId();
  const carolId = await carol.room.selfId();
  await expect(alice.room.tile(bobId)).toHaveAttribute('data-mic', 'on');
  await expect(alice.room.tile(carolId)).toHaveAttribute('data-mic', 'on');

  await alice.moderation.openMenu();
  await expectAccessible(alice.page, 'the open moderator menu');
  await alice.moderation.muteAll.click();

  await test.step('every other participant is muted, everywhere; the moderator is not', async () => {
    for (const p of [alice, bob, carol]) {
      await expect(p.room.tile(bobId)).toHaveAttribute('data-mic', 'off');
      await expect(p.room.tile(carolId)).toHaveAttribute('data-mic', 'off');
      await expect(p.room.tile(aliceId)).toHaveAttribute('data-mic', 'on');
    }
    for (const p of [bob, carol]) {
      await expect(p.room.toggleMic).toHaveAttribute('aria-pressed', 'false');
      await expect(p.moderation.turnedOff).toBeVisible();
    }
  });

  await test.step('the moderator has no control that unmutes: only a request', async () => {
    await alice.participantsPanel.open();
    for (const pid of [bobId, carolId]) {
      const actions = actionsIn(alice.participantsPanel.row(pid));
      await expect(actions.group).toBeVisible();
      await expect(actions.mute).toHaveCount(0);
      await expect(actions.askUnmute).toBeVisible();
    }
    await actionsIn(alice.participantsPanel.row(bobId)).askUnmute.click();
    await expect(bob.moderation.unmuteAsked).toBeVisible();
    // Asking switched nothing on.
    await expect(bob.room.toggleMic).toHaveAttribute('aria-pressed', 'false');
    await expect(alice.room.tile(bobId)).toHaveAttribute('data-mic', 'off');
  });

  await test.step('each participant switches their own microphone back on', async () => {
    await bob.moderation.unmuteAccept.click();
    await expect(alice.room.tile(bobId)).toHaveAttribute('data-mic', 'on');
    await expect(alice.room.tile(carolId)).toHaveAttribute('data-mic', 'off');
    await carol.room.setMic(true);
    await expect(alice.room.tile(carolId)).toHaveAttribute('data-mic', 'on');
  });
});

test('remove, and remove with a ban: the banned one cannot come back', async ({ participants }) => {
  const [alice, bob, carol] = await participants('Alice', 'Bob', 'Carol');
  const { id } = await alice.host();
  await bob.join(id);
  await carol.join(id);
  const bobId = await bob.room.selfId();
  const carolId = await carol.room.selfId();
  await alice.participantsPanel.open();

  await test.step('Alice removes Bob after confirming', async () => {
    await actionsIn(alice.participantsPanel.row(bobId)).remove.click();
    await alice.moderation.confirm.click();
    await expect(bob.moderation.removedPage).toBeVisible();
    await expect(bob.moderation.removedPage).toHaveAttribute('data-banned', 'false');
    await expect(alice.room.tiles).toHaveCount(2);
  });

  await test.step('Alice removes and bans Carol; Carol cannot rejoin', async () => {
    await actionsIn(alice.participantsPanel.row(carolId)).ban.click();
    await alice.moderation.confirm.click();
    await expect(carol.moderation.removedPage).toHaveAttribute('data-banned', 'true');
    await expect(alice.room.tiles).toHaveCount(1);
    await carol.prepare(id);
    await carol.prejoin.joinButton.click();
    await carol.moderation.expectRefused('Banned');
  });
});

test('end for all: everyone lands on "meeting ended" with the receipt', async ({ participants }) => {
  const [alice, bob] = await participants('Alice', 'Bob');
  const { id } = await alice.host();
  await bob.join(id);
  await alice.moderation.openMenu();
  await alice.moderation.endForAll.click();
  await alice.moderation.confirm.click();
  for (const p of [alice, bob]) {
    await expect(p.moderation.endedPage).toBeVisible();
    await expect(p.left.receipt).toBeVisible();
    await expect(p.page.getByTestId('receipt-participants')).toHaveText('2');
  }
});
