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
  return startAndRead(bin, ['--web', '127.0.0.1:0', '--data-dir', dataDir], urlPattern, 'hush');
}

/**
 * Starts a process and resolves with the first match of `pattern` in its
 * stdout (the URL it serves), or rejects if it exits or stays silent.
 */
function startAndRead(
  bin: string,
  args: string[],
  pattern: RegExp,
  name: string,
): Promise<{ proc: ChildProcess; url: string; log: string[] }> {
  const proc = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  const log: string[] = [];
  return new Promise((resolveStart, rejectStart) => {
    let buffered = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rejectStart(new Error(`${name} printed no URL within ${startTimeoutMs} ms:\n${log.join('')}`));
    }, startTimeoutMs);
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => log.push(chunk));
    proc.stdout?.on('data', (chunk: string) => {
      log.push(chunk);
      buffered += chunk;
      const m = pattern.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolveStart({ proc, url: m[1] ?? m[0], log });
      }
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      rejectStart(err);
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      rejectStart(new Error(`${name} exited (${code ?? signal}) before printing its URL:\n${log.join('')}`));
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
  hush: async ({}, use) => runHush(use),
});

/** Runs a Hush with a fresh data directory for as long as `use` runs. */
async function runHush(use: (h: Hush) => Promise<void>): Promise<void> {
  const bin = hushBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'hush-e2e-'));
  const { proc, url, log } = await startHush(bin, dataDir);
  try {
    await use({ url, dataDir, output: () => log.join('') });
  } finally {
    await stopHush(proc);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A test with a second Hush of its own (a fresh install elsewhere, say). */
export const twoHushTest = test.extend<{ otherHush: Hush }>({
  // eslint-disable-next-line no-empty-pattern
  otherHush: async ({}, use) => runHush(use),
});

export { expect };

// ---------------------------------------------------------------------------
// Messaging: one relay and several people, each with their own `hush --web`
// (own data directory) in their own browser context.

/** What `hush relay` prints once listening: "hush-relay listening on ws://ADDR/v1/ws". */
const relayPattern = /listening on (wss?:\/\/\S+)/;

export interface Relay {
  /** The address clients dial, as the relay printed it. */
  url: string;
  output(): string;
}

export interface Person {
  name: string;
  handle: string;
  page: Page;
  hush: Hush;
}

export interface People {
  /**
   * Starts a Hush for someone, creates their account, points it at the
   * test relay in Settings and registers their @handle there.
   */
  add(name: string, handle: string): Promise<Person>;
  /**
   * Starts a Hush with no account (the welcome screen), in its own browser
   * context: a new device about to be linked to someone's account.
   */
  bare(name: string): Promise<{ name: string; page: Page; hush: Hush }>;
}

/**
 * `HUSH_RELAY_BIN` runs a standalone hush-relay; otherwise `${HUSH_BIN} relay`.
 * `extra` are more of its flags (a spec's `relayArgs`).
 */
function startRelay(dir: string, extra: readonly string[] = []): Promise<{ proc: ChildProcess; url: string; log: string[] }> {
  const args = ['--listen', '127.0.0.1:0', '--db', join(dir, 'relay.db'), ...extra];
  const standalone = process.env['HUSH_RELAY_BIN'];
  if (standalone) return startAndRead(resolve(process.cwd(), standalone), args, relayPattern, 'hush-relay');
  return startAndRead(hushBinary(), ['relay', ...args], relayPattern, 'hush relay');
}

export const chatTest = test.extend<{ relayArgs: string[]; relay: Relay; people: People }>({
  /** More flags for the spec's relay: `chatTest.use({ relayArgs: ['--quota-mb', '0.004'] })`. */
  relayArgs: [[], { option: true }],
  relay: async ({ relayArgs }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-e2e-relay-'));
    const { proc, url, log } = await startRelay(dir, relayArgs);
    try {
      await use({ url, output: () => log.join('') });
    } finally {
      await stopHush(proc);
      rmSync(dir, { recursive: true, force: true });
    }
  },
  people: async ({ browser, relay }, use) => {
    const started: { proc: ChildProcess; dataDir: string }[] = [];
    const contexts: import('@playwright/test').BrowserContext[] = [];
    const problems: string[] = [];
    const bin = hushBinary();
    /** Starts a hush and opens it in a fresh browser context, on its first screen. */
    async function launch(name: string, tag: string): Promise<{ page: Page; hush: Hush }> {
      const dataDir = mkdtempSync(join(tmpdir(), `hush-e2e-${tag}-`));
      const { proc, url, log } = await startHush(bin, dataDir);
      started.push({ proc, dataDir });
      const hush: Hush = { url, dataDir, output: () => log.join('') };
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => problems.push(`${name}: page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) {
          problems.push(`${name}: CSP: ${msg.text()}`);
        }
      });
      await openHush(page, hush);
      return { page, hush };
    }
    const people: People = {
      async add(name, handle) {
        const { page, hush } = await launch(name, handle);
        await createAccount(page, name, FIRST_PASSPHRASE);
        await joinRelay(page, relay.url, handle);
        return { name, handle, page, hush };
      },
      async bare(name) {
        const { page, hush } = await launch(name, 'bare');
        await expect(page.getByRole('heading', { name: 'Welcome to Hush' })).toBeVisible();
        return { name, page, hush };
      },
    };
    try {
      await use(people);
    } finally {
      for (const c of contexts) await c.close();
      await Promise.all(started.map(({ proc }) => stopHush(proc)));
      for (const { dataDir } of started) rmSync(dataDir, { recursive: true, force: true });
    }
    expect(problems, 'errors in the pages').toEqual([]);
  },
});

/** In Settings: set the relay address, wait until online, register @handle. */
export async function joinRelay(page: Page, relayUrl: string, handle: string): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await expect(settings).toBeVisible();
  const relay = settings.getByLabel('Relay address');
  await relay.fill(relayUrl);
  await settings.getByRole('button', { name: 'Connect' }).click();
  await expect(relay).not.toHaveAttribute('aria-invalid', 'true');
  // The chat list's connection line: hidden while online, announced as "Online".
  await expect(page.getByRole('status').filter({ hasText: /^Online$/ })).toBeAttached({ timeout: 30_000 });
  await settings.getByLabel('Your username').fill(`@${handle}`);
  await settings.getByRole('button', { name: 'Register' }).click();
  await expect(settings.getByText(`@${handle}`, { exact: true })).toBeVisible({ timeout: 30_000 });
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();
}

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
