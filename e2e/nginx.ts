/**
 * nginx in front of a spec's own Treff server, configured by the very site file the README shows
 * (`examples/nginx/treff.conf`) with its deployment values (ports, name, certificate, Treff's
 * address) replaced by the test's, inside a minimal main configuration of the test's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NGINX, SERVER_ORIGINS } from './server';
import type { Tls } from './own-server';

/** The README's site file. */
export const SITE_FILE = path.join(__dirname, '..', 'examples', 'nginx', 'treff.conf');

export class Nginx {
  /** `https://localhost:<port>`: where participants open Treff. */
  readonly origin: string;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** Plain HTTP, which only redirects. */
    readonly httpPort: number,
    private readonly log: string,
  ) {
    this.origin = `https://localhost:${port}`;
  }

  /** Starts nginx in `dir` on `port` (HTTPS) and `port + 1` (HTTP), proxying to Treff at `upstreamPort`. */
  static async start(dir: string, port: number, upstreamPort: number, tls: Tls): Promise<Nginx> {
    const site = fs.readFileSync(SITE_FILE, 'utf8');
    const replace = (text: string, from: string | RegExp, to: string): string => {
      const next = text.replace(from, to);
      if (next === text) throw new Error(`${SITE_FILE} no longer has ${from}: update e2e/nginx.ts with it`);
      return next;
    };
    let ours = replace(site, 'listen 443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`);
    ours = replace(ours, 'listen 80;', `listen 127.0.0.1:${port + 1};`);
    ours = replace(ours, /server_name treff\.example\.org;/g, 'server_name localhost;');
    ours = replace(ours, /ssl_certificate\s+\S+;/, `ssl_certificate ${tls.cert};`);
    ours = replace(ours, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${tls.key};`);
    ours = replace(ours, 'proxy_pass http://127.0.0.1:8080;', `proxy_pass http://127.0.0.1:${upstreamPort};`);
    fs.writeFileSync(path.join(dir, 'treff.conf'), ours);
    const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
    fs.writeFileSync(
      path.join(dir, 'nginx.conf'),
      [
        'daemon off;',
        // As root, nginx's workers would run as `nobody`, who cannot enter the test's 0700 directory.
        ...(process.getuid?.() === 0 ? ['user root;'] : []),
        'worker_processes 1;',
        `pid ${path.join(dir, 'nginx.pid')};`,
        `error_log ${path.join(dir, 'error.log')} warn;`,
        'events {}',
        'http {',
        // The site file keeps no access log; without this nginx would still open its default one.
        '  access_log off;',
        `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
        `  include ${path.join(dir, 'treff.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const log = path.join(dir, 'error.log');
    // `-e`: nginx opens its default error log before reading the configuration.
    const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', log], { stdio: 'inherit' });
    const nginx = new Nginx(child, port, port + 1, log);
    SERVER_ORIGINS.add(nginx.origin);
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      if (child.exitCode !== null) break;
      const up = await fetch(`http://127.0.0.1:${port + 1}/`, { redirect: 'manual' }).then((r) => r.status === 308, () => false);
      if (up) return nginx;
      await new Promise((r) => setTimeout(r, 100));
    }
    await nginx.stop();
    throw new Error(`nginx did not come up: ${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : 'no log'}`);
  }

  /** Stops it (SIGQUIT: finish and exit) and forgets its origin. */
  async stop(): Promise<void> {
    SERVER_ORIGINS.delete(this.origin);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.kill('SIGQUIT');
    const late = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(late);
  }

  /** nginx's error log (warnings and errors only). */
  errors(): string {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8') : '';
  }
}
