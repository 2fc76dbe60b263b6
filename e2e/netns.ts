/**
 * A network made by a spec: a network namespace joined to this machine by a veth pair. A browser
 * started inside it (through {@link TestNetwork.chromium}, a wrapper that `ip netns exec`s Debian's
 * Chromium) reaches the server on the host's side of the pair, through what the spec asked for:
 * - `dropUdp`: nftables in the namespace drop every UDP packet in and out, so the browser reaches the
 *   server over TCP only, as a participant behind a firewall that blocks UDP would;
 * - `downlinkKbit`: a token bucket (tc's `tbf`) on the host's end of the pair passes at most that
 *   many kbit/s towards the browser, with a fifth of a second of queue: a slow home line's download.
 *
 * Needs root (network namespaces, nftables, tc); CI runs as root. `nft` and `tc` come from Debian's
 * nftables and iproute2, which `cargo xtask test` installs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM } from './server';

/** Runs `ip` (or anything) and says what failed, with its output. */
function run(command: string, args: string[], input?: string): void {
  try {
    execFileSync(command, args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${err.stderr?.toString() || err.message}`);
  }
}

/** What the network does to the browser's traffic. */
export interface NetworkOptions {
  /** Drop every UDP packet in and out of the namespace. */
  dropUdp?: boolean;
  /** At most this many kbit/s towards the namespace (the browser's download). */
  downlinkKbit?: number;
}

export class TestNetwork {
  /** This machine's address on the pair: the server listens here for the namespace. */
  readonly hostAddress: string;
  /** An executable that starts Debian's Chromium inside the namespace (for `executablePath`). */
  readonly chromium: string;

  private constructor(
    private readonly name: string,
    private readonly hostLink: string,
    private readonly dir: string,
    subnet: number,
  ) {
    this.hostAddress = `10.231.${subnet}.1`;
    this.chromium = path.join(dir, 'chromium-in-netns');
  }

  static create(options: NetworkOptions): TestNetwork {
    if (process.getuid?.() !== 0) {
      throw new Error('the network namespace specs need root (ip netns, nftables, tc); CI runs as root');
    }
    const id = process.pid % 10_000;
    const subnet = process.pid % 250;
    const name = `treff-ns-${id}`;
    // Interface names have at most 15 characters.
    const hostLink = `treff-h${id}`;
    const nsLink = `treff-n${id}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-e2e-netns-'));
    const net = new TestNetwork(name, hostLink, dir, subnet);
    net.removeNetwork(); // what a killed run may have left
    try {
      const inside = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
      run('ip', ['netns', 'add', name]);
      run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink]);
      run('ip', ['link', 'set', nsLink, 'netns', name]);
      run('ip', ['addr', 'add', `${net.hostAddress}/30`, 'dev', hostLink]);
      run('ip', ['link', 'set', hostLink, 'up']);
      inside('ip', 'addr', 'add', `10.231.${subnet}.2/30`, 'dev', nsLink);
      inside('ip', 'link', 'set', nsLink, 'up');
      inside('ip', 'link', 'set', 'lo', 'up');
      if (options.dropUdp) {
        run(
          'ip',
          ['netns', 'exec', name, 'nft', '-f', '-'],
          `table inet treff {
             chain input { type filter hook input priority 0; policy accept; meta l4proto udp drop; }
             chain output { type filter hook output priority 0; policy accept; meta l4proto udp drop; }
           }`,
        );
      }
      if (options.downlinkKbit !== undefined) {
        const rate = `${options.downlinkKbit}kbit`;
        // A burst of two packets: a line cannot send faster than its rate after a pause, as a token
        // bucket with a large burst would (and a probe sent into that burst would measure it).
        run('tc', ['qdisc', 'add', 'dev', hostLink, 'root', 'tbf', 'rate', rate, 'burst', '3000', 'latency', '200ms']);
      }
      fs.writeFileSync(net.chromium, `#!/bin/sh\nexec ip netns exec ${name} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
    } catch (e) {
      net.destroy();
      throw e;
    }
    return net;
  }

  /** Whether a UDP datagram can leave the namespace (it must not: the check that the rule holds). */
  udpGetsOut(): boolean {
    try {
      execFileSync('ip', ['netns', 'exec', this.name, 'node', '-e', UDP_PROBE, this.hostAddress], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  }

  /** Removes the namespace (and with it both ends of the pair) and the wrapper; quiet if gone. */
  destroy(): void {
    this.removeNetwork();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private removeNetwork(): void {
    for (const args of [
      ['netns', 'del', this.name],
      ['link', 'del', this.hostLink],
    ]) {
      try {
        execFileSync('ip', args, { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
  }
}

/** Sends one UDP datagram to the address in argv; exits non-zero if the send is refused. */
const UDP_PROBE = `
const s = require('node:dgram').createSocket('udp4');
s.send('probe', 9, process.argv[1], (e) => { s.close(); process.exit(e ? 1 : 0); });
`;
