/**
 * "My data" (R10 of the privacy notice): a participant sees what the server holds about them right
 * now (name, role, their session-log entries, their own chat messages) and nothing of anyone else's,
 * and downloads the same as JSON. The session log's entries come from the real requests (R7).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { attachmentFiles } from '../disk';
import { expect, test } from '../fixtures';
import { treffAdmin } from '../admin';
import { NOTICE, ORIGIN } from '../server';

test('My data shows my own name, messages and log entries, not the other\'s, and downloads them as JSON', async ({
  participants,
  serverLog,
}) => {
  const t = crypto.randomBytes(5).toString('hex');
  const [alice, bob] = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`);
  const mine = `Chat-Secret-${t}-mine`;
  const privateToBob = `Chat-Secret-${t}-psst`;
  const bobs = `Chat-Secret-${t}-bobs`;

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  const bobId = await bob.room.selfId();

  await alice.chat.send(mine);
  await alice.chat.send(privateToBob, bobId);
  await bob.chat.send(bobs);
  await expect(alice.chat.message(bobs)).toHaveCount(1);

  const dialog = alice.page.getByTestId('my-data');
  await alice.page.getByTestId('my-data-button').click();
  await expect(dialog).toBeVisible();

  await test.step('the dialog shows what the server holds about Alice, nothing of Bob', async () => {
    await expect(dialog.getByTestId('my-data-name')).toHaveText(alice.name);
    const messages = dialog.getByTestId('my-data-message');
    await expect(messages).toHaveCount(2);
    await expect(messages.nth(0)).toContainText(mine);
    await expect(messages.nth(1)).toContainText(privateToBob);
    await expect(dialog).not.toContainText(bobs);
    await expect(dialog).not.toContainText(bob.name);
    const entries = dialog.getByTestId('my-data-log-entry');
    await expect(entries, 'one entry: her join (the page made no upload or download)').toHaveCount(1);
    await expect(entries.first()).toContainText('Chrome');
    await expect(entries.first().getByTestId('my-data-address')).toHaveText('127.0.0.1');
  });

  await test.step('the JSON download holds the same', async () => {
    const [download] = await Promise.all([
      alice.page.waitForEvent('download'),
      dialog.getByTestId('my-data-download').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^treff-my-data-\d{4}-\d\d-\d\d\.json$/);
    const data = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    expect(data.name).toBe(alice.name);
    expect(data.messages.map((m: { text: string }) => m.text)).toEqual([mine, privateToBob]);
    expect(data.log).toHaveLength(1);
    expect(data.log[0]).toMatchObject({ event: 'join', address: '127.0.0.1' });
    expect(data.log[0].browser).toMatch(/^Chrome \d+/);
    expect(data.notice_version).toBe(NOTICE.version);
    expect(data.log_on_hold).toBe(false);
    expect(JSON.stringify(data)).not.toContain(bobs);
  });

  await test.step('the privacy status: how data travels, no recording, the log ends with the meeting', async () => {
    const status = dialog.getByTestId('privacy-status');
    await expect(status.getByTestId('privacy-status-tls'), 'served over plain http in the test').toHaveText(
      /not encrypted by TLS|ohne TLS/,
    );
    await expect(status.getByTestId('privacy-status-recording')).toHaveText(/Recording: none|Aufzeichnung: keine/);
    await expect(status.getByTestId('privacy-status-log')).toHaveText(/deleted when the meeting ends|gelöscht, wenn/);
    const notice = status.getByTestId('privacy-status-notice');
    await expect(notice).toContainText(NOTICE.version);
    await expect(notice).toHaveAttribute('href', '/privacy');
  });

  await dialog.getByTestId('my-data-close').click();
  await expect(dialog).toBeHidden();
  serverLog.expectNoneOf([alice.name, bob.name, mine, privateToBob, bobs]);
});

test('a rename reaches the other at once; an erased message and its file leave the other\'s view and the server', async ({
  participants,
  serverLog,
}) => {
  const t = crypto.randomBytes(5).toString('hex');
  const [alice, bob] = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`);
  const newName = `Alicia-Secret-${t}`;
  const caption = `Chat-Secret-${t}-caption`;
  const fileName = `File-Secret-${t}.txt`;
  const filePath = test.info().outputPath(fileName);
  fs.writeFileSync(filePath, `the minutes ${t}`);

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  const filesBefore = new Set(attachmentFiles());

  await alice.chat.open();
  await alice.chat.input.fill(caption);
  await alice.chat.sendFile(filePath);
  await expect(bob.chat.attachmentMessage(fileName)).toHaveCount(1);
  const stored = attachmentFiles().filter((f) => !filesBefore.has(f));
  expect(stored, 'the file is on the server').toHaveLength(1);

  await test.step('Alice renames herself in My data: Bob sees the new name on her tile and message', async () => {
    await alice.page.getByTestId('my-data-button').click();
    const dialog = alice.page.getByTestId('my-data');
    await dialog.getByTestId('my-data-new-name').fill(newName);
    await dialog.getByTestId('my-data-rename').click();
    await expect(dialog.getByTestId('my-data-name')).toHaveText(newName);
    await dialog.getByTestId('my-data-close').click();
    await expect.poll(() => bob.room.names()).toContain(newName);
    await expect(bob.chat.attachmentMessage(fileName).getByTestId('chat-message-name')).toHaveText(newName);
  });

  await test.step('Alice erases her message: gone for Bob, and the file is gone from the server', async () => {
    await alice.chat.attachmentMessage(fileName).getByTestId('chat-erase').click();
    await expect(alice.chat.attachmentMessage(fileName)).toHaveCount(0);
    await expect(bob.chat.attachmentMessage(fileName)).toHaveCount(0);
    await expect(bob.chat.messages).toHaveCount(0);
    expect(fs.existsSync(stored[0]), 'the file is deleted at once').toBe(false);
    await expect(bob.chat.message(caption)).toHaveCount(0);
  });

  await expect(
    alice.chat.messages.getByTestId('chat-erase'),
    'nothing left to erase',
  ).toHaveCount(0);
  await expect(bob.chat.messages.getByTestId('chat-erase'), 'Bob never gets an erase button for Alice\'s messages').toHaveCount(0);
  serverLog.expectNoneOf([alice.name, bob.name, newName, caption, fileName]);
});

test('an operator\'s incident hold shows in the privacy status, and its release too', async ({ participants }) => {
  const [alice] = await participants('Alice');
  const id = await alice.newMeeting();
  await alice.join(id);
  const dialog = alice.page.getByTestId('my-data');
  const log = dialog.getByTestId('privacy-status-log');
  const reopen = async () => {
    await dialog.getByTestId('my-data-close').click();
    await alice.page.getByTestId('my-data-button').click();
  };
  await alice.page.getByTestId('my-data-button').click();
  await expect(log).toHaveText(/deleted when the meeting ends|gelöscht, wenn/);

  const held = treffAdmin('hold', `${ORIGIN}/m/${id}`, '--reason', 'e2e: reported intrusion', '--for', '1h');
  const hold = held.match(/^held (\S+) until /)?.[1];
  expect(hold, held).toBeTruthy();
  await reopen();
  await expect(log).toHaveText(/kept for a security incident|Sicherheitsvorfalls/);

  treffAdmin('release', hold ?? '');
  await reopen();
  await expect(log).toHaveText(/deleted when the meeting ends|gelöscht, wenn/);
  expect(treffAdmin('list')).toContain('no holds');
});
