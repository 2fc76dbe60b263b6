/**
 * Page object of the chat in the room: the toggle with its unread badge, the panel, the composer
 * (recipient, text, attachment) and the messages, plus downloads (attachments and the transcript).
 */
import fs from 'node:fs';
import type { Download, Locator, Page } from '@playwright/test';
import { setShown } from './panel';

export class ChatPanel {
  readonly toggle: Locator;
  /** The unread badge on the toggle; absent while nothing is unread. */
  readonly unread: Locator;
  readonly panel: Locator;
  readonly messages: Locator;
  readonly input: Locator;
  readonly sendButton: Locator;
  readonly recipient: Locator;
  /** The `<input type=file>` itself, for `setInputFiles`. */
  readonly attach: Locator;
  readonly progress: Locator;
  readonly error: Locator;
  readonly exportButton: Locator;

  constructor(readonly page: Page) {
    this.toggle = page.getByTestId('chat-toggle');
    this.unread = page.getByTestId('chat-unread');
    this.panel = page.getByTestId('chat-panel');
    this.messages = page.getByTestId('chat-message');
    this.input = page.getByTestId('chat-input');
    this.sendButton = page.getByTestId('chat-send');
    this.recipient = page.getByTestId('chat-recipient');
    this.attach = page.getByTestId('chat-attach');
    this.progress = page.getByTestId('chat-upload-progress');
    this.error = page.getByTestId('chat-error');
    this.exportButton = page.getByTestId('chat-export');
  }

  async open(): Promise<void> {
    await setShown(this.toggle, this.panel, true);
  }

  async close(): Promise<void> {
    await setShown(this.toggle, this.panel, false);
  }

  /** Chooses the recipient: a participant id for a private message, `undefined` for everyone. */
  async to(participantId?: string): Promise<void> {
    await this.recipient.selectOption(participantId ?? '');
  }

  /** Opens the panel and sends `text` with Enter, to everyone or privately to `participantId`. */
  async send(text: string, participantId?: string): Promise<void> {
    await this.open();
    await this.to(participantId);
    await this.input.fill(text);
    await this.input.press('Enter');
  }

  /** Opens the panel and sends the file at `path` (with whatever text is in the composer). */
  async sendFile(path: string, participantId?: string): Promise<void> {
    await this.open();
    await this.to(participantId);
    await this.attach.setInputFiles(path);
  }

  /** The messages whose text contains `text`. */
  message(text: string): Locator {
    return this.messages.filter({ has: this.page.getByTestId('chat-message-text').filter({ hasText: text }) });
  }

  /** The messages carrying an attachment named `fileName`. */
  attachmentMessage(fileName: string): Locator {
    return this.messages.filter({ has: this.page.getByTestId('chat-attachment').filter({ hasText: fileName }) });
  }

  /** Clicks the download button of attachment `fileName` and returns the finished download. */
  async download(fileName: string): Promise<Download> {
    await this.open();
    const button = this.attachmentMessage(fileName).getByTestId('chat-attachment');
    const [download] = await Promise.all([this.page.waitForEvent('download'), button.click()]);
    return download;
  }

  /** Downloads the chat transcript and returns its text. */
  async exportTranscript(): Promise<{ fileName: string; text: string }> {
    await this.open();
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.exportButton.click()]);
    return { fileName: download.suggestedFilename(), text: await downloadedText(download) };
  }
}

/** The bytes of a finished download. */
export async function downloadedBytes(download: Download): Promise<Buffer> {
  const path = await download.path();
  return fs.readFileSync(path);
}

async function downloadedText(download: Download): Promise<string> {
  return (await downloadedBytes(download)).toString('utf8');
}
