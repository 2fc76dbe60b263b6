/**
 * A Treff server of a spec's own, for what would end the run's shared server (a SIGTERM, a kill -9
 * and a restart) or needs another set-up (HTTPS): the same binary, UI and configuration, on the next
 * ports, with directories and a log of its own that survive its restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from '@playwright/test';
import type { Guard } from './fixtures';
import { Participant } from './participant';
import { HTTP_PORT, MEDIA_PORT, METRICS_PORT, OUTPUT_DIR, SERVER_CONFIG, SERVER_ORIGINS, TREFF_BIN, TREFF_UI_DIR } from './server';

/** How a server process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the exit. */
  ms: number;
}

const PORT = HTTP_PORT + 1;

/** A certificate chain and its key (PEM files) for HTTPS. */
export interface Tls {
  cert: string;
  key: string;
}

/** How a spec's own server differs from the run's. */
export interface Options {
  /** Serve HTTPS with this certificate (plain HTTP then only redirects). */
  tls?: Tls;
  /** More flags for the server. */
  args?: string[];
  /**
   * The address the media sockets bind (default `127.0.0.1`); with `0.0.0.0` pass `--public-ip` in
   * {@link args}, the address the server announces.
   */
  mediaHost?: string;
  /** The address pages are served on without TLS (default `127.0.0.1`), part of its origin. */
  host?: string;
  /** Another server binary (default: the run's), e.g. the one from the Debian package. */
  bin?: string;
  /** Another config file (default: the run's). */
  config?: string;
  /** Serve the UI the binary carries instead of the run's `dist/` (no `--ui-dir`). */
  embeddedUi?: boolean;
}

export class OwnServer {
  /** `http://127.0.0.1:…`, or with TLS `https://localhost:…` (the name its certificate carries). */
  readonly origin: string;
  readonly attachmentDir: string;
  readonly log: string;
  private child!: ChildProcess;
  private exited!: Promise<Exit>;
  private signalledAt = 0;

  /** The port it serves pages on (HTTPS with TLS, else HTTP). */
  readonly port = PORT;
  /** Its operator listener: `/metrics`, `/healthz`, `/readyz`. */
  readonly monitor = `http://127.0.0.1:${METRICS_PORT + 1}`;
  private readonly tls?: Tls;
  private readonly args: string[];
  private readonly mediaHost: string;
  private readonly host: string;
  private readonly bin: string;
  private readonly config: string;
  private readonly uiArgs: string[];

  private constructor(
    private readonly root: string,
    options: Options,
  ) {
    this.tls = options.tls;
    this.args = options.args ?? [];
    this.mediaHost = options.mediaHost ?? '127.0.0.1';
    this.host = options.host ?? '127.0.0.1';
    this.bin = options.bin ?? TREFF_BIN;
    this.config = options.config ?? SERVER_CONFIG;
    this.uiArgs = options.embeddedUi ? [] : ['--ui-dir', TREFF_UI_DIR];
    this.origin = this.tls ? `https://localhost:${PORT}` : `http://${this.host}:${PORT}`;
    this.attachmentDir = path.join(root, 'attachments');
    this.log = path.join(OUTPUT_DIR, `own-server-${path.basename(root)}.log`);
  }

  /** One participant per name on this server, each in a browser context of its own watched by `guard`. */
  async participants(browser: Browser, guard: Guard, ...names: string[]): Promise<Participant[]> {
    return this.participantsVia(this.origin, browser, guard, ...names);
  }

  /** {@link participants} reaching this server through `origin` (a reverse proxy in front of it). */
  async participantsVia(origin: string, browser: Browser, guard: Guard, ...names: string[]): Promise<Participant[]> {
    const people: Participant[] = [];
    for (const name of names) {
      const context = await browser.newContext({ baseURL: origin, permissions: ['camera', 'microphone'] });
      await guard.watch(context);
      people.push(new Participant(name, context, await context.newPage()));
    }
    return people;
  }

  /**
   * Starts a server with `options`, runs `body` with participants `names` on it (browser contexts
   * of `browser`, watched by `guard`), then closes their contexts and disposes of the server,
   * whatever failed.
   */
  static async with(
    browser: Browser,
    guard: Guard,
    options: Options,
    names: string[],
    body: (people: Participant[], server: OwnServer) => Promise<void>,
  ): Promise<void> {
    const server = await OwnServer.start(options);
    try {
      await body(await server.participants(browser, guard, ...names), server);
    } finally {
      await Promise.all(browser.contexts().map((c) => c.close()));
      await server.dispose();
    }
  }

  /** Starts it and waits until it answers; its origin counts as a server under test until disposed. */
  static async start(options: Options = {}): Promise<OwnServer> {
    const server = new OwnServer(fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-own-')), options);
    SERVER_ORIGINS.add(server.origin);
    try {
      await server.spawn();
    } catch (e) {
      await server.dispose();
      throw e;
    }
    return server;
  }

  /** Starts the process again (after {@link stop}) on the same ports and directories. */
  async restart(): Promise<void> {
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    const out = fs.openSync(this.log, 'a');
    // With TLS, HTTPS takes the port and plain HTTP (which only redirects) the next one.
    const listen = this.tls
      ? ['--https', `127.0.0.1:${PORT}`, '--http', `127.0.0.1:${PORT + 1}`, '--tls-cert', this.tls.cert, '--tls-key', this.tls.key]
      : ['--http', `${this.host}:${PORT}`];
    const child = spawn(
      this.bin,
      [
        ...listen,
        '--media-bind', `${this.mediaHost}:${MEDIA_PORT + 1}`,
        '--media-tcp-bind', `${this.mediaHost}:${MEDIA_PORT + 1}`,
        '--metrics', `127.0.0.1:${METRICS_PORT + 1}`,
        ...this.uiArgs,
        '--config', this.config,
        '--attachment-dir', this.attachmentDir,
        '--recordings-dir', path.join(this.root, 'recordings'),
        '--state-dir', path.join(this.root, 'state'),
        ...this.args,
      ],
      { stdio: ['ignore', out, out], env: { ...process.env, NO_COLOR: '1' } },
    );
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - this.signalledAt })),
    );
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      if (child.exitCode !== null) break;
      // Node does not trust the test CA: with TLS, the redirect on the HTTP port says it is up
      // (both listeners are bound before either serves).
      const up = this.tls
        ? await fetch(`http://127.0.0.1:${PORT + 1}/`, { redirect: 'manual' }).then((r) => r.status === 308, () => false)
        : await fetch(`${this.origin}/`).then((r) => r.ok, () => false);
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the spec's own server did not come up; see ${this.log}`);
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
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    SERVER_ORIGINS.delete(this.origin);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
