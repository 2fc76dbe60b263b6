/**
 * A running recording and consent (issue 10, R5): a newcomer is told at pre-join and pauses capture
 * until their own yes, and nothing of them is captured before it; a withdrawal pauses it for
 * everyone, who all see who withdrew; the indicator shows in every view of the room.
 *
 * What a recording leaves behind (files, ffprobe, the recordings page) is in `recording.spec.ts`.
 */
import crypto from 'node:crypto';
import { stubDisplayMedia } from '../display';
import { expect, test } from '../fixtures';
import { expectDecodingVideo, expectReceivingAudio } from '../media';
import type { Participant } from '../participant';
import { allSayYes, capturedSegments, expectCaptured, meetingOf, propose } from '../recording';
import { RECORDINGS_DIR } from '../server';

/** Names no log may hold: unique per test, so a leak cannot hide behind a common word. */
function secretNames(...names: string[]): string[] {
  const t = crypto.randomBytes(4).toString('hex');
  return names.map((n) => `${n}-Rec-${t}`);
}

/** Everyone sees the recording paused (`false`) or running. */
async function expectCapturingForAll(everyone: Participant[], capturing: boolean): Promise<void> {
  for (const p of everyone) await p.recording.expectCapturing(capturing);
}

test('a newcomer is told at pre-join and pauses the recording until their own yes', async ({ participants, serverLog }) => {
  test.setTimeout(240_000);
  const [alice, bob, carol] = await participants(...secretNames('Alice', 'Bob', 'Carol'));
  const { id } = await meetingOf(alice, [bob]);
  await propose(alice, [alice, bob]);
  await allSayYes([alice, bob]);
  await expectCaptured(id, 2);

  await test.step('the pre-join page tells the newcomer a recording exists', async () => {
    await carol.prepare(id, { mic: true, cam: true });
    await expect(carol.prejoin.recordingNotice).toBeVisible();
  });

  const carolId = await test.step('Carol joins: she is asked, and it pauses for everyone', async () => {
    await carol.prejoin.joinButton.click();
    await carol.room.expectJoined();
    await expect(carol.recording.dialog).toBeVisible();
    await expectCapturingForAll([alice, bob, carol], false);
    const carolId = await carol.room.selfId();
    for (const p of [alice, bob]) {
      await expect(p.recording.event).toHaveAttribute('data-event', 'arrived');
      await expect(p.recording.event).toContainText(carol.name);
      await p.participantsPanel.open();
      await expect(p.recording.answerOf(carolId)).toHaveAttribute('data-consent', 'none');
    }
    return carolId;
  });

  await test.step('while she has not answered, nothing of hers is captured', async () => {
    // Her camera and microphone reach the others through the SFU, but not the capture.
    await expectDecodingVideo(alice.page, 2);
    await expectReceivingAudio(alice.page, 2);
    expect(capturedSegments(id).filter((f) => f.startsWith(`${carolId}-`))).toEqual([]);
  });

  await test.step('her yes resumes it for everyone, and now she is captured too', async () => {
    await carol.recording.answer('yes');
    await expectCapturingForAll([alice, bob, carol], true);
    await expect(alice.recording.answerOf(carolId)).toHaveAttribute('data-consent', 'yes');
    await expectCaptured(id, 3);
    expect(capturedSegments(id).filter((f) => f.startsWith(`${carolId}-`)).length).toBeGreaterThan(0);
  });

  await alice.recording.stop.click();
  await expectCapturingGone([alice, bob, carol]);
  serverLog.expectNoneOf([alice.name, bob.name, carol.name, RECORDINGS_DIR]);
});

