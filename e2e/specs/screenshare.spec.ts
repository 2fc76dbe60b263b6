/**
 * Screen sharing, tile and speaker view, and the active-speaker highlight. `getDisplayMedia` is a
 * canvas stream (see `display.ts`); media is proved by decoded frames, never by waiting.
 */
import { endSharingFromBrowser, liveDisplayTracks, stubDisplayMedia } from '../display';
import { expect, test } from '../fixtures';
import { expectDecodingVideo, expectVideoShowing, risingStreams } from '../media';

test('a shared screen is shown large to the others and goes when sharing stops', async ({ participants }) => {
  // Two browsers encoding and decoding video on a 2-core machine: more than the default minute.
  test.setTimeout(120_000);
  const [alice, bob] = await participants('Alice', 'Bob');
  await stubDisplayMedia(alice.context);

  const id = await alice.newMeeting();
  // Cameras off: the only video that can reach Bob is Alice's screen.
  await alice.join(id);
  await bob.join(id);
  await expect(bob.room.tiles).toHaveCount(2);
  const aliceId = await alice.room.selfId();
  const onBob = bob.stage.presentation(aliceId);
  await expect(bob.stage.presentations).toHaveCount(0);

  await test.step('Alice shares: Bob sees her screen beside the tiles and decodes it', async () => {
    await alice.stage.setSharing(true);
    await expect(onBob).toBeVisible();
    await expectVideoShowing(onBob.locator('video'));
    await expectDecodingVideo(bob.page, 1);
    // The tiles stay, in a strip.
    await expect(bob.room.tiles).toHaveCount(2);
    await expect(alice.stage.presentation(aliceId)).toBeVisible();
  });

  await test.step('Alice stops: the presentation goes, and no more screen frames reach Bob', async () => {
    await alice.stage.setSharing(false);
    await expect(onBob).toHaveCount(0);
    await expect(alice.stage.presentations).toHaveCount(0);
    await expect.poll(() => liveDisplayTracks(alice.page), { message: 'the display track stopped' }).toBe(0);
    await expect
      .poll(() => risingStreams(bob.page, 'inbound-rtp', 'video', 'framesDecoded'), {
        message: 'Bob decodes no video from Alice',
      })
      .toBe(0);
  });

  await test.step('the browser\'s own "stop sharing" ends it too', async () => {
    await alice.stage.setSharing(true);
    await expect(onBob).toBeVisible();
    await expectDecodingVideo(bob.page, 1);
    await endSharingFromBrowser(alice.page);
    await expect(alice.stage.toggleScreen).toHaveAttribute('aria-pressed', 'false');
    await expect(onBob).toHaveCount(0);
  });
});

test('two people share at once: both screens show side by side', async ({ participants }) => {
  test.setTimeout(120_000);
  const [alice, bob] = await participants('Alice', 'Bob');
  await stubDisplayMedia(alice.context);
  await stubDisplayMedia(bob.context);

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(bob.room.tiles).toHaveCount(2);
  await alice.stage.setSharing(true);
  await bob.stage.setSharing(true);
  const aliceId = await alice.room.selfId();
  const bobId = await bob.room.selfId();
  for (const p of [alice, bob]) {
    await expect(p.stage.presentations).toHaveCount(2);
    await expect(p.stage.presentation(aliceId)).toBeVisible();
    await expect(p.stage.presentation(bobId)).toBeVisible();
    await expectDecodingVideo(p.page, 1);
  }
});

test('tile and speaker view; the one speaking is highlighted', async ({ participants }) => {
  test.setTimeout(120_000);
  const [alice, bob] = await participants('Alice', 'Bob');

  const id = await alice.newMeeting();
  // Chromium's fake microphone beeps: Alice "speaks", Bob is muted.
  await alice.join(id, { mic: true });
  await bob.join(id);
  await expect(bob.room.tiles).toHaveCount(2);
  const aliceId = await alice.room.selfId();
  const aliceOnBob = bob.room.tile(aliceId);

  await test.step('the view toggle switches the layout', async () => {
    await expect(bob.stage.room).toHaveAttribute('data-view', 'tile');
    await bob.stage.setSpeakerView(true);
    await bob.stage.setSpeakerView(false);
  });

  await test.step('Bob sees Alice highlighted as speaking, and never himself', async () => {
    await expect(aliceOnBob).toHaveAttribute('data-speaking', 'true', { timeout: 30_000 });
    await expect(bob.room.selfTile).toHaveAttribute('data-speaking', 'false');
  });

  await test.step('speaker view features Alice', async () => {
    await bob.stage.setSpeakerView(true);
    await expect(aliceOnBob).toHaveClass(/\bfeatured\b/);
    await expect(bob.room.selfTile).not.toHaveClass(/\bfeatured\b/);
  });
});
