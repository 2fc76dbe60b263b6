/**
 * Page object of the view after leaving: "you left", or "the meeting has ended" with the deletion
 * receipt (counts and times only).
 */
import type { Locator, Page } from '@playwright/test';

export class LeftPage {
  readonly root: Locator;
  readonly receipt: Locator;
  readonly messages: Locator;
  readonly files: Locator;
  readonly bytes: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('left-page');
    this.receipt = page.getByTestId('deletion-receipt');
    this.messages = this.receipt.getByTestId('receipt-messages');
    this.files = this.receipt.getByTestId('receipt-files');
    this.bytes = this.receipt.getByTestId('receipt-bytes');
  }

  /** A number of the receipt. */
  static async count(field: Locator): Promise<number> {
    const text = (await field.innerText()).trim();
    if (!/^\d+$/.test(text)) throw new Error(`not a count: ${JSON.stringify(text)}`);
    return Number(text);
  }
}
