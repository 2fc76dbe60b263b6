/**
 * What the server under test keeps on its disk, for specs that check that something is (or is no
 * longer) there: its attachment directory is the run's own (`ATTACHMENT_DIR`, see server.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ATTACHMENT_DIR } from './server';

/**
 * The conference directories (`conf-*`) in the attachment directory (the run's server's, or `root`),
 * with the files in each.
 */
export function conferenceDirs(root: string = ATTACHMENT_DIR): Map<string, string[]> {
  const dirs = new Map<string, string[]>();
  if (!fs.existsSync(root)) return dirs;
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('conf-')) continue;
    const dir = path.join(root, entry.name);
    dirs.set(dir, fs.readdirSync(dir).map((f) => path.join(dir, f)));
  }
  return dirs;
}

/** Every attachment file the server (the run's, or the one keeping them in `root`) holds right now. */
export function attachmentFiles(root: string = ATTACHMENT_DIR): string[] {
  return [...conferenceDirs(root).values()].flat();
}
