/**
 * A Treff server of a spec's own, for what would end the run's shared server (a SIGTERM): the same
 * binary, UI and configuration, on the next ports, with directories and a log of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HTTP_PORT, MEDIA_PORT, OUTPUT_DIR, SERVER_CONFIG, SERVER_ORIGINS, TREFF_BIN, TREFF_UI_DIR } from './server';

/** How a server process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the exit. */
  ms: number;
}

export class OwnServer {
  readonly origin: string;
  readonly attachmentDir: string;
  readonly log: string;
  private readonly dirs: string[];
  private readonly exited: Promise<Exit>;
  private signalledAt = 0;

  private constructor(private readonly child: ChildProcess, port: number, root: string, log: string) {
    this.origin = `http://127.0.0.1:${port}`;
    this.attachmentDir = path.join(root, 'attachments');
    this.log = log;
    this.dirs = [root];
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - this.signalledAt })),
    );
  }

  /** Starts it and waits until it answers (at most 20 s); its origin counts as the server's own. */
  static async start(): Promise<OwnServer> {
    const port = HTTP_PORT + 1;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-own-'));
    const log = path.join(OUTPUT_DIR, `own-server-${path.basename(root)}.log`);
    const out = fs.openSync(log, 'w');
    const child = spawn(
      TREFF_BIN,
      [
        '--http', `127.0.0.1:${port}`,
        '--media-bind', `127.0.0.1:${MEDIA_PORT + 1}`,
        '--ui-dir', TREFF_UI_DIR,
        '--config', SERVER_CONFIG,
        '--attachment-dir', path.join(root, 'attachments'),
        '--recordings-dir', path.join(root, 'recordings'),
        '--state-dir', path.join(root, 'state'),
      ],
      { stdio: ['ignore', out, out], env: { ...process.env, NO_COLOR: '1' } },
    );
    const server = new OwnServer(child, port, root, log);
    SERVER_ORIGINS.add(server.origin);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      if (child.exitCode !== null) break;
      const up = await fetch(`${server.origin}/`).then((r) => r.ok, () => false);
      if (up) return server;
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.dispose();
    throw new Error(`the spec's own server did not come up; see ${log}`);
  }

  /** Sends `signal` and waits for the exit (at most 15 s). */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    this.signalledAt = Date.now();
    this.child.kill(signal);
    const timeout = new Promise<Exit>((_, reject) =>
      setTimeout(() => reject(new Error(`no exit within 15 s of ${signal}`)), 15_000),
    );
    return Promise.race([this.exited, timeout]);
  }

  /** Kills it if it still runs, forgets its origin and removes its directories (not its log). */
  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    SERVER_ORIGINS.delete(this.origin);
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
