/** Page object of the meeting room: participant tiles, mic/cam toggles, leaving. */
import { expect, type Locator, type Page } from '@playwright/test';
import { setPressed } from './prejoin';

export class RoomPage {
  readonly tiles: Locator;
  readonly selfTile: Locator;
  readonly remoteTiles: Locator;
  readonly toggleMic: Locator;
  readonly toggleCam: Locator;
  readonly leaveButton: Locator;
  readonly leftPage: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.tiles = page.getByTestId('tile');
    this.selfTile = this.tiles.and(page.locator('[data-self="true"]'));
    this.remoteTiles = this.tiles.and(page.locator('[data-self="false"]'));
    this.toggleMic = page.getByTestId('toggle-mic');
    this.toggleCam = page.getByTestId('toggle-cam');
    this.leaveButton = page.getByTestId('leave');
    this.leftPage = page.getByTestId('left-page');
    this.error = page.getByTestId('error');
  }

  /** The tile showing participant `id`. */
  tile(id: string): Locator {
    return this.tiles.and(this.page.locator(`[data-participant-id="${id}"]`));
  }

  async expectJoined(): Promise<void> {
    await expect(this.selfTile).toBeVisible();
  }

  /** This participant's id, as the server assigned it. */
  async selfId(): Promise<string> {
    const id = await this.selfTile.getAttribute('data-participant-id');
    if (!id) throw new Error('the own tile has no data-participant-id');
    return id;
  }

  /** The names on all tiles, sorted. */
  async names(): Promise<string[]> {
    return (await this.tiles.getByTestId('tile-name').allInnerTexts()).map((n) => n.trim()).sort();
  }

  async setMic(on: boolean): Promise<void> {
    await setPressed(this.toggleMic, on);
  }

  async setCam(on: boolean): Promise<void> {
    await setPressed(this.toggleCam, on);
  }

  async leave(): Promise<void> {
    await this.leaveButton.click();
    await expect(this.leftPage).toBeVisible();
  }
}
