/**
 * Proof of media: RTP statistics read from the instrumented peer connections (`window.__pcs`) and
 * the tracks `getUserMedia` returned (`window.__gum`).
 *
 * "Media flows" always means a counter rose between two samples taken a second apart: a stream that
 * merely exists, or decoded frames some time ago, proves nothing about now.
 */
import { expect, type Locator, type Page } from '@playwright/test';

/**
 * A page that runs code of the test in the browser: a Playwright `Page` (Chromium), or a Firefox page
 * driven over WebDriver BiDi (`firefox.ts`). The function is serialised into the page, so it must not
 * use anything from outside its body.
 */
export interface InPage {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

export type RtpReport = {
  /** Index of the peer connection in `window.__pcs`. */
  pc: number;
  id: string;
  type: 'inbound-rtp' | 'outbound-rtp';
  kind: 'audio' | 'video';
  framesDecoded?: number;
  framesEncoded?: number;
  packetsReceived?: number;
  packetsSent?: number;
};

type Counter = 'framesDecoded' | 'framesEncoded' | 'packetsReceived' | 'packetsSent';

/** Sampling window: at 30 fps (Chromium's fake camera) and 50 audio packets/s, ample. */
const WINDOW_MS = 1_000;
/** How long media may take to start (or stop) flowing, ICE and DTLS included, on a busy 2-core CI. */
const MEDIA_TIMEOUT_MS = 30_000;

/** All inbound and outbound RTP stream stats of the page's open peer connections. */
export async function rtpReports(page: InPage): Promise<RtpReport[]> {
  return page.evaluate(async () => {
    const reports: RtpReport[] = [];
    for (const [pc, conn] of (window.__pcs ?? []).entries()) {
      // getStats() on a closed connection throws; a closed one carries no media anyway.
      if (conn.signalingState === 'closed') continue;
      const stats = await conn.getStats();
      stats.forEach((r) => {
        if (r.type !== 'inbound-rtp' && r.type !== 'outbound-rtp') return;
        reports.push({
          pc,
          id: r.id,
          type: r.type,
          kind: r.kind,
          framesDecoded: r.framesDecoded,
          framesEncoded: r.framesEncoded,
          packetsReceived: r.packetsReceived,
          packetsSent: r.packetsSent,
        });
      });
    }
    return reports;
  });
}

/**
 * The keys whose count rose over one sampling window: `sample` is read, and again a window later.
 */
export async function risenOverWindow<K>(sample: () => Promise<Map<K, number>>): Promise<K[]> {
  const before = await sample();
  // Deliberate: the sampling window, not a wait for something to happen.
  await new Promise((done) => setTimeout(done, WINDOW_MS));
  const after = await sample();
  return [...after].filter(([key, n]) => before.has(key) && n > (before.get(key) ?? 0)).map(([key]) => key);
}

/** How many `type`/`kind` streams saw `counter` rise over one sampling window. */
export async function risingStreams(
  page: InPage,
  type: RtpReport['type'],
  kind: RtpReport['kind'],
  counter: Counter,
): Promise<number> {
  const counts = async (): Promise<Map<string, number>> =>
    new Map(
      (await rtpReports(page))
        .filter((r) => r.type === type && r.kind === kind)
        .map((r) => [`${r.pc}/${r.id}`, r[counter] ?? 0]),
    );
  return (await risenOverWindow(counts)).length;
}

/** Waits until at least `streams` remote videos are being decoded right now. */
export async function expectDecodingVideo(page: InPage, streams: number): Promise<void> {
  await expect
    .poll(() => risingStreams(page, 'inbound-rtp', 'video', 'framesDecoded'), {
      message: `${streams} inbound video stream(s) with framesDecoded rising`,
      timeout: MEDIA_TIMEOUT_MS,
    })
    .toBeGreaterThanOrEqual(streams);
}

/** Waits until at least `streams` remote audio streams are being received right now. */
export async function expectReceivingAudio(page: InPage, streams: number): Promise<void> {
  await expect
    .poll(() => risingStreams(page, 'inbound-rtp', 'audio', 'packetsReceived'), {
      message: `${streams} inbound audio stream(s) with packetsReceived rising`,
      timeout: MEDIA_TIMEOUT_MS,
    })
    .toBeGreaterThanOrEqual(streams);
}

/** Waits until the page sends video (`true`) or no longer encodes any video frame (`false`). */
export async function expectSendingVideo(page: InPage, sending: boolean): Promise<void> {
  const poll = expect.poll(() => risingStreams(page, 'outbound-rtp', 'video', 'framesEncoded'), {
    message: sending ? 'an outbound video stream with framesEncoded rising' : 'no outbound video frame encoded',
    timeout: MEDIA_TIMEOUT_MS,
  });
  await (sending ? poll.toBeGreaterThanOrEqual(1) : poll.toBe(0));
}

/** Live camera (`video`) or microphone (`audio`) tracks the page got from `getUserMedia`. */
export async function liveTracks(page: Page, kind?: 'audio' | 'video'): Promise<number> {
  return page.evaluate(
    (k) => (window.__gum?.tracks ?? []).filter((t) => t.readyState === 'live' && (!k || t.kind === k)).length,
    kind,
  );
}

/** Waits until a `<video>` element shows a picture (its decoded size is known). */
export async function expectVideoShowing(video: Locator): Promise<void> {
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth), {
      message: 'video.videoWidth > 0',
      timeout: MEDIA_TIMEOUT_MS,
    })
    .toBeGreaterThan(0);
}

/** One end of a selected candidate pair: its transport and how it was found. */
export type SelectedCandidate = {
  side: 'local' | 'remote';
  /** `udp` or `tcp`. */
  protocol: string;
  /** `host`, `srflx`, `prflx` or `relay` (a TURN server's address). */
  candidateType: string;
};

/**
 * Both ends of the candidate pairs the page's open peer connections use now: the nominated,
 * succeeded pair of each transport.
 */
export async function selectedCandidates(page: InPage): Promise<SelectedCandidate[]> {
  return page.evaluate(async () => {
    const found: SelectedCandidate[] = [];
    for (const conn of window.__pcs ?? []) {
      if (conn.signalingState === 'closed') continue;
      const stats = await conn.getStats();
      stats.forEach((r) => {
        if (r.type !== 'transport' || !r.selectedCandidatePairId) return;
        const pair = stats.get(r.selectedCandidatePairId);
        for (const [side, id] of [
          ['local', pair?.localCandidateId],
          ['remote', pair?.remoteCandidateId],
        ] as const) {
          const candidate = id ? stats.get(id) : undefined;
          if (candidate?.protocol) found.push({ side, protocol: candidate.protocol, candidateType: candidate.candidateType });
        }
      });
    }
    return found;
  });
}
