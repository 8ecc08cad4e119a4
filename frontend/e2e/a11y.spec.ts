// axe-core on every screen of the first milestone, in both themes: no
// serious or critical violations.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import {
  FIRST_PASSPHRASE,
  createAccount,
  expect,
  expectUnlockScreen,
  openHush,
  test,
  unlock,
} from './fixtures';

async function expectNoSeriousViolations(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(summary, `axe violations on the ${screen} screen`).toEqual([]);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`welcome, unlock, main and settings have no serious axe violations (${colorScheme})`, async ({
    page,
    hush,
  }) => {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    // No file the page loads is missing (a browser asks for an icon too); API calls
    // answer refusals (a wrong passphrase) with statuses of their own.
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400 && !new URL(r.url()).pathname.startsWith('/api/')) failed.push(`${r.status()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
    await openHush(page, hush);
    await expect(page.getByRole('heading', { name: 'Welcome to Hush' })).toBeVisible();
    // The page names its icon, and the icon is there (headless Chromium asks for
    // none by itself; a browser without one logs a 404 on every load).
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(icon, 'the page names an icon').toBeTruthy();
    expect((await page.request.get(new URL(icon ?? '', page.url()).href)).status()).toBe(200);
    await expectNoSeriousViolations(page, 'welcome');

    // With inline errors showing.
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('Enter your name.')).toBeVisible();
    await expectNoSeriousViolations(page, 'welcome (errors)');

    await createAccount(page, 'Ada', FIRST_PASSPHRASE);
    await expectNoSeriousViolations(page, 'main');

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
    await expectNoSeriousViolations(page, 'settings');
    await page.keyboard.press('Escape');

    await page.keyboard.press('Control+L');
    await expectUnlockScreen(page);
    await expectNoSeriousViolations(page, 'unlock');

    await unlock(page, 'wrong passphrase');
    await expect(page.getByRole('alert')).toBeVisible();
    await expectNoSeriousViolations(page, 'unlock (error)');
    expect(failed, 'failed requests').toEqual([]);
  });
}
