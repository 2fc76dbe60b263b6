/**
 * coturn (Debian's `turnserver`, installed by `cargo xtask test`) on loopback for a spec: the TURN
 * server an operator would run beside Treff, sharing a secret with it (`--use-auth-secret`), so that
 * Treff hands out short-lived credentials and never a password of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Participant } from './participant';
import { MEDIA_PORT, OUTPUT_DIR } from './server';

/** Far from the run's ports; relays take the range above it. */
const PORT = MEDIA_PORT + 478;
const RELAY_PORTS = [PORT + 100, PORT + 199];

export class Coturn {
  /** The URL for Treff's `--turn-url` (and so for the browsers' `iceServers`). */
  readonly url = `turn:127.0.0.1:${PORT}?transport=udp`;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  /** Starts coturn with `secret` and waits until it listens. */
  static async start(secret: string): Promise<Coturn> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-coturn-'));
    const log = fs.openSync(path.join(OUTPUT_DIR, 'coturn.log'), 'a');
    const child = spawn(
      'turnserver',
      [
        '-n', // no configuration file
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        '--realm=treff.test',
        '--listening-ip=127.0.0.1',
        `--listening-port=${PORT}`,
        '--relay-ip=127.0.0.1',
        `--min-port=${RELAY_PORTS[0]}`,
        `--max-port=${RELAY_PORTS[1]}`,
        // The SFU is on loopback too: coturn refuses loopback peers unless told.
        '--allow-loopback-peers',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--fingerprint',
        `--pidfile=${path.join(dir, 'pid')}`,
        `--db=${path.join(dir, 'turndb')}`,
        '--log-file=stdout',
      ],
      { stdio: ['ignore', log, log] },
    );
    const coturn = new Coturn(child, dir);
    // coturn also listens on TCP on the same port: a TCP connection says it is up.
    for (const deadline = Date.now() + 10_000; ; ) {
      if (child.exitCode !== null) throw new Error(`coturn exited (${child.exitCode}); see ${OUTPUT_DIR}/coturn.log`);
      if (await listening(PORT)) return coturn;
      if (Date.now() > deadline) {
        coturn.stop();
        throw new Error(`coturn did not listen within 10 s; see ${OUTPUT_DIR}/coturn.log`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): void {
    this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The test-only switch (`instrument.ts`): `p`'s peer connections made from now on may use relay
 * candidates only, so their media must go through the TURN server.
 */
export async function relayOnly(p: Participant): Promise<void> {
  await p.context.addInitScript(() => {
    window.__iceTransportPolicy = 'relay';
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
