/**
 * After the whole run: the server's entire output holds no IP address and none of the personal data
 * any spec handed it (participant names, chat texts, file names: `RUN_SECRETS`, filled by the
 * fixtures). Each spec checks its own slice of the log as it goes; this catches what a later moment
 * logged about an earlier spec (a meeting's end, a recording job finishing after its spec).
 */
import fs from 'node:fs';
import { RUN_SECRETS, SERVER_LOG } from './server';

/**
 * Dotted IPv4 addresses; IPv6 addresses written out (8 groups), shortened (`fe80::1`), or starting
 * with `::` (`::1`, but not a Rust path such as `treff::room`: nothing word-like before the colons).
 */
const IP_ADDRESS =
  /\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b[0-9a-f]{1,4}::(?:[0-9a-f]{1,4}:?)+\b|(?<![\w:])::[0-9a-f]{1,4}\b/i;

export default function teardown(): void {
  if (!fs.existsSync(SERVER_LOG)) return;
  const log = fs.readFileSync(SERVER_LOG, 'utf8');
  const secrets = fs.existsSync(RUN_SECRETS)
    ? [...new Set(fs.readFileSync(RUN_SECRETS, 'utf8').split('\n').filter((s) => s.length >= 4))]
    : [];
  const found: string[] = [];
  const address = log.match(IP_ADDRESS);
  if (address) found.push(`an IP address (${address[0]})`);
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      if (log.includes(form)) found.push(`"${form}"`);
    }
  }
  if (found.length > 0) {
    throw new Error(`the server's output (${SERVER_LOG}) holds personal data: ${found.join(', ')}`);
  }
  console.log(`server log checked: no IP address and none of ${secrets.length} names and texts of this run`);
}
