/**
 * Chat with attachments (R3): messages both ways with an unread badge, private messages reaching only
 * their addressee, a late joiner's history, a file sent and downloaded byte for byte, the limits the
 * browser and the server enforce, the transcript made in the browser, and the deletion receipt when
 * the last participant leaves (R8).
 *
 * Every name, text and file name carries a random tag (`…-Secret-<tag>`), so the check that the
 * server's log holds none of them (R7/R8: operational logs never hold personal data) is meaningful.
 * Camera and microphone stay off: these tests are about the chat, and two cores are better spent on it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from '../fixtures';
import { downloadedBytes } from '../pages/chat';
import { LeftPage } from '../pages/left';

/** A fresh random tag per test. */
function tag(): string {
  return crypto.randomBytes(5).toString('hex');
}

/** Counts the page's uploads (POST to the attachment API) from now on. */
function countUploads(page: Page): () => number {
  let uploads = 0;
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname.startsWith('/api/attachments')) uploads += 1;
  });
  return () => uploads;
}

test('two participants chat both ways; the badge counts unread messages; the transcript is made locally', async ({
  participants,
  serverLog,
}) => {
  const t = tag();
  const [alice, bob] = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`);
  const hello = `Chat-Secret-${t}-hello`;
  const second = `Chat-Secret-${t}-second https://example.invalid/Chat-Secret-${t}-link`;
  const answer = [`Chat-Secret-${t}-answer line one`, `Chat-Secret-${t}-answer line two`];

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  const aliceId = await alice.room.selfId();
  const bobId = await bob.room.selfId();

  await test.step('Alice writes twice while Bob\'s panel is closed: his badge counts 1, then 2', async () => {
    await expect(bob.chat.panel).toBeHidden();
    await expect(bob.chat.unread).toHaveCount(0);

    await alice.chat.send(hello);
    const mine = alice.chat.message(hello);
    await expect(mine).toHaveCount(1);
    await expect(mine.getByTestId('chat-message-name')).toHaveText(alice.name);
    await expect(mine).toHaveAttribute('data-from', aliceId);
    await expect(mine).toHaveAttribute('data-private', 'false');
    await expect(mine.getByTestId('chat-message-time')).toHaveText(/^\d\d:\d\d$/);
    await expect(alice.chat.input, 'the composer is empty after sending').toHaveValue('');
    await expect(bob.chat.unread).toHaveText('1');

    await alice.chat.send(second);
    await expect(bob.chat.unread).toHaveText('2');
    // Alice's own messages never count as unread for her.
    await expect(alice.chat.unread).toHaveCount(0);
  });

  await test.step('Bob opens the chat: both messages with Alice\'s name, the badge is gone', async () => {
    await bob.chat.open();
    await expect(bob.chat.unread).toHaveCount(0);
    for (const text of [hello, second]) {
      const message = bob.chat.message(text);
      await expect(message).toHaveCount(1);
      await expect(message.getByTestId('chat-message-name')).toHaveText(alice.name);
      await expect(message).toHaveAttribute('data-from', aliceId);
    }
  });

  await test.step('a link stays plain text: no anchor, nothing fetched (the guard fails on any request)', async () => {
    for (const p of [alice, bob]) {
      const message = p.chat.message(second);
      await expect(message.getByTestId('chat-message-text')).toHaveText(second);
      await expect(message.locator('a, img, iframe')).toHaveCount(0);
    }
  });

  await test.step('Bob answers over two lines (Shift+Enter), sent with Enter; Alice sees it at once', async () => {
    await bob.chat.input.fill(answer[0]);
    await bob.chat.input.press('Shift+Enter');
    await bob.chat.input.pressSequentially(answer[1]);
    await bob.chat.input.press('Enter');
    const message = alice.chat.message(answer[1]);
    await expect(message).toHaveCount(1);
    await expect(message.getByTestId('chat-message-name')).toHaveText(bob.name);
    await expect(message).toHaveAttribute('data-from', bobId);
    expect(await message.getByTestId('chat-message-text').innerText()).toBe(answer.join('\n'));
    // Alice's panel is open: nothing is unread.
    await expect(alice.chat.unread).toHaveCount(0);
  });

  await test.step('the send button sends too', async () => {
    await alice.chat.input.fill(`Chat-Secret-${t}-button`);
    await alice.chat.sendButton.click();
    await expect(bob.chat.message(`Chat-Secret-${t}-button`)).toHaveCount(1);
  });

  await test.step('Bob downloads the transcript: made in the browser, one line per message', async () => {
    const { fileName, text } = await bob.chat.exportTranscript();
    expect(fileName).toMatch(/^treff-chat-\d{4}-\d\d-\d\d\.txt$/);
    expect(text).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${alice.name}: ${hello}$`, 'm'));
    expect(text).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${bob.name}: ${answer[0]}$`, 'm'));
    // The second line of a message is indented, so it can never pass for a message of its own.
    expect(text).toContain(`\n    ${answer[1]}\n`);
  });

  serverLog.expectNoneOf([alice.name, bob.name, hello, second, ...answer, `Chat-Secret-${t}`]);
});

