/**
 * The privacy notice in the product: the home page links `/privacy`, which the server renders with
 * the details of its `[privacy]` configuration (e2e/treff.e2e.toml) in German and English, picked by
 * the browser's language and switchable on the page, accessible, and loading nothing from elsewhere.
 */
import { expectAccessible } from '../a11y';
import { expect, test } from '../fixtures';
import { NOTICE, ORIGIN } from '../server';

const LANGUAGES = [
  { locale: 'de-DE', lang: 'de', heading: /Datenschutzinformation/, other: 'en', otherHeading: /Privacy notice/ },
  { locale: 'en-GB', lang: 'en', heading: /Privacy notice/, other: 'de', otherHeading: /Datenschutzinformation/ },
];

for (const l of LANGUAGES) {
  test(`/privacy shows the configured controller in the browser's language (${l.locale}) and in the other`, async ({
    browser,
    guard,
  }) => {
    const context = await browser.newContext({ baseURL: ORIGIN, locale: l.locale });
    await guard.watch(context);
    const page = await context.newPage();
    await page.goto('/');
    await page.getByTestId('privacy-link').click();
    await expect(page).toHaveURL(`${ORIGIN}/privacy`);

    const shows = async (lang: string, heading: RegExp) => {
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(page.locator('h1')).toHaveText(heading);
      await expect(page.getByTestId('notice-controller')).toContainText(NOTICE.controller);
      await expect(page.getByTestId('notice-controller')).toContainText('info@testverein.example');
      await expect(page.getByTestId('notice-dpo')).toContainText(NOTICE.dpo);
      await expect(page.getByTestId('notice-authority')).toContainText(NOTICE.authority);
      await expect(page.getByTestId('notice-version')).toContainText(NOTICE.version);
      // The shipped example's organisation is not what this server is configured with.
      await expect(page.locator('body')).not.toContainText('Caritasverband');
    };
    await shows(l.lang, l.heading);
    await expectAccessible(page, `the privacy notice (${l.lang})`);
    await page.getByTestId('notice-other-language').click();
    await expect(page).toHaveURL(`${ORIGIN}/privacy?lang=${l.other}`);
    await shows(l.other, l.otherHeading);
    await context.close();
  });
}
