/**
 * What the page decodes per tile and encodes per simulcast layer, for the layer-choice specs
 * (simulcast, last-N): each remote camera tile with the inbound stream its `<video>` shows
 * (`frameWidth`, `framesDecoded`), and the page's own camera encodings per rid (`framesEncoded`).
 * "Decoding" and "encoding" mean the counter rose over a sampling window, never a wait.
 */
import type { Page } from '@playwright/test';
import { risenOverWindow } from './media';

/** One remote camera tile as the page shows it and decodes it. */
export type TileVideo = {
  participant: string;
  /** The tile's video width on the screen, in device pixels (0 when not rendered). */
  width: number;
  /** The width of the frames decoded for it, and how many so far. */
  frameWidth: number;
  framesDecoded: number;
};

/** The others' camera tiles of `page`, each with the inbound stream its `<video>` shows. */
export async function tileVideos(page: Page): Promise<TileVideo[]> {
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

/** The participant ids of the remote tiles of `page` that decoded frames over one window, sorted. */
export async function decodingTiles(page: Page): Promise<string[]> {
  const decoded = async (): Promise<Map<string, number>> =>
    new Map((await tileVideos(page)).map((t) => [t.participant, t.framesDecoded]));
  return (await risenOverWindow(decoded)).sort();
}

/** The rids of the page's camera encodings that encoded frames over one window, sorted. */
export async function encodingRids(page: Page): Promise<string[]> {
  const frames = async (): Promise<Map<string, number>> =>
    new Map(
      await page.evaluate(async () => {
        const byRid: [string, number][] = [];
        for (const pc of window.__pcs ?? []) {
          if (pc.signalingState === 'closed') continue;
          (await pc.getStats()).forEach((r) => {
            if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid) byRid.push([r.rid, r.framesEncoded ?? 0]);
          });
        }
        return byRid;
      }),
    );
  return (await risenOverWindow(frames)).sort();
}

/** The width of the layer a tile of `width` device pixels needs: the smallest at least as wide. */
export const layerWidth = (width: number): number => [320, 640, 1280].find((w) => w >= width) ?? 1280;
