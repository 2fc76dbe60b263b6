/** Page object of the home page (`/`): start a new meeting or join one by link or id. */
import { expect, type Locator, type Page } from '@playwright/test';

export class HomePage {
  readonly newMeetingButton: Locator;
  readonly joinInput: Locator;
  readonly joinSubmit: Locator;
  readonly joinError: Locator;

  constructor(readonly page: Page) {
    this.newMeetingButton = page.getByTestId('new-meeting');
    this.joinInput = page.getByTestId('join-input');
    this.joinSubmit = page.getByTestId('join-submit');
    this.joinError = page.getByTestId('join-error');
  }

  async goto(): Promise<void> {
    await this.page.goto('/');
  }

  /** Clicks "New meeting" and returns the meeting id the app navigated to. */
  async newMeeting(): Promise<string> {
    return (await this.newModeratedMeeting()).id;
  }

  /**
   * Clicks "New meeting" and returns the new meeting's id and the moderator key from the moderator
   * link the app navigated to (`/m/<id>#mod=<key>`).
   */
  async newModeratedMeeting(): Promise<{ id: string; key: string }> {
    await this.newMeetingButton.click();
    await this.page.waitForURL(/\/m\/[^/?#]+#mod=[^&#]+$/);
    const url = new URL(this.page.url());
    return { id: meetingIdOf(this.page.url()), key: url.hash.replace(/^#mod=/, '') };
  }

  /** Types a meeting link or id into the join form and submits it. */
  async join(linkOrId: string): Promise<void> {
    await this.joinInput.fill(linkOrId);
    await this.joinSubmit.click();
  }

  async expectJoinError(): Promise<void> {
    await expect(this.joinError).toBeVisible();
  }
}

/** The meeting id of a `/m/<id>` URL. */
export function meetingIdOf(url: string): string {
  const match = new URL(url).pathname.match(/^\/m\/([^/]+)$/);
  if (!match) throw new Error(`not a meeting URL: ${url}`);
  return match[1];
}
