/**
 * Firefox beside Chromium: a different WebRTC stack with its own SDP habits, in the same meetings.
 * Firefox is Debian's `firefox-esr` driven over WebDriver BiDi (`firefox.ts`); media is proved the
 * same way as between two Chromiums, by getStats counters rising and pictures showing.
 */
import { expect } from '../fixtures';
import { type FirefoxParticipant, test } from '../firefox';
import { expectDecodingVideo, expectReceivingAudio, expectSendingVideo, expectVideoShowing, risingStreams } from '../media';
import { stubDisplayMedia } from '../display';

/** The widest picture among the `<video>` elements under `selector` on Firefox's page. */
async function widestVideo(fox: FirefoxParticipant, selector: string): Promise<number> {
  return Math.max(0, ...(await fox.videoWidths(selector)));
}

const REMOTE_TILE_VIDEO = '[data-testid="tile"][data-self="false"] video';

// A Firefox start, two encoders and two decoders on a 2-core machine: more than the default minute.
test.describe.configure({ timeout: 150_000 });

test('Chromium and Firefox see and hear each other, chat both ways, and see a camera go off', async ({ mixed }) => {
  const [alice] = await mixed.chromium('Alice');
  const [fenja] = await mixed.firefox('Fenja');
  const id = await alice.newMeeting();
  await alice.join(id, { mic: true, cam: true });
  await fenja.join(id, { mic: true, cam: true });
  const aliceId = await alice.room.selfId();
  const fenjaId = await fenja.selfId();

  await test.step('each sees both tiles with the right names', async () => {
    await expect.poll(() => alice.room.names()).toEqual(['Alice', 'Fenja']);
    await expect.poll(() => fenja.names()).toEqual(['Alice', 'Fenja']);
  });

  await test.step('each decodes the other one\'s video and receives their audio', async () => {
    await expectDecodingVideo(alice.page, 1);
    await expectVideoShowing(alice.room.remoteTiles.locator('video'));
    await expectReceivingAudio(alice.page, 1);
    await expectDecodingVideo(fenja, 1);
    await expect.poll(() => widestVideo(fenja, REMOTE_TILE_VIDEO), { message: 'Alice\'s picture on Firefox' }).toBeGreaterThan(0);
    await expectReceivingAudio(fenja, 1);
  });

  await test.step('chat both ways', async () => {
    await alice.chat.send('Hallo aus Chromium');
    await expect.poll(() => fenja.chatTexts()).toContain('Hallo aus Chromium');
    await fenja.sendChat('Hallo aus Firefox');
    await alice.chat.open();
    await expect(alice.chat.message('Hallo aus Firefox')).toHaveCount(1);
  });

  await test.step('Firefox turns its camera off: Chromium is told and decodes nothing; on again', async () => {
    await fenja.setCam(false);
    await expect(alice.room.tile(fenjaId)).toHaveAttribute('data-cam', 'off');
    await expectSendingVideo(fenja, false);
    await expect
      .poll(() => risingStreams(alice.page, 'inbound-rtp', 'video', 'framesDecoded'), { message: 'Alice decodes no video' })
      .toBe(0);
    await fenja.setCam(true);
    await expect(alice.room.tile(fenjaId)).toHaveAttribute('data-cam', 'on');
    await expectDecodingVideo(alice.page, 1);
  });

  await test.step('Chromium turns its camera off: Firefox is told and decodes nothing', async () => {
    await alice.room.setCam(false);
    await expect.poll(() => fenja.tileAttribute(aliceId, 'data-cam')).toBe('off');
    await expect
      .poll(() => risingStreams(fenja, 'inbound-rtp', 'video', 'framesDecoded'), { message: 'Fenja decodes no video' })
      .toBe(0);
  });
});

test('a screen shared from either browser is seen in the other', async ({ mixed }) => {
  const [alice] = await mixed.chromium('Alice');
  const [fenja] = await mixed.firefox('Fenja');
  await stubDisplayMedia(alice.context);
  await fenja.stubDisplayMedia();
  const id = await alice.newMeeting();
  // Cameras off: the only video is the shared screen.
  await alice.join(id);
  await fenja.join(id);
  const aliceId = await alice.room.selfId();
  const fenjaId = await fenja.selfId();

  await test.step('Chromium shares: Firefox shows and decodes the screen', async () => {
    await alice.stage.setSharing(true);
    const onFenja = `[data-testid="presentation"][data-participant-id="${aliceId}"] video`;
    await expect.poll(() => widestVideo(fenja, onFenja), { message: 'Alice\'s screen on Firefox' }).toBeGreaterThan(0);
    await expectDecodingVideo(fenja, 1);
    await alice.stage.setSharing(false);
    await expect.poll(() => fenja.videoWidths(onFenja), { message: 'the presentation goes' }).toEqual([]);
  });

  await test.step('Firefox shares: Chromium shows and decodes the screen', async () => {
    await fenja.setSharing(true);
    const onAlice = alice.stage.presentation(fenjaId);
    await expect(onAlice).toBeVisible();
    await expectVideoShowing(onAlice.locator('video'));
    await expectDecodingVideo(alice.page, 1);
  });
});

test('three: two Chromiums and a Firefox each decode the two others', async ({ mixed }) => {
  const [alice, bob] = await mixed.chromium('Alice', 'Bob');
  const [fenja] = await mixed.firefox('Fenja');
  const id = await alice.newMeeting();
  await alice.join(id, { cam: true });
  await bob.join(id, { cam: true });
  await fenja.join(id, { cam: true });
  for (const p of [alice, bob]) {
    await expect(p.room.tiles).toHaveCount(3);
    await expectDecodingVideo(p.page, 2);
  }
  await expect.poll(() => fenja.names()).toEqual(['Alice', 'Bob', 'Fenja']);
  await expectDecodingVideo(fenja, 2);
  await expect
    .poll(async () => (await fenja.videoWidths(REMOTE_TILE_VIDEO)).filter((w) => w > 0).length, {
      message: 'both pictures show on Firefox',
    })
    .toBe(2);
});
