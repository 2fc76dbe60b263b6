/**
 * A stand-in for the browser's screen picker: `getDisplayMedia` answers at once with the stream of an
 * animated canvas (headless Chromium has no screen to share, and a picker would need a person).
 *
 * `window.__display` keeps every track handed out, so a test can check it was stopped, or end it
 * the way the browser's own "stop sharing" button does.
 */
import type { BrowserContext, Page } from '@playwright/test';

declare global {
  interface Window {
    __display?: MediaStreamTrack[];
  }
}

/** Replaces `navigator.mediaDevices.getDisplayMedia` in every page of `context` opened from now on. */
export async function stubDisplayMedia(context: BrowserContext): Promise<void> {
  await context.addInitScript(canvasDisplayMedia);
}

/** The stand-in itself, as an init script (serialised into the page: nothing from outside its body). */
export function canvasDisplayMedia(): void {
  window.__display = [];
  MediaDevices.prototype.getDisplayMedia = async function () {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new DOMException('no 2d context', 'NotSupportedError');
    let frame = 0;
    // A moving bar, so every frame differs and the encoder really sends pictures.
    const draw = (): void => {
      frame += 1;
      ctx.fillStyle = '#20406a';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = '#f0c020';
      ctx.fillRect((frame * 8) % canvas.width, 100, 80, 160);
    };
    draw();
    const timer = setInterval(draw, 1000 / 15);
    const stream = canvas.captureStream(15);
    const [track] = stream.getVideoTracks();
    track.addEventListener('ended', () => clearInterval(timer));
    window.__display?.push(track);
    return stream;
  };
}

/** Live display tracks the page holds. */
export async function liveDisplayTracks(page: Page): Promise<number> {
  return page.evaluate(() => (window.__display ?? []).filter((t) => t.readyState === 'live').length);
}

/** Ends the latest display track as the browser's own "stop sharing" does (`stop()` plus `ended`). */
export async function endSharingFromBrowser(page: Page): Promise<void> {
  await page.evaluate(() => {
    const track = window.__display?.at(-1);
    if (!track) throw new Error('nothing is being shared');
    track.stop();
    track.dispatchEvent(new Event('ended'));
  });
}
