// End-to-end tests against the real `hush` binary in browser mode
// (e2e/fixtures.ts starts it). Chromium comes from Debian (/usr/bin/chromium):
// Playwright cannot download its own browsers on the project's machines.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  // Each test starts its own hush with a fresh data dir; Argon2id takes a
  // second per create/unlock, and the machine has 2 cores.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env['CI'],
  retries: 0,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env['CHROMIUM_BIN'] ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
