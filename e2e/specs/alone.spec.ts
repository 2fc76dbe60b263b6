/**
 * One participant: meeting links (R1), privacy by default before joining (camera, microphone and
 * name), the privacy notice, the server's security headers, joining alone, and invalid links.
 */
import type { Page } from '@playwright/test';
import { expectVideoShowing, liveTracks } from '../media';
import { HomePage } from '../pages/home';
import { PreJoinPage } from '../pages/prejoin';
import { expect, test } from '../fixtures';

test.describe('meeting links', () => {
  test('a new meeting id is base64url with at least 128 bits, and unique', async ({ page }) => {
    const home = new HomePage(page);
    await home.goto();
    const first = await home.newMeeting();
    await home.goto();
    const second = await home.newMeeting();

    for (const id of [first, second]) {
      expect(id, 'base64url alphabet, no padding').toMatch(/^[A-Za-z0-9_-]+$/);
      const bytes = Buffer.from(id, 'base64url');
      expect(bytes.length, `${id} decodes to at least 16 bytes`).toBeGreaterThanOrEqual(16);
      expect(bytes.toString('base64url'), 'canonical base64url').toBe(id);
    }
    expect(second).not.toBe(first);
  });

  test('the join form accepts a full meeting link', async ({ page }) => {
    const home = new HomePage(page);
    await home.goto();
    const id = await home.newMeeting();
    await home.goto();
    await home.join(new URL(`/m/${id}`, page.url()).href);
    await expect(page).toHaveURL(new RegExp(`/m/${id}$`));
  });

  test('an invalid meeting id is refused on the home page', async ({ page }) => {
    const home = new HomePage(page);
    await home.goto();
    await home.join('not a meeting');
    await home.expectJoinError();
    await expect(page).toHaveURL(/\/$/);
  });

  test('an invalid meeting link shows an error and never a room', async ({ page }) => {
    const prejoin = new PreJoinPage(page);
    // 3 bytes: far below 128 bits.
    await page.goto('/m/abcd');
    await expect(prejoin.invalidRoom).toBeVisible();
    await expect(prejoin.nameInput).toHaveCount(0);
    await expect(prejoin.joinButton).toHaveCount(0);
  });
});

test.describe('before joining', () => {
  test('camera and microphone are off and no device is open', async ({ participants }) => {
    const [alice] = await participants('Alice');
    const { prejoin, page } = alice;
    await alice.newMeeting();

    await expect(prejoin.mic).toHaveAttribute('aria-pressed', 'false');
    await expect(prejoin.cam).toHaveAttribute('aria-pressed', 'false');
    // The page is interactive (the name enables the join button) before devices are checked, so a
    // camera opened on page load would be caught.
    await prejoin.setName(alice.name);
    await expect(prejoin.joinButton).toBeEnabled();
    expect(await liveTracks(page), 'live camera/microphone tracks before any toggle').toBe(0);

    // The instrumentation sees a camera when there is one: turning it on shows the preview ...
    await prejoin.setCam(true);
    await expectVideoShowing(prejoin.preview);
    expect(await liveTracks(page, 'video')).toBe(1);
    expect(await liveTracks(page, 'audio'), 'the camera toggle must not open the microphone').toBe(0);
    // ... and turning it off releases the device, not just hides the picture.
    await prejoin.setCam(false);
    await expect.poll(() => liveTracks(page), { message: 'camera released' }).toBe(0);
  });

  test('the join button needs a name', async ({ participants }) => {
    const [alice] = await participants('Alice');
    const { prejoin } = alice;
    await alice.newMeeting();

    await expect(prejoin.joinButton).toBeDisabled();
    await prejoin.setName(alice.name);
    await expect(prejoin.joinButton).toBeEnabled();
    await prejoin.setName('');
    await expect(prejoin.joinButton).toBeDisabled();
  });

  test('the privacy notice is one click away and served by the server itself', async ({ participants }) => {
    const [alice] = await participants('Alice');
    await alice.newMeeting();

    const href = await alice.prejoin.privacyLink.getAttribute('href');
    expect(href, 'the privacy link has a target').toBeTruthy();
    const target = new URL(href ?? '', alice.page.url());
    expect(target.origin).toBe(new URL(alice.page.url()).origin);
    await alice.page.goto(target.href);
    await expect(alice.page.locator('body')).toContainText(/Datenschutz|privacy/i);
  });
});

test.describe('joining', () => {
  test('alone in a meeting: the own tile, devices off, the name only in memory', async ({ participants, serverLog }) => {
    // A distinctive name, to search storage and logs for it.
    const [alice] = await participants('Alice Zweiundvierzig');
    const id = await alice.newMeeting();
    await alice.join(id);

    const { room, page } = alice;
    await expect(room.tiles).toHaveCount(1);
    await expect(room.selfTile.getByTestId('tile-name')).toHaveText(alice.name);
    await expect(room.selfTile).toHaveAttribute('data-mic', 'off');
    await expect(room.selfTile).toHaveAttribute('data-cam', 'off');
    expect(await liveTracks(page), 'joined with devices off').toBe(0);

    expect(await browserStorage(page), 'the name is not stored in the browser unless asked').not.toContain(
      alice.name,
    );
    expect(serverLog.sinceTestStart(), 'the server log holds no names').not.toContain(alice.name);
  });

  test('"remember my name" stores the name in the browser', async ({ participants }) => {
    const [alice] = await participants('Alice Dreiundvierzig');
    const id = await alice.newMeeting();
    await alice.join(id, { rememberName: true });

    expect(await alice.page.evaluate(() => JSON.stringify({ ...localStorage }))).toContain(alice.name);
  });
});

test('security headers on every page', async ({ request }) => {
  for (const path of ['/', '/m/AAAAAAAAAAAAAAAAAAAAAA']) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(200);
    const headers = response.headers();

    const csp = parseCsp(headers['content-security-policy'] ?? '');
    expect(csp.get('default-src'), `${path}: default-src`).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors'), `${path}: frame-ancestors`).toEqual(["'none'"]);
    const sources = [...csp.values()].flat();
    // `'wasm-unsafe-eval'` (compiling the UI's wasm) is a different token and allowed.
    for (const forbidden of ["'unsafe-inline'", "'unsafe-eval'", '*']) {
      expect(sources, `${path}: CSP allows ${forbidden}`).not.toContain(forbidden);
    }

    expect(headers['referrer-policy'], `${path}: referrer-policy`).toBe('no-referrer');
    expect(headers['x-content-type-options'], `${path}: x-content-type-options`).toBe('nosniff');
  }
});

test('the UI is served brotli-compressed when the browser accepts it', async ({ request }) => {
  const index = await (await request.get('/')).text();
  const wasm = index.match(/href="(\/[^"]+_bg\.wasm)"/)?.[1];
  expect(wasm, 'index.html links the wasm').toBeTruthy();
  const plain = await request.get(wasm!, { headers: { 'accept-encoding': 'identity' } });
  const brotli = await request.get(wasm!, { headers: { 'accept-encoding': 'br' } });
  expect(plain.headers()['content-encoding']).toBeUndefined();
  expect(brotli.headers()['content-encoding']).toBe('br');
  // Playwright decodes the body: the same bytes arrive either way.
  expect((await brotli.body()).equals(await plain.body())).toBe(true);
});

/** A CSP header as directive → source list. */
function parseCsp(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** Everything the page could keep in the browser: local and session storage and cookies. */
async function browserStorage(page: Page): Promise<string> {
  return page.evaluate(() =>
    JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie }),
  );
}
