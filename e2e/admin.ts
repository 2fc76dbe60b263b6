/** The operator's command line on the run's shared server: `treff admin --state-dir <the run's> …`. */
import { spawnSync } from 'node:child_process';
import { expect } from '@playwright/test';
import { STATE_DIR, TREFF_BIN } from './server';

/** Runs `treff admin --state-dir <the run's> <args…>` as the operator would, and returns its output. */
export function treffAdmin(...args: string[]): string {
  const run = spawnSync(TREFF_BIN, ['admin', '--state-dir', STATE_DIR, ...args], { encoding: 'utf8' });
  expect(run.status, `treff admin ${args[0]}: ${run.stderr}`).toBe(0);
  return run.stdout;
}
