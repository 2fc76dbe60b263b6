/**
 * Benchmarks (`cargo xtask bench`): the same browser and server as the suite, but the specs in
 * `bench/`, which print figures rather than assert timings.
 */
import { defineConfig } from '@playwright/test';
import suite from './playwright.config';

export default defineConfig(suite, {
  testDir: './bench',
  // Ten joins and leaves in one test.
  timeout: 300_000,
});
