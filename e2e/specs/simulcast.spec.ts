/**
 * Simulcast: every camera is sent in up to three layers (320, 640 and 1280 wide) and each receiver
 * gets, per tile, the layer its size needs; a tile that is not shown gets nothing. Proved by the
 * decoded frames of each tile's stream (`frameWidth`, `framesDecoded` of the inbound-rtp stats whose
 * track the tile shows), never by waiting. Dynacast: a layer nobody receives is paused at its sender,
 * proved by the sender's own `outbound-rtp` per rid (`framesEncoded` stops rising).
 */
import { expect, test } from '../fixtures';
import type { Participant } from '../participant';
import type { Page } from '@playwright/test';

/** One remote camera tile as the page shows it and decodes it. */
type TileVideo = {
  participant: string;
  /** The tile's video width on the screen, in device pixels (0 when not rendered). */
  width: number;
  /** The width of the frames decoded for it, and how many so far. */
  frameWidth: number;
  framesDecoded: number;
};

/** The others' camera tiles of `page`, each with the inbound stream its `<video>` shows. */
async function tileVideos(page: Page): Promise<TileVideo[]> {
  return page.evaluate(async () => {
    const inbound = new Map<string, { frameWidth: number; framesDecoded: number }>();
    for (const pc of window.__pcs ?? []) {
      if (pc.signalingState === 'closed') continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') {
          inbound.set(r.trackIdentifier, { frameWidth: r.frameWidth ?? 0, framesDecoded: r.framesDecoded ?? 0 });
        }
      });
    }
    const tiles: TileVideo[] = [];
    for (const tile of document.querySelectorAll<HTMLElement>('[data-testid=tile][data-self=false]')) {
      const video = tile.querySelector('video');
      const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      const stats = track ? inbound.get(track.id) : undefined;
      tiles.push({
        participant: tile.dataset.participantId ?? '',
        width: Math.round((video?.getBoundingClientRect().width ?? 0) * devicePixelRatio),
        frameWidth: stats?.frameWidth ?? 0,
        framesDecoded: stats?.framesDecoded ?? 0,
      });
    }
    return tiles;
  });
}

/** The rids of the page's camera encodings that encoded frames over a one-second window. */
async function encodingRids(page: Page): Promise<string[]> {
  const frames = (): Promise<Record<string, number>> =>
    page.evaluate(async () => {
      const byRid: Record<string, number> = {};
      for (const pc of window.__pcs ?? []) {
        if (pc.signalingState === 'closed') continue;
        (await pc.getStats()).forEach((r) => {
          if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid) byRid[r.rid] = r.framesEncoded ?? 0;
        });
      }
      return byRid;
    });
  const before = await frames();
  // Deliberate: the sampling window over which the counters must (not) rise.
  await new Promise((done) => setTimeout(done, 1_000));
  const after = await frames();
  return Object.keys(after)
    .filter((rid) => after[rid] > (before[rid] ?? 0))
    .sort();
}

/** The width of the layer a tile of `width` device pixels needs: the smallest at least as wide. */
const layerWidth = (width: number): number => [320, 640, 1280].find((w) => w >= width) ?? 1280;

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
    const decoded = async (): Promise<Map<string, number>> =>
      new Map((await tileVideos(alice.page)).map((t) => [t.participant, t.framesDecoded]));
    await expect
      .poll(
        async () => {
          const before = await decoded();
          // Deliberate: the sampling window over which the counters must (not) rise.
          await new Promise((done) => setTimeout(done, 1_000));
          const after = await decoded();
          const rising = [...after].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id);
          return rising.includes(hiddenId) ? 'hidden tile still decodes' : rising.length;
        },
        { message: 'the hidden tile decodes nothing, the other two go on', timeout: 30_000 },
      )
      .toBe(2);
  });
});
