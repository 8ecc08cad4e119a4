// Backups end to end, against the real binary in browser mode: export as a
// download from Settings (with "Include files"), import it back into the same account (nothing new),
// then restore it on a fresh install from the welcome screen — a wrong
// passphrase first, which changes nothing — and find the account there.
// axe-core checks every backup screen: no violations at all.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIRST_PASSPHRASE,
  SECOND_PASSPHRASE,
  createAccount,
  expect,
  expectMainWindow,
  openHush,
  twoHushTest as test,
} from './fixtures';

const BACKUP_PASSPHRASE = 'harbour lantern thistle orbit 58';

async function expectNoViolations(page: Page, screen: string): Promise<void> {
  // The pointer rests where the last click was, on whatever the new screen put
  // there; a hovered button is not what is measured.
  await page.mouse.move(0, 0);
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
  expect(summary, `axe violations on the ${screen} screen`).toEqual([]);
}

test('export a backup, import it again, restore it on a fresh install', async ({ page, hush, otherHush, browser }) => {
  // As the a11y spec does: no transitions halfway through when axe measures.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await openHush(page, hush);
  await createAccount(page, 'Ada Lovelace', FIRST_PASSPHRASE);

  // Settings → Backup → Export.
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('button', { name: 'Export a backup…' }).click();
  const exportDialog = page.getByRole('dialog', { name: 'Export a backup' });
  await expect(exportDialog.getByText('Secret chats are not included')).toBeVisible();
  // "Include files", on by default, with the size of the files on this device.
  const includeFiles = exportDialog.getByRole('checkbox', { name: 'Include files' });
  await expect(includeFiles).toBeChecked();
  await expect(includeFiles).toHaveAccessibleDescription(/^Files: 0 \(0 B\)\./);
  await expectNoViolations(page, 'export');
  await exportDialog.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
  await exportDialog.getByLabel('Confirm backup passphrase').fill(BACKUP_PASSPHRASE);
  await exportDialog.getByRole('button', { name: 'Export' }).click();
  const link = exportDialog.getByRole('link', { name: 'Download the backup' });
  await expect(link).toBeVisible({ timeout: 30_000 });
  await expect(exportDialog.getByText(/Backed up 1 account/)).toBeVisible();
  await expectNoViolations(page, 'export done');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toMatch(/^hush-\d{4}-\d{2}-\d{2}\.hushbackup$/);
  const file = join(mkdtempSync(join(tmpdir(), 'hush-backup-e2e-')), download.suggestedFilename());
  await download.saveAs(file);
  expect(readFileSync(file).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
  await exportDialog.getByRole('button', { name: 'Done' }).click();

  // Settings → Backup → Import: the same backup again adds nothing.
  await settings.getByRole('button', { name: 'Import a backup…' }).click();
  const importDialog = page.getByRole('dialog', { name: 'Import a backup' });
  await importDialog.getByLabel('Backup file').setInputFiles(file);
  await importDialog.getByLabel('Backup passphrase').fill(BACKUP_PASSPHRASE);
  await expectNoViolations(page, 'import');
  await importDialog.getByRole('button', { name: 'Import' }).click();
  await expect(importDialog.getByText(/: nothing new\.$/)).toBeVisible({ timeout: 30_000 });
  await importDialog.getByRole('button', { name: 'Done' }).click();

  // A fresh install, in a browser of its own: Restore from backup.
  const context = await browser.newContext();
  const fresh = await context.newPage();
  await fresh.emulateMedia({ reducedMotion: 'reduce' });
  await openHush(fresh, otherHush);
  await fresh.getByRole('button', { name: 'Restore from backup' }).click();
  await expect(fresh.getByRole('heading', { name: 'Restore from a backup' })).toBeVisible();
  await expectNoViolations(fresh, 'restore');
  await fresh.getByLabel('Backup file').setInputFiles(file);
  await fresh.getByLabel('Backup passphrase').fill('not the backup passphrase');
  await fresh.getByLabel('New vault passphrase').fill(SECOND_PASSPHRASE);
  await fresh.getByLabel('Confirm vault passphrase').fill(SECOND_PASSPHRASE);
  await fresh.getByRole('button', { name: 'Restore' }).click();
  await expect(fresh.getByRole('alert')).toHaveText('Wrong backup passphrase. Nothing was changed.', { timeout: 30_000 });
  await expectNoViolations(fresh, 'restore (refused)');

  await fresh.getByLabel('Backup passphrase').fill(BACKUP_PASSPHRASE);
  await fresh.getByRole('button', { name: 'Restore' }).click();
  await expectMainWindow(fresh);
  await fresh.getByRole('button', { name: 'Settings' }).click();
  await expect(fresh.getByRole('dialog', { name: 'Settings' }).getByRole('textbox', { name: 'Display name' })).toHaveValue('Ada Lovelace');
  await context.close();
});
