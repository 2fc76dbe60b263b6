/**
 * Page object of the meeting room: participant tiles, the control bar (mic, camera, hand, reactions,
 * help, leaving) and the shortcut help dialog.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { setPressed } from './prejoin';

export class RoomPage {
  readonly tiles: Locator;
  readonly selfTile: Locator;
  readonly remoteTiles: Locator;
  readonly toggleMic: Locator;
  readonly toggleCam: Locator;
  readonly toggleHand: Locator;
  readonly reactionsButton: Locator;
  readonly reactionsMenu: Locator;
  readonly helpButton: Locator;
  readonly helpDialog: Locator;
  readonly leaveButton: Locator;
  readonly leftPage: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.tiles = page.getByTestId('tile');
    this.selfTile = this.tiles.and(page.locator('[data-self="true"]'));
    this.remoteTiles = this.tiles.and(page.locator('[data-self="false"]'));
    this.toggleMic = page.getByTestId('toggle-mic');
    this.toggleCam = page.getByTestId('toggle-cam');
    this.toggleHand = page.getByTestId('toggle-hand');
    this.reactionsButton = page.getByTestId('reactions-button');
    this.reactionsMenu = page.getByTestId('reactions-menu');
    this.helpButton = page.getByTestId('help-button');
    this.helpDialog = page.getByTestId('help-dialog');
    this.leaveButton = page.getByTestId('leave');
    this.leftPage = page.getByTestId('left-page');
    this.error = page.getByTestId('error');
  }

  /** The tile showing participant `id`. */
  tile(id: string): Locator {
    return this.tiles.and(this.page.locator(`[data-participant-id="${id}"]`));
  }

  /** The raised-hand indicator on participant `id`'s tile (absent while the hand is down). */
  tileHand(id: string): Locator {
    return this.tile(id).getByTestId('tile-hand');
  }

  /** The reactions floating over participant `id`'s tile. */
  tileReactions(id: string): Locator {
    return this.tile(id).getByTestId('tile-reaction');
  }

  /** The button of reaction `name` (its wire name, e.g. `thumbs_up`) in the reactions menu. */
  reaction(name: string): Locator {
    return this.page.getByTestId(`reaction-${name}`);
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

  /** Raises or lowers the hand and waits for the server's echo to set the toggle. */
  async setHand(raised: boolean): Promise<void> {
    await setPressed(this.toggleHand, raised);
  }

  /** Opens the reactions menu (if it is closed) and sends reaction `name`. */
  async react(name: string): Promise<void> {
    if (!(await this.reactionsMenu.isVisible())) await this.reactionsButton.click();
    await this.reaction(name).click();
  }

  async leave(): Promise<void> {
    await this.leaveButton.click();
    await expect(this.leftPage).toBeVisible();
  }
}