test('three participants: a private message reaches its addressee only', async ({ participants, serverLog }) => {
  const t = tag();
  const all = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`, `Carol-Secret-${t}`);
  const [alice, bob, carol] = all;
  const secret = `Chat-Secret-${t}-private`;
  const reply = `Chat-Secret-${t}-private-reply`;
  const publicText = `Chat-Secret-${t}-public`;

  const id = await alice.newMeeting();
  for (const p of all) await p.join(id);
  for (const p of all) await expect(p.room.tiles).toHaveCount(3);
  const [aliceId, bobId, carolId] = await Promise.all(all.map((p) => p.room.selfId()));

  await test.step('the recipient list: everyone, then each other participant, never oneself', async () => {
    await alice.chat.open();
    const values = await alice.chat.recipient.locator('option').evaluateAll((options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    expect(values).toEqual(['', bobId, carolId]);
  });

  await test.step('Alice writes to Bob privately: both see it marked private, Carol gets nothing', async () => {
    await alice.chat.send(secret, bobId);
    const sent = alice.chat.message(secret);
    await expect(sent).toHaveAttribute('data-private', 'true');
    await expect(sent).toContainText(bob.name);

    await expect(bob.chat.unread).toHaveText('1');
    await bob.chat.open();
    const received = bob.chat.message(secret);
    await expect(received).toHaveAttribute('data-private', 'true');
    await expect(received).toHaveAttribute('data-from', aliceId);
    await expect(received.getByTestId('chat-message-name')).toHaveText(alice.name);

    // Bob replies privately; then Alice writes to everyone. Messages reach Carol in order, so once
    // she has the public one, the private ones would have been there before it.
    await bob.chat.send(reply, aliceId);
    await expect(alice.chat.message(reply)).toHaveAttribute('data-private', 'true');
    await alice.chat.send(publicText);
    await expect(carol.chat.unread).toHaveText('1');
    await carol.chat.open();
    await expect(carol.chat.message(publicText)).toHaveAttribute('data-private', 'false');
    await expect(carol.chat.messages).toHaveCount(1);
    await expect(carol.chat.panel).not.toContainText(secret);
    await expect(carol.chat.panel).not.toContainText(reply);
  });

  await test.step('Bob\'s choice of recipient stays for the next message, and is marked in the transcript', async () => {
    await expect(bob.chat.recipient).toHaveValue(aliceId);
    const { text } = await bob.chat.exportTranscript();
    expect(text).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${alice.name} \\(private to you\\): ${secret}$`, 'm'));
    expect(text).toMatch(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${bob.name} \\(private to ${alice.name}\\): ${reply}$`, 'm'));
  });

  serverLog.expectNoneOf([...all.map((p) => p.name), secret, reply, publicText]);
});

test('a late joiner sees the history sent to everyone, and no private message', async ({ participants, serverLog }) => {
  const t = tag();
  const [alice, bob, carol] = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`, `Carol-Secret-${t}`);
  const first = `Chat-Secret-${t}-first`;
  const privateText = `Chat-Secret-${t}-private`;
  const last = `Chat-Secret-${t}-last`;

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  const bobId = await bob.room.selfId();

  await alice.chat.send(first);
  await alice.chat.send(privateText, bobId);
  await bob.chat.send(last);
  await expect(alice.chat.message(last)).toHaveCount(1);

  await carol.join(id);
  await test.step('Carol has the two public messages as unread history, in order, with their senders', async () => {
    await expect(carol.chat.unread).toHaveText('2');
    await carol.chat.open();
    await expect(carol.chat.messages).toHaveCount(2);
    await expect(carol.chat.messages.getByTestId('chat-message-text')).toHaveText([first, last]);
    await expect(carol.chat.messages.getByTestId('chat-message-name')).toHaveText([alice.name, bob.name]);
    await expect(carol.chat.panel).not.toContainText(privateText);
  });

  await test.step('and she takes part at once', async () => {
    const hi = `Chat-Secret-${t}-carol`;
    await carol.chat.send(hi);
    await expect(alice.chat.message(hi).getByTestId('chat-message-name')).toHaveText(carol.name);
  });

  serverLog.expectNoneOf([alice.name, bob.name, carol.name, first, privateText, last]);
});

