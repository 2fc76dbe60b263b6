/**
 * Page object of the room's stage: shared screens (presentations), the screen-sharing and view
 * toggles, and the layout (`data-view`) of the room.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { setPressed } from './prejoin';

export class StagePage {
  readonly room: Locator;
  readonly presentations: Locator;
  readonly toggleScreen: Locator;
  readonly viewToggle: Locator;

  constructor(readonly page: Page) {
    this.room = page.getByTestId('room');
    this.presentations = page.getByTestId('presentation');
    this.toggleScreen = page.getByTestId('toggle-screen');
    this.viewToggle = page.getByTestId('view-toggle');
  }

  /** Participant `id`'s shared screen. */
  presentation(id: string): Locator {
    return this.presentations.and(this.page.locator(`[data-participant-id="${id}"]`));
  }

  /** Starts or stops sharing the screen; the toggle follows at once. */
  async setSharing(on: boolean): Promise<void> {
    await setPressed(this.toggleScreen, on);
  }

  /** Switches to speaker view (`true`) or tile view and checks the room's layout follows. */
  async setSpeakerView(on: boolean): Promise<void> {
    await setPressed(this.viewToggle, on);
    await expect(this.room).toHaveAttribute('data-view', on ? 'speaker' : 'tile');
  }
}
