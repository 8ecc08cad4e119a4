// Starts the real `hush --web 127.0.0.1:0` with a fresh data directory for
// each test, waits for the URL it prints (carrying the session token), and
// stops it afterwards. HUSH_BIN overrides the binary (default: the one
// `make build` writes to ../build/bin/hush).

import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const startTimeoutMs = 30_000;
const urlPattern = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/i;

export interface Hush {
  /** The start-up URL with the token; visiting it sets the session cookie. */
  url: string;
  dataDir: string;
  /** Everything hush wrote, for failure messages. */
  output(): string;
}

function hushBinary(): string {
  // Like ${HUSH_BIN:-../build/bin/hush} run from frontend/.
  const fromEnv = process.env['HUSH_BIN'];
  const bin = fromEnv ? resolve(process.cwd(), fromEnv) : resolve(here, '../../build/bin/hush');
  if (!existsSync(bin)) {
    throw new Error(`hush binary not found at ${bin}: run "make build" or set HUSH_BIN`);
  }
  return bin;
}

function startHush(bin: string, dataDir: string): Promise<{ proc: ChildProcess; url: string; log: string[] }> {
  const proc = spawn(bin, ['--web', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  const log: string[] = [];
  return new Promise((resolveStart, rejectStart) => {
    let buffered = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rejectStart(new Error(`hush printed no URL within ${startTimeoutMs} ms:\n${log.join('')}`));
    }, startTimeoutMs);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => log.push(chunk));
    proc.stdout?.on('data', (chunk: string) => {
      log.push(chunk);
      buffered += chunk;
      const m = urlPattern.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolveStart({ proc, url: m[0], log });
      }
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      rejectStart(err);
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      rejectStart(new Error(`hush exited (${code ?? signal}) before printing its URL:\n${log.join('')}`));
    });
  });
}

async function stopHush(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    proc.kill('SIGKILL');
    await exited;
  }
}

export const test = base.extend<{ hush: Hush }>({
  // Every test also fails on an uncaught page error or a Content Security
  // Policy violation: the Go side serves the UI under a strict CSP.
  page: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) {
        problems.push(`CSP: ${msg.text()}`);
      }
    });
    await use(page);
    expect(problems, 'errors in the page').toEqual([]);
  },
  // eslint-disable-next-line no-empty-pattern
  hush: async ({}, use) => {
    const bin = hushBinary();
    const dataDir = mkdtempSync(join(tmpdir(), 'hush-e2e-'));
    const { proc, url, log } = await startHush(bin, dataDir);
    try {
      await use({ url, dataDir, output: () => log.join('') });
    } finally {
      await stopHush(proc);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

export { expect };

/** A passphrase zxcvbn rates strong, and a second one for the change. */
export const FIRST_PASSPHRASE = 'velvet orbit quartz lantern 93';
export const SECOND_PASSPHRASE = 'marble thistle comet harbour 17';

/** Opens Hush with its token (sets the cookie) and waits for the first screen. */
export async function openHush(page: Page, hush: Hush): Promise<void> {
  await page.goto(hush.url);
  // The token URL redirects to "/" so the token leaves the address bar.
  await expect(page).toHaveURL(/\/$/);
}

/** Fills the welcome form and waits for the main window. */
export async function createAccount(page: Page, name: string, passphrase: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Welcome to Hush' })).toBeVisible();
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirm passphrase').fill(passphrase);
  await expect(page.getByText(/Strength: (good|strong)/)).toBeVisible();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectMainWindow(page);
}

export async function expectMainWindow(page: Page): Promise<void> {
  await expect(page.getByRole('searchbox', { name: 'Search chats' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('No chats yet')).toBeVisible();
  await expect(page.getByText('Select a chat to start messaging')).toBeVisible();
}

export async function expectUnlockScreen(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Hush is locked' })).toBeVisible();
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
}

/** Unlocks, waiting out any back-off the Go side imposes first. */
export async function unlock(page: Page, passphrase: string): Promise<void> {
  const button = page.getByRole('button', { name: 'Unlock', exact: true });
  await expect(button).toBeEnabled({ timeout: 60_000 });
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await button.click();
}
