/**
 * Shutting the server down during a meeting (SIGTERM, as systemd does): every participant sees that
 * the server is restarting, the meeting ends the normal way (its files purged), and the server exits
 * within 5 s. On a server of the spec's own, so the run's shared one keeps serving the other specs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { attachmentFiles } from '../disk';
import type { Browser } from '@playwright/test';
import { expect, type Guard, test } from '../fixtures';
import { OwnServer } from '../own-server';
import type { Participant } from '../participant';

/** Two participants in a meeting on `server`, and the meeting's id. */
async function meetingOn(server: OwnServer, browser: Browser, guard: Guard): Promise<[Participant[], string]> {
  const t = crypto.randomBytes(5).toString('hex');
  const people = await server.participants(browser, guard, `Alice-${t}`, `Bob-${t}`);
  const [alice, bob] = people;
  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  return [people, id];
}

/** Alice sends a file in the chat; it is on `server`'s disk. Returns its name. */
async function shareFile(server: OwnServer, [alice, bob]: Participant[]): Promise<string> {
  const fileName = `File-Secret-${crypto.randomBytes(5).toString('hex')}.txt`;
  const filePath = test.info().outputPath(fileName);
  fs.writeFileSync(filePath, 'the minutes');
  await alice.chat.open();
  await alice.chat.sendFile(filePath);
  await expect(bob.chat.attachmentMessage(fileName)).toHaveCount(1);
  expect(attachmentFiles(server.attachmentDir), 'the file is on the server').toHaveLength(1);
  return fileName;
}

test('SIGTERM during a meeting: everyone sees the restart notice, no file is left, the server exits within 5 s', async ({
  browser,
  guard,
}) => {
  const server = await OwnServer.start();
  try {
    const [people] = await meetingOn(server, browser, guard);
    const [alice, bob] = people;
    const fileName = await shareFile(server, people);

    const exit = await server.stop('SIGTERM');
    expect(exit, 'a clean exit').toMatchObject({ code: 0, signal: null });
    expect(exit.ms, 'within 5 s of the signal').toBeLessThan(5000);
    for (const p of people) {
      // The meeting ended the normal way (its receipt, counting the purged file) and they are told why.
      await expect(p.page.getByTestId('ended-page')).toBeVisible();
      await expect(p.page.getByTestId('server-restarting')).toHaveText(/server is restarting|neu gestartet/);
      await expect(p.page.getByTestId('receipt-files')).toHaveText('1');
    }
    expect(attachmentFiles(server.attachmentDir), 'no file is left').toEqual([]);
    const log = fs.readFileSync(server.log, 'utf8');
    expect(log).toContain('conference ended');
    for (const secret of [alice.name, bob.name, fileName]) expect(log).not.toContain(secret);
    await Promise.all(people.map((p) => p.context.close()));
  } finally {
    await server.dispose();
  }
});

test('after kill -9 and a restart, pages that stayed open rejoin by themselves; the start-up sweep removed the files', async ({
  browser,
  guard,
}) => {
  const server = await OwnServer.start();
  try {
    const [people] = await meetingOn(server, browser, guard);
    await shareFile(server, people);

    const exit = await server.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    for (const p of people) {
      await expect(p.page.getByTestId('connection-lost')).toBeVisible();
      await expect(p.page.getByTestId('auto-rejoin')).toBeVisible();
    }
    expect(attachmentFiles(server.attachmentDir), 'the dead process left its file').toHaveLength(1);

    await server.restart();
    expect(attachmentFiles(server.attachmentDir), 'the start-up sweep removed it').toEqual([]);
    for (const p of people) {
      // Back in the same meeting, without a click: both tiles again.
      await expect(p.room.tiles).toHaveCount(2, { timeout: 20_000 });
    }
    await Promise.all(people.map((p) => p.context.close()));
  } finally {
    await server.dispose();
  }
});
