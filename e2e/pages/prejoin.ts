/**
 * Page object of the pre-join page (`/m/<id>`): name, camera and microphone choice, preview, and
 * the notice of a recording in progress.
 * Privacy by default: both devices start off, and the name is only remembered when asked.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export class PreJoinPage {
  readonly nameInput: Locator;
  readonly rememberName: Locator;
  readonly mic: Locator;
  readonly cam: Locator;
  readonly preview: Locator;
  readonly cameraSelect: Locator;
  readonly micSelect: Locator;
  readonly privacyLink: Locator;
  readonly joinButton: Locator;
  /** "This meeting has a recording": shown while the running meeting has one. */
  readonly recordingNotice: Locator;
  /** With the moderator link only: to the meeting's recordings page. */
  readonly recordingsLink: Locator;
  /** Shown instead of the form when the link's meeting id is malformed. */
  readonly invalidRoom: Locator;

  constructor(readonly page: Page) {
    this.nameInput = page.getByTestId('name-input');
    this.rememberName = page.getByTestId('remember-name');
    this.mic = page.getByTestId('prejoin-mic');
    this.cam = page.getByTestId('prejoin-cam');
    this.preview = page.getByTestId('preview');
    this.cameraSelect = page.getByTestId('camera-select');
    this.micSelect = page.getByTestId('mic-select');
    this.privacyLink = page.getByTestId('privacy-link');
    this.joinButton = page.getByTestId('join-button');
    this.recordingNotice = page.getByTestId('prejoin-recording');
    this.recordingsLink = page.getByTestId('recordings-link');
    this.invalidRoom = page.getByTestId('invalid-room');
  }

  async goto(meetingId: string): Promise<void> {
    await this.page.goto(`/m/${meetingId}`);
    await expect(this.nameInput).toBeVisible();
  }

  async setName(name: string): Promise<void> {
    await this.nameInput.fill(name);
  }

  async setMic(on: boolean): Promise<void> {
    await setPressed(this.mic, on);
  }

  async setCam(on: boolean): Promise<void> {
    await setPressed(this.cam, on);
  }
}

/** Clicks a toggle button unless it already is in the wanted state, then checks the new state. */
export async function setPressed(toggle: Locator, on: boolean): Promise<void> {
  const wanted = String(on);
  if ((await toggle.getAttribute('aria-pressed')) !== wanted) await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', wanted);
}
