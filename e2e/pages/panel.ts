/** What the side panels (chat, participants) have in common: a toggle that shows and hides them. */
import { expect, type Locator } from '@playwright/test';

/** Clicks `toggle` unless `panel` already is as wanted, then checks that it is. */
export async function setShown(toggle: Locator, panel: Locator, shown: boolean): Promise<void> {
  if ((await panel.isVisible()) !== shown) await toggle.click();
  if (shown) await expect(panel).toBeVisible();
  else await expect(panel).toBeHidden();
}
