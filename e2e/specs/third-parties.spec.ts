/**
 * No third party (R9 of the privacy notice), proven over a whole meeting: two participants join with
 * camera and microphone, chat, send a file, share a screen, mute and leave, while every request of
 * every page and every RTCPeerConnection's configuration is recorded. All requests go to the server's
 * own origin, and no peer connection has an ICE (STUN or TURN) server: nothing learns a participant's
 * address but the server itself.
 *
 * (Every spec also runs under the fixtures' guard, which fails on a foreign request or an ICE server
 * as it happens; this one shows the guard had a full meeting to watch.)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from '../fixtures';
import { expectDecodingVideo } from '../media';
import { isOwnOrigin } from '../server';

/** Records every URL `context` requests (HTTP and WebSocket) from now on. */
function recordRequests(context: BrowserContext, page: Page): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  page.on('websocket', (ws) => urls.push(ws.url()));
  return urls;
}

/** The ICE servers of every RTCPeerConnection the page made (the instrumentation keeps them). */
async function iceServers(page: Page): Promise<{ connections: number; servers: unknown[] }> {
  return page.evaluate(() => ({
    connections: window.__pcs.length,
    servers: window.__pcs.flatMap((pc) => pc.getConfiguration().iceServers ?? []),
  }));
}

test('a whole meeting talks to the server\'s own origin only and uses no ICE server', async ({ participants }) => {
  const t = crypto.randomBytes(5).toString('hex');
  const [alice, bob] = await participants(`Alice-${t}`, `Bob-${t}`);
  const requests = [alice, bob].map((p) => recordRequests(p.context, p.page));
  const filePath = test.info().outputPath(`notes-${t}.txt`);
  fs.writeFileSync(filePath, `notes ${t}`);

  const id = await alice.newMeeting();
  await alice.join(id, { mic: true, cam: true });
  await bob.join(id, { mic: true, cam: true });
  await expect(alice.room.tiles).toHaveCount(2);
  await expectDecodingVideo(bob.page, 1);

  await alice.chat.send(`hello ${t}`);
  await bob.chat.sendFile(filePath);
  await expect(alice.chat.attachmentMessage(`notes-${t}.txt`)).toHaveCount(1);
  await alice.stage.setSharing(true);
  await expect(bob.stage.presentations).toHaveCount(1);
  await alice.stage.setSharing(false);
  await alice.room.setMic(false);
  for (const participant of [alice, bob]) {
    const ice = await iceServers(participant.page);
    expect(ice.connections, `${participant.name} made a peer connection`).toBeGreaterThan(0);
    expect(ice.servers, `${participant.name}'s peer connections name no STUN or TURN server`).toEqual([]);
  }
  await bob.room.leave();
  await alice.room.leave();

  const paths = requests.flat().map((u) => new URL(u).pathname);
  expect(paths, 'the attachment API was used (Bob uploaded, Alice fetched nothing)').toEqual(
    expect.arrayContaining([expect.stringMatching(/^\/api\/attachments/)]),
  );
  for (const [i, participant] of [alice, bob].entries()) {
    const urls = requests[i];
    const own = urls.map((u) => new URL(u).pathname);
    expect(own, `${participant.name} loaded the app and signalled`).toEqual(
      expect.arrayContaining(['/ws', expect.stringMatching(/\.wasm$/)]),
    );
    const foreign = urls.filter((u) => !isOwnOrigin(u));
    expect(foreign, `${participant.name} requested nothing from another origin`).toEqual([]);
  }
});
