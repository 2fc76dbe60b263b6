/**
 * The operator's view of a real meeting (issue 15): `/metrics` on the operator listener, scraped while
 * two browsers are in a call with camera, microphone and a chat attachment, and again after both
 * left. The counts follow the meeting (conferences, participants, connected peers, forwarded packets,
 * the upload); nothing in the scrape names anyone: no name, chat text, file name, meeting id or
 * address. `/healthz` and `/readyz` answer on the same listener, and nowhere on the public one.
 *
 * On a spec's own server, so that no other spec's meeting (or its grace period) is in the counts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../fixtures';
import { expectDecodingVideo } from '../media';
import { OwnServer } from '../own-server';

/** Series → value of a Prometheus text scrape (`name{labels}` exactly as printed). */
function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

async function scrape(server: OwnServer): Promise<{ text: string; values: Map<string, number> }> {
  const response = await fetch(`${server.monitor}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, values: parse(text) };
}

/** The sum of every series of `name` (over its labels). */
function total(values: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [series, value] of values) if (series === name || series.startsWith(`${name}{`)) sum += value;
  return sum;
}

test('metrics count a real meeting while it runs and after it ends, and name nobody', async ({ browser, guard }) => {
  const t = crypto.randomBytes(5).toString('hex');
  const names = [`Alice-Secret-${t}`, `Bob-Secret-${t}`];
  const chatText = `Chat-Secret-${t}`;
  const fileName = `File-Secret-${t}.txt`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-metrics-'));
  const file = path.join(dir, fileName);
  fs.writeFileSync(file, `attachment ${t}\n`.repeat(100));
  const fileBytes = fs.statSync(file).size;

  try {
    await OwnServer.with(browser, guard, {}, names, async ([alice, bob], server) => {
      const before = await scrape(server);
      expect(before.values.get('treff_conferences')).toBe(0);
      expect(before.values.get('treff_participants')).toBe(0);

      const id = await alice.newMeeting();
      await alice.join(id, { mic: true, cam: true });
      await bob.join(id, { mic: true, cam: true });
      await expectDecodingVideo(alice.page, 1);
      await expectDecodingVideo(bob.page, 1);
      await alice.chat.send(chatText);
      await alice.chat.sendFile(file);
      await expect(bob.chat.attachmentMessage(fileName)).toHaveCount(1);
      const meetingId = new URL(alice.page.url()).pathname.split('/').pop() ?? id;

      await test.step('during: the meeting, its peers, its media and the upload are counted', async () => {
        // ICE-lite: "connected", then "completed" once the browser nominated the pair.
        const flowing = (values: Map<string, number>) =>
          (values.get('treff_peers{state="connected"}') ?? 0) + (values.get('treff_peers{state="completed"}') ?? 0);
        await expect.poll(async () => flowing((await scrape(server)).values), { message: 'both peers connected' }).toBe(2);
        const during = await scrape(server);
        expect(during.values.get('treff_conferences')).toBe(1);
        expect(during.values.get('treff_participants')).toBe(2);
        expect(total(during.values, 'treff_peers')).toBe(2);
        // Two publishers of 30 fps video and 50 packets/s of audio, each to the other, for seconds.
        expect(during.values.get('treff_forwarded_packets_total')).toBeGreaterThan(100);
        expect(during.values.get('treff_forwarded_payload_bytes_total')).toBeGreaterThan(50_000);
        expect(during.values.get('treff_uploads_total')).toBe(1);
        expect(during.values.get('treff_upload_bytes_total')).toBe(fileBytes);
        expect(during.values.get('process_cpu_seconds_total')).toBeGreaterThan(0);
        expect(during.values.get('process_resident_memory_bytes')).toBeGreaterThan(1e6);
        expect(during.text).toMatch(/^treff_build_info\{version="[^"]+"\} 1$/m);
        for (const secret of [...names, chatText, fileName, id, meetingId]) {
          expect(during.text, 'no personal data in the scrape').not.toContain(secret);
        }
        expect(during.text, 'no address in the scrape').not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b|::1|\[[0-9a-f:]+\]/);
      });

      await test.step('health and readiness on the operator listener, not on the public one', async () => {
        const health = await fetch(`${server.monitor}/healthz`);
        expect(health.status).toBe(200);
        const ready = await fetch(`${server.monitor}/readyz`);
        const body = await ready.text();
        expect(ready.status, body).toBe(200);
        expect(body).toContain('ok state directory writable');
        expect(body).toContain('ok ffmpeg found');
        const publicMetrics = await (await fetch(`${server.origin}/metrics`)).text();
        expect(publicMetrics).not.toContain('treff_conferences');
      });

      const forwarded = (await scrape(server)).values.get('treff_forwarded_packets_total') ?? 0;
      await alice.room.leave();
      await bob.room.leave();

      await test.step('after: nothing open, what happened still counted', async () => {
        await expect
          .poll(async () => (await scrape(server)).values.get('treff_conferences'), { message: 'the conference ended' })
          .toBe(0);
        const after = await scrape(server);
        expect(after.values.get('treff_participants')).toBe(0);
        expect(total(after.values, 'treff_peers')).toBe(0);
        expect(after.values.get('treff_forwarded_packets_total')).toBeGreaterThanOrEqual(forwarded);
        expect(after.values.get('treff_uploads_total')).toBe(1);
        for (const secret of [...names, chatText, fileName, id]) expect(after.text).not.toContain(secret);
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
