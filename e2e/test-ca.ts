/**
 * A throw-away certificate authority and a certificate for `localhost` and 127.0.0.1 signed by it,
 * made with openssl for the HTTPS specs (TLS in the binary, and behind nginx). The browser trusts the
 * CA by the hash of its public key (Chromium's `--ignore-certificate-errors-spki-list`); nothing goes
 * into any trust store.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, expect, type Page } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from './server';

export interface TestCa {
  /** The CA's certificate, PEM. */
  ca: string;
  /** The server's certificate chain (leaf, then the CA), PEM. */
  chain: string;
  /** The leaf's private key, PEM. */
  key: string;
  /** base64 of the SHA-256 of the CA's SubjectPublicKeyInfo: what the launch flag takes. */
  spki: string;
}

/** Makes the CA and the leaf in `dir` (P-256 keys, valid for two days). */
export function makeTestCa(dir: string): TestCa {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...p256, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Treff e2e test CA');
  openssl('req', ...p256, '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(
    path.join(dir, 'leaf.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
  const caPem = fs.readFileSync(path.join(dir, 'ca.pem'));
  const chain = path.join(dir, 'chain.pem');
  fs.writeFileSync(chain, Buffer.concat([fs.readFileSync(path.join(dir, 'leaf.pem')), caPem]));
  const spkiDer = new crypto.X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return {
    ca: path.join(dir, 'ca.pem'),
    chain,
    key: path.join(dir, 'key.pem'),
    spki: crypto.createHash('sha256').update(spkiDer).digest('base64'),
  };
}

/** The status and the value of header `name` of a GET of `url`, from the test (trusting only `ca`). */
export function headerOf(ca: TestCa, url: string, name: string): Promise<{ status: number; value: string | undefined }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: fs.readFileSync(ca.ca) }, (response) => {
        response.resume();
        const value = response.headers[name.toLowerCase()];
        resolve({ status: response.statusCode ?? 0, value: Array.isArray(value) ? value.join(', ') : value });
      })
      .on('error', reject);
  });
}

/**
 * Runs `body` with a fresh test CA (in a temporary directory, which `body` may use for more files)
 * and a Chromium that trusts it; both are gone afterwards, whatever failed.
 */
export async function withTrustingChromium(
  body: (ca: TestCa, dir: string, browser: Browser) => Promise<void>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-ca-'));
  let browser: Browser | undefined;
  try {
    const ca = makeTestCa(dir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${ca.spki}`],
    });
    await body(ca, dir, browser);
  } finally {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The URLs of the WebSockets `pages` open from now on. */
export function socketsOf(pages: Page[]): string[] {
  const sockets: string[] = [];
  for (const page of pages) page.on('websocket', (ws) => sockets.push(ws.url()));
  return sockets;
}

/**
 * Fails unless every kind of answer under `origin` carries HSTS: the home page, `page`'s own URL,
 * the wasm it loaded, the notice and a missing page. Asked from the test: Playwright's view of a
 * response's headers leaves some out.
 */
export async function expectHstsOnEveryAnswer(ca: TestCa, origin: string, page: Page): Promise<void> {
  const wasm = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .find((n) => n.endsWith('.wasm')),
  );
  for (const url of [`${origin}/`, page.url(), wasm ?? `${origin}/missing.wasm`, `${origin}/privacy`, `${origin}/no-such-page`]) {
    expect(await headerOf(ca, url, 'strict-transport-security'), url).toEqual({ status: 200, value: 'max-age=31536000' });
  }
}
