/**
 * Simulcast: every camera is sent in up to three layers (320, 640 and 1280 wide) and each receiver
 * gets, per tile, the layer its size needs; a tile that is not shown gets nothing. Proved by the
 * decoded frames of each tile's stream (`frameWidth`, `framesDecoded` of the inbound-rtp stats whose
 * track the tile shows), never by waiting. Dynacast: a layer nobody receives is paused at its sender,
 * proved by the sender's own `outbound-rtp` per rid (`framesEncoded` stops rising).
 */
import { expect, test } from '../fixtures';
import { decodingTiles, encodingRids, layerWidth, type TileVideo, tileVideos } from '../layers';
import type { Participant } from '../participant';

/** Waits until every remote tile of `p` decodes frames no wider than its layer (and some at all). */
async function expectLayersFitTiles(p: Participant, tiles: number): Promise<TileVideo[]> {
  let seen: TileVideo[] = [];
  await expect
    .poll(
      async () => {
        seen = await tileVideos(p.page);
        return seen.filter((t) => t.frameWidth > 0 && t.frameWidth <= layerWidth(t.width)).length;
      },
      { message: `${p.name}: every tile decodes the layer its size needs`, timeout: 45_000 },
    )
    .toBe(tiles);
  return seen;
}

test('four in tile view get the small layers, the featured speaker the full one, unwatched layers pause, a hidden tile gets nothing', async ({
  participants,
}) => {
  // Four browsers each encoding three layers and decoding three streams on two cores.
  test.setTimeout(240_000);
  const people = await participants('Alice', 'Bob', 'Carla', 'David');
  const [alice, ...others] = people;
  // A small window: four tiles of about 300 device pixels, well under the middle layer's 640.
  await alice.page.setViewportSize({ width: 640, height: 480 });
  const id = await alice.newMeeting();
  for (const p of people) await p.join(id, { cam: true });
  await expect(alice.room.tiles).toHaveCount(4);

  await test.step('tile view: each of the three streams is at most its tile\'s layer', async () => {
    const tiles = await expectLayersFitTiles(alice, 3);
    for (const t of tiles) expect(t.width, 'tiles this small need the lowest layer').toBeLessThanOrEqual(320);
  });

  await test.step('dynacast: the full layer nobody watches is paused at every sender', async () => {
    // The others' windows (1280 × 720) show four tiles under 640 wide: nobody needs `f`.
    for (const p of others) {
      await expect
        .poll(() => encodingRids(p.page), { message: `${p.name} encodes q and h only`, timeout: 30_000 })
        .toEqual(['h', 'q']);
    }
  });

  await test.step('speaker view in a large window: the featured tile gets the full layer', async () => {
    await alice.page.setViewportSize({ width: 1600, height: 900 });
    await alice.stage.setSpeakerView(true);
    const featured = alice.room.remoteTiles.and(alice.page.locator('.featured'));
    await expect(featured).toHaveCount(1);
    const featuredId = await featured.getAttribute('data-participant-id');
    await expect
      .poll(
        async () => (await tileVideos(alice.page)).find((t) => t.participant === featuredId)?.frameWidth ?? 0,
        { message: 'the featured tile decodes frames wider than the middle layer', timeout: 45_000 },
      )
      .toBeGreaterThan(640);
    await expectLayersFitTiles(alice, 3);
    // Dynacast resumed the full layer at the featured person's browser, and only there.
    const ids = await Promise.all(others.map((p) => p.room.selfId()));
    const featuredPerson = others[ids.indexOf(featuredId ?? '')];
    expect(featuredPerson, 'the featured tile is one of the others').toBeDefined();
    await expect
      .poll(() => encodingRids(featuredPerson.page), {
        message: `${featuredPerson.name} encodes the full layer again`,
        timeout: 30_000,
      })
      .toContain('f');
    for (const p of others.filter((p) => p !== featuredPerson)) {
      expect(await encodingRids(p.page), `${p.name} still sends no full layer`).not.toContain('f');
    }
  });

  await test.step('a tile taken off the screen stops decoding; the others go on', async () => {
    await alice.stage.setSpeakerView(false);
    const hiddenId = await others[0].room.selfId();
    await alice.room.tile(hiddenId).evaluate((el) => {
      el.style.display = 'none';
    });
    await expect
      .poll(
        async () => {
          const rising = await decodingTiles(alice.page);
          return rising.includes(hiddenId) ? 'hidden tile still decodes' : rising.length;
        },
        { message: 'the hidden tile decodes nothing, the other two go on', timeout: 30_000 },
      )
      .toBe(2);
  });
});
