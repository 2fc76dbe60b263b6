/**
 * The end of a conference (R8): an attachment is stored encrypted, outlives a disconnect by the grace
 * period only, and is gone from the server's disk afterwards; the same link then opens a fresh
 * meeting without the old chat.
 *
 * The server runs with a short grace period for this (`GRACE_MS`, see server.ts), and its attachment
 * directory is known to the specs (`ATTACHMENT_DIR`), so what is on disk can be checked directly.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect, test } from '../fixtures';
import { conferenceDirs } from '../disk';
import { GRACE_MS } from '../server';

test('an attachment is encrypted on disk and deleted when the empty meeting\'s grace period is over', async ({
  participants,
  serverLog,
}) => {
  const t = crypto.randomBytes(5).toString('hex');
  const [alice, bob, carol] = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`, `Carol-Secret-${t}`);
  const text = `Chat-Secret-${t}-before-the-end`;
  const fileName = `File-Secret-${t}.bin`;
  const content = crypto.randomBytes(200 * 1024);
  const filePath = test.info().outputPath(fileName);
  fs.writeFileSync(filePath, content);
  const before = new Set(conferenceDirs().keys());

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await alice.chat.send(text);
  await alice.chat.sendFile(filePath);
  await expect(bob.chat.unread).toHaveText('2');

  const dir = await test.step('the file is on disk in a directory of its conference, encrypted', async () => {
    const added = [...conferenceDirs()].filter(([d]) => !before.has(d));
    expect(added, 'one new conference directory').toHaveLength(1);
    const [[dir, files]] = added;
    expect(files, 'one file in it').toHaveLength(1);
    const stored = fs.readFileSync(files[0]);
    expect(stored.length).toBeGreaterThanOrEqual(content.length);
    // No piece of the plaintext is on disk: a 32-byte window from the start, middle and end.
    for (const at of [0, content.length / 2, content.length - 32]) {
      expect(stored.includes(content.subarray(at, at + 32)), `plaintext at ${at} on disk`).toBe(false);
    }
    expect(stored.includes(Buffer.from(fileName)), 'the file name on disk').toBe(false);
    return dir;
  });

  await test.step('everyone disconnects (no "leave"): within the grace period the files stay', async () => {
    await bob.page.close();
    await alice.page.close();
    expect(fs.existsSync(dir), 'kept during the grace period, so a reload does not lose the meeting').toBe(true);
  });

  await test.step('after the grace period the conference\'s directory is gone', async () => {
    await expect
      .poll(() => fs.existsSync(dir), { message: 'attachment directory removed', timeout: GRACE_MS + 10_000 })
      .toBe(false);
  });

  await test.step('the same link now opens a fresh meeting: no old chat', async () => {
    await carol.join(id);
    await expect(carol.chat.unread).toHaveCount(0);
    await carol.chat.open();
    await expect(carol.chat.messages).toHaveCount(0);
  });

  serverLog.expectNoneOf([alice.name, bob.name, carol.name, text, fileName]);
});
