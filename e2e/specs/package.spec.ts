/**
 * The Debian package (`cargo xtask package`, built by the test command before this suite): what it
 * installs, that its service unit verifies, and that its binary alone, started with the packaged
 * config, serves the UI it carries to a participant who joins a meeting.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '../fixtures';
import { OwnServer } from '../own-server';

/** The package the test command built (xtask passes its path). */
function debPath(): string {
  const deb = process.env.TREFF_DEB;
  if (!deb || !fs.existsSync(deb)) throw new Error(`no package at TREFF_DEB=${deb}: run it through cargo xtask test or e2e`);
  return deb;
}

test('the .deb installs binary, conffile and unit; its binary serves its own UI to a participant', async ({ browser, guard }) => {
  const deb = debPath();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'treff-deb-'));
  try {
    await test.step('contents: the binary, the config as a conffile, the unit, the README', async () => {
      const contents = execFileSync('dpkg-deb', ['--contents', deb], { encoding: 'utf8' });
      for (const file of [
        './usr/bin/treff',
        './etc/treff/treff.toml',
        './usr/lib/systemd/system/treff.service',
        './usr/share/doc/treff/README.md',
        './usr/share/doc/treff/grafana-dashboard.json',
      ]) {
        expect(contents, file).toContain(file);
      }
      expect(contents, 'no UI directory beside the binary: it is inside').not.toContain('dist/');
      const conffiles = execFileSync('dpkg-deb', ['--info', deb, 'conffiles'], { encoding: 'utf8' });
      expect(conffiles.split('\n')).toContain('/etc/treff/treff.toml');
      const depends = execFileSync('dpkg-deb', ['--field', deb, 'Depends'], { encoding: 'utf8' });
      expect(depends).toMatch(/ffmpeg/);
      expect(depends).toMatch(/fonts-dejavu-core/);
    });

    execFileSync('dpkg-deb', ['-x', deb, root]);
    const bin = path.join(root, 'usr/bin/treff');
    const config = path.join(root, 'etc/treff/treff.toml');

    await test.step('the packaged unit verifies (its commands pointed at the unpacked binary)', async () => {
      const unit = fs
        .readFileSync(path.join(root, 'usr/lib/systemd/system/treff.service'), 'utf8')
        .replaceAll('/usr/bin/treff', bin);
      const copy = path.join(root, 'treff.service');
      fs.writeFileSync(copy, unit);
      // verify only warns (exit 0) about unknown or misspelt settings: none may appear.
      const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      expect(`${verify.stdout}${verify.stderr}`.trim()).toBe('');
      const checked = execFileSync(bin, ['check-config', config], { encoding: 'utf8' });
      expect(checked).toContain('[privacy]');
    });

    await test.step('the unpacked binary with the packaged config serves the embedded UI: join alone', async () => {
      await OwnServer.with(browser, guard, { bin, config, embeddedUi: true }, ['Paula'], async ([paula]) => {
        const id = await paula.newMeeting();
        await paula.join(id);
        await expect(paula.room.tiles).toHaveCount(1);
        await expect(paula.room.selfTile.getByTestId('tile-name')).toHaveText(paula.name);
      });
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
