/**
 * Page object of the participants panel: everyone with mic, camera and hand state, raised hands
 * first in the order they went up.
 */
import type { Locator, Page } from '@playwright/test';
import { setShown } from './panel';

/** A row as the panel lists it: participant id and hand position ("1", "2", … or null). */
export type RosterEntry = [id: string, handPosition: string | null];

export class ParticipantsPanel {
  readonly toggle: Locator;
  readonly panel: Locator;
  readonly rows: Locator;

  constructor(readonly page: Page) {
    this.toggle = page.getByTestId('participants-toggle');
    this.panel = page.getByTestId('participants-panel');
    this.rows = this.panel.getByTestId('participant-row');
  }

  async open(): Promise<void> {
    await setShown(this.toggle, this.panel, true);
  }

  async close(): Promise<void> {
    await setShown(this.toggle, this.panel, false);
  }

  /** The row of participant `id`. */
  row(id: string): Locator {
    return this.rows.and(this.page.locator(`[data-participant-id="${id}"]`));
  }

  /** The rows from top to bottom. */
  async order(): Promise<RosterEntry[]> {
    return this.rows.evaluateAll((rows) =>
      rows.map((r): [string, string | null] => [r.getAttribute('data-participant-id') ?? '', r.getAttribute('data-hand-position')]),
    );
  }
}
