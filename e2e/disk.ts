/**
 * What the server under test keeps on its disk, for specs that check that something is (or is no
 * longer) there: its attachment directory is the run's own (`ATTACHMENT_DIR`, see server.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ATTACHMENT_DIR } from './server';

/** The conference directories (`conf-*`) in the attachment directory, with the files in each. */
export function conferenceDirs(): Map<string, string[]> {
  const dirs = new Map<string, string[]>();
  if (!fs.existsSync(ATTACHMENT_DIR)) return dirs;
  for (const entry of fs.readdirSync(ATTACHMENT_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('conf-')) continue;
    const dir = path.join(ATTACHMENT_DIR, entry.name);
    dirs.set(dir, fs.readdirSync(dir).map((f) => path.join(dir, f)));
  }
  return dirs;
}

/** Every attachment file the server holds right now, over all conferences. */
export function attachmentFiles(): string[] {
  return [...conferenceDirs().values()].flat();
}
