/**
 * Accessibility checks with axe-core, run inside the page under test.
 *
 * `@axe-core/playwright` reads axe's script from `node_modules` and injects it through Playwright (no
 * request from the page, so the fixtures' guard stays quiet and the CSP does not apply); it also
 * opens a blank page of the same context for axe's last step, which loads nothing either.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** The impacts that fail a test; "minor" and "moderate" findings are left to judgement. */
const FAILING = new Set(['serious', 'critical']);

/** Fails with every serious or critical axe violation on the page as it is now. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const failing = results.violations
    .filter((v) => FAILING.has(v.impact ?? ''))
    .map((v) => ({ rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  expect(failing, `no serious or critical accessibility violation on ${where}`).toEqual([]);
}