test('a file sent by one participant is downloaded by the other, byte for byte; the last one out gets the receipt', async ({
  participants,
  serverLog,
}) => {
  const t = tag();
  const [alice, bob] = await participants(`Alice-Secret-${t}`, `Bob-Secret-${t}`);
  const fileName = `File-Secret-${t} Bericht.bin`;
  const caption = `Chat-Secret-${t}-caption`;
  const content = crypto.randomBytes(200 * 1024);
  const filePath = test.info().outputPath(fileName);
  fs.writeFileSync(filePath, content);
  const hugeName = `Huge-Secret-${t}.bin`;
  const hugePath = test.info().outputPath(hugeName);
  // One byte over the 25 MiB limit; sparse, so it costs no disk.
  fs.writeFileSync(hugePath, '');
  fs.truncateSync(hugePath, 25 * 1024 * 1024 + 1);

  const id = await alice.newMeeting();
  await alice.join(id);
  await bob.join(id);
  await expect(alice.room.tiles).toHaveCount(2);
  const uploads = countUploads(alice.page);

  await test.step('a file over the limit is refused in the browser, before any upload', async () => {
    await alice.chat.sendFile(hugePath);
    await expect(alice.chat.error).toContainText(/too large/i);
    expect(uploads(), 'no upload of a file over the limit').toBe(0);
    await expect(alice.chat.messages).toHaveCount(0);
  });

  await test.step('Alice sends a 200 KB file with a caption', async () => {
    await alice.chat.input.fill(caption);
    await alice.chat.sendFile(filePath);
    const sent = alice.chat.attachmentMessage(fileName);
    await expect(sent).toHaveCount(1);
    await expect(sent.getByTestId('chat-message-text')).toHaveText(caption);
    await expect(sent.getByTestId('chat-attachment')).toContainText('200 KB');
    await expect(alice.chat.progress, 'the progress bar goes with the upload').toHaveCount(0);
    await expect(alice.chat.error, 'a success clears the earlier problem').toHaveCount(0);
    expect(uploads()).toBe(1);
  });

  await test.step('Bob downloads it: same name, same bytes, never shown inline', async () => {
    await expect(bob.chat.unread).toHaveText('1');
    const download = await bob.chat.download(fileName);
    expect(download.suggestedFilename()).toBe(fileName);
    const bytes = await downloadedBytes(download);
    expect(bytes.length).toBe(content.length);
    expect(bytes.equals(content), 'the downloaded bytes are the uploaded ones').toBe(true);
    await expect(bob.chat.panel.locator('img, video, audio, iframe, object, embed')).toHaveCount(0);
  });

  await test.step('Bob leaves first: the meeting goes on, so no receipt for him', async () => {
    await bob.room.leave();
    await expect(bob.left.root).toHaveAttribute('data-ended', 'false');
    await expect(bob.left.receipt).toHaveCount(0);
  });

  await test.step('Alice leaves last: the meeting ends, and she sees what was deleted, in numbers', async () => {
    await alice.room.leave();
    await expect(alice.left.root).toHaveAttribute('data-ended', 'true');
    await expect(alice.left.receipt).toBeVisible();
    expect(await LeftPage.count(alice.left.messages)).toBe(1);
    expect(await LeftPage.count(alice.left.files)).toBe(1);
    expect(await LeftPage.count(alice.left.bytes)).toBeGreaterThanOrEqual(content.length);
    // Counts and times only: nothing of the content.
    for (const secret of [fileName, caption, alice.name, bob.name]) {
      await expect(alice.left.receipt).not.toContainText(secret);
    }
  });

  serverLog.expectNoneOf([alice.name, bob.name, fileName, caption, hugeName]);
});

test('limits: an over-long message is refused in the browser, a flood by the server, both explained', async ({
  participants,
  serverLog,
}) => {
  const t = tag();
  const [alice] = await participants(`Alice-Secret-${t}`);
  const id = await alice.newMeeting();
  await alice.join(id);
  const { chat } = alice;

  await test.step('4001 characters: refused before sending, the text stays in the composer', async () => {
    const long = `Chat-Secret-${t}-`.padEnd(4001, 'x');
    await chat.open();
    await chat.input.fill(long);
    await chat.input.press('Enter');
    await expect(chat.error).toContainText(/too long/i);
    await expect(chat.input).toHaveValue(long);
    await expect(chat.messages).toHaveCount(0);
  });

  await test.step('more messages at once than the burst allows: the server refuses, the UI says so', async () => {
    const texts = Array.from({ length: 14 }, (_, i) => `Chat-Secret-${t}-flood-${i}`);
    // Typed and sent within one task, as a script would: faster than the rate refills on any machine.
    await chat.input.evaluate((input, texts) => {
      const textarea = input as HTMLTextAreaElement;
      const send = document.querySelector<HTMLButtonElement>('[data-testid="chat-send"]');
      for (const text of texts) {
        textarea.value = text;
        textarea.dispatchEvent(new Event('input', { bubbles: true }));
        send?.click();
      }
    }, texts);
    await expect(chat.error).toContainText(/too many messages/i);
    // A refused text comes back into the empty composer, so nothing typed is lost.
    await expect(chat.input).not.toHaveValue('');
    const restored = await chat.input.inputValue();
    const shown = await chat.messages.getByTestId('chat-message-text').allInnerTexts();
    expect(shown.length).toBeLessThan(texts.length);
    expect(texts).toContain(restored);
    expect(shown).not.toContain(restored);
  });

  serverLog.expectNoneOf([alice.name, `Chat-Secret-${t}`]);
});
