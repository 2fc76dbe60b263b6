/**
 * The two-participant call, as a flow of steps that more than one spec runs: `two.spec.ts` over
 * plain HTTP, `tls.spec.ts` over HTTPS and WSS. Alice makes a meeting, both join it with camera and
 * microphone on; both see each other, video and audio really flow through the SFU (proved by
 * getStats, not by waiting), and the camera is in the user's hand (R4).
 */
import { expectDecodingVideo, expectReceivingAudio, expectSendingVideo, expectVideoShowing, liveTracks, risingStreams } from './media';
import { expect, test } from './fixtures';
import type { Participant } from './participant';

export async function twoInACall(alice: Participant, bob: Participant): Promise<void> {
  const id = await alice.newMeeting();
  await alice.join(id, { mic: true, cam: true });
  await bob.join(id, { mic: true, cam: true });

  await test.step('each sees both tiles with the right names', async () => {
    for (const p of [alice, bob]) {
      await expect(p.room.tiles).toHaveCount(2);
      await expect(p.room.selfTile).toHaveCount(1);
      await expect.poll(() => p.room.names()).toEqual(['Alice', 'Bob']);
    }
  });

  await test.step('each decodes the other one\'s video and receives their audio', async () => {
    for (const p of [alice, bob]) {
      await expectDecodingVideo(p.page, 1);
      await expectVideoShowing(p.room.remoteTiles.locator('video'));
      await expectReceivingAudio(p.page, 1);
    }
  });

  const aliceId = await alice.room.selfId();
  const aliceOnBob = bob.room.tile(aliceId);
  await expect(aliceOnBob).toHaveAttribute('data-cam', 'on');
  await expect(aliceOnBob).toHaveAttribute('data-mic', 'on');

  await test.step('Alice turns her camera off: Bob is told, and no video leaves Alice', async () => {
    await alice.room.setCam(false);
    await expect(aliceOnBob).toHaveAttribute('data-cam', 'off');
    await expect(alice.room.selfTile).toHaveAttribute('data-cam', 'off');
    await expectSendingVideo(alice.page, false);
    await expect
      .poll(() => risingStreams(bob.page, 'inbound-rtp', 'video', 'framesDecoded'), {
        message: 'Bob decodes no video from Alice',
      })
      .toBe(0);
    // "Off" means the camera is released (its light goes out), not a black picture.
    await expect.poll(() => liveTracks(alice.page, 'video'), { message: 'Alice\'s camera released' }).toBe(0);
    // Her microphone is untouched.
    await expect(aliceOnBob).toHaveAttribute('data-mic', 'on');
  });

  await test.step('Alice turns it on again: Bob decodes her video again', async () => {
    await alice.room.setCam(true);
    await expect(aliceOnBob).toHaveAttribute('data-cam', 'on');
    await expectSendingVideo(alice.page, true);
    await expectDecodingVideo(bob.page, 1);
  });
}