test('a withdrawal pauses it for everyone, and everyone sees who withdrew', async ({ participants, serverLog }) => {
  test.setTimeout(180_000);
  const everyone = await participants(...secretNames('Alice', 'Bob', 'Carol'));
  const [alice, bob, carol] = everyone;
  await meetingOf(alice, [bob, carol], {});
  await propose(alice, everyone);
  await allSayYes(everyone);
  const bobId = await bob.room.selfId();

  await test.step('Bob withdraws: paused for all, and all see it was Bob', async () => {
    await bob.recording.withdraw.click();
    await expect(bob.recording.myAnswer).toHaveAttribute('data-consent', 'no');
    await expectCapturingForAll(everyone, false);
    for (const p of everyone) {
      await expect(p.recording.event).toHaveAttribute('data-event', 'no');
      await expect(p.recording.event).toContainText(bob.name);
      await p.participantsPanel.open();
      await expect(p.recording.answerOf(bobId)).toHaveAttribute('data-consent', 'no');
      await expect(p.participantsPanel.row(bobId)).toContainText(bob.name);
    }
  });

  await test.step('his yes again resumes it for everyone', async () => {
    await bob.recording.agree.click();
    await expectCapturingForAll(everyone, true);
    for (const p of everyone) await expect(p.recording.answerOf(bobId)).toHaveAttribute('data-consent', 'yes');
  });

  await test.step('Carol objects from My data, which shows her answer and who agreed: paused for all', async () => {
    await carol.page.getByTestId('my-data-button').click();
    const dialog = carol.page.getByTestId('my-data');
    await expect(dialog.getByTestId('my-data-recording')).toHaveText(/^(Yes|Ja)$/);
    const status = dialog.getByTestId('privacy-status-recording');
    for (const p of everyone) await expect(status).toContainText(p.name);
    await dialog.getByTestId('my-data-object').click();
    await expect(dialog.getByTestId('my-data-recording')).toHaveText(/^(No|Nein)$/);
    await expect(dialog.getByTestId('my-data-object'), 'nothing left to object to').toHaveCount(0);
    await expectCapturingForAll(everyone, false);
    await expect(status).not.toContainText(carol.name);
    await dialog.getByTestId('my-data-close').click();
    await expect(alice.recording.event).toContainText(carol.name);
  });

  await alice.recording.stop.click();
  await expectCapturingGone(everyone);
  serverLog.expectNoneOf([alice.name, bob.name, carol.name, RECORDINGS_DIR]);
});

test('the indicator shows in every view: tiles, speaker, side panels, a shared screen', async ({ participants }) => {
  test.setTimeout(180_000);
  const [alice, bob] = await participants('Alice', 'Bob');
  await stubDisplayMedia(bob.context);
  await meetingOf(alice, [bob], { cam: true });
  await propose(alice, [alice, bob]);
  await allSayYes([alice, bob]);
  const bobId = await bob.room.selfId();

  const inEveryView = async (capturing: boolean): Promise<void> => {
    for (const p of [alice, bob]) {
      await p.recording.expectCapturing(capturing);
      await p.stage.setSpeakerView(false);
      await p.recording.expectIndicatorInView();
      await p.stage.setSpeakerView(true);
      await p.recording.expectIndicatorInView();
      await p.chat.open();
      await p.recording.expectIndicatorInView();
      await p.participantsPanel.open();
      await p.recording.expectIndicatorInView();
      await p.participantsPanel.close();
      await p.chat.close();
      await p.stage.setSpeakerView(false);
    }
  };

  await test.step('running, in tile and speaker view, with the chat or the participants open', async () => {
    await inEveryView(true);
  });

  await test.step('while Bob shares his screen', async () => {
    await bob.stage.setSharing(true);
    for (const p of [alice, bob]) await expect(p.stage.presentation(bobId)).toBeVisible();
    await inEveryView(true);
  });

  await test.step('paused (Alice withdrew), still everywhere', async () => {
    await alice.recording.withdraw.click();
    await inEveryView(false);
  });

  await alice.recording.stop.click();
  await expectCapturingGone([alice, bob]);
});

/** After a stop, the indicator is gone for everyone. */
async function expectCapturingGone(everyone: Participant[]): Promise<void> {
  for (const p of everyone) await expect(p.recording.indicator).toBeHidden();
}
