// The first milestone end to end, against the real binary: create the
// account, lock (button and Ctrl+L), refuse a wrong passphrase, unlock,
// change the passphrase, and prove the old one no longer opens the vault.

import {
  FIRST_PASSPHRASE,
  SECOND_PASSPHRASE,
  createAccount,
  expect,
  expectMainWindow,
  expectUnlockScreen,
  openHush,
  test,
  unlock,
} from './fixtures';

test('welcome → lock → wrong passphrase → unlock → change passphrase → old fails → new works', async ({
  page,
  hush,
}) => {
  await openHush(page, hush);
  await createAccount(page, 'Ada Lovelace', FIRST_PASSPHRASE);

  // Lock with the button.
  await page.getByRole('button', { name: 'Lock' }).click();
  await expectUnlockScreen(page);

  await unlock(page, FIRST_PASSPHRASE);
  await expectMainWindow(page);

  // Lock with Ctrl+L, from the search box.
  await page.getByRole('searchbox', { name: 'Search chats' }).click();
  await page.keyboard.press('Control+L');
  await expectUnlockScreen(page);

  // A wrong passphrase: the Go error in an alert, focus stays in the field.
  await unlock(page, 'not the passphrase at all');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('alert')).not.toBeEmpty();
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();
  await expect(page.getByRole('heading', { name: 'Hush is locked' })).toBeVisible();

  await unlock(page, FIRST_PASSPHRASE);
  await expectMainWindow(page);

  // Change the passphrase in settings.
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await expect(settings).toBeVisible();
  await settings.getByRole('button', { name: 'Change passphrase…' }).click();
  const change = page.getByRole('dialog', { name: 'Change passphrase' });
  await change.getByLabel('Current passphrase', { exact: true }).fill(FIRST_PASSPHRASE);
  await change.getByLabel('New passphrase', { exact: true }).fill(SECOND_PASSPHRASE);
  await change.getByLabel('Confirm new passphrase').fill(SECOND_PASSPHRASE);
  await change.getByRole('button', { name: 'Change passphrase' }).click();
  await expect(change).toBeHidden({ timeout: 30_000 });
  await expect(settings.getByText('Passphrase changed.')).toBeVisible();

  // Escape closes settings and focus returns to the Settings button.
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();
  await expect(page.getByRole('button', { name: 'Settings' })).toBeFocused();

  await page.getByRole('button', { name: 'Lock' }).click();
  await expectUnlockScreen(page);

  // The old passphrase no longer opens the vault …
  await unlock(page, FIRST_PASSPHRASE);
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Hush is locked' })).toBeVisible();

  // … the new one does.
  await unlock(page, SECOND_PASSPHRASE);
  await expectMainWindow(page);
});

test('settings persist in the vault: device name, theme, auto-lock, notifications; Go refuses a bad relay', async ({ page, hush }) => {
  await openHush(page, hush);
  await createAccount(page, 'Grace', FIRST_PASSPHRASE);

  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  await expect(settings).toBeVisible();
  await expect(settings.getByText('Grace', { exact: true })).toBeVisible();

  const deviceName = settings.getByLabel('Device name');
  await deviceName.fill('Test bench');
  await settings.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(settings.getByText('Device name saved.')).toBeVisible();

  await settings.getByRole('radio', { name: 'Dark' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

  await settings.getByRole('combobox', { name: 'Auto-lock' }).selectOption({ label: 'After 5 minutes' });
  await expect(settings.getByText('Auto-lock saved.')).toBeVisible();

  // Go alone judges a relay address; its reason shows under the field.
  const relay = settings.getByLabel('Relay address');
  await relay.fill('localhost:8443');
  await settings.getByRole('button', { name: 'Connect' }).click();
  await expect(relay).toHaveAttribute('aria-invalid', 'true');
  await expect(relay).toHaveAccessibleDescription(/^The relay address is not valid: "localhost:8443" has no scheme/);

  // Notifications: on, sender only by default; the text is a second choice.
  const notify = settings.getByRole('switch', { name: 'Notify me of new messages' });
  const preview = settings.getByRole('switch', { name: 'Show message text in notifications' });
  await expect(notify).toBeChecked();
  await expect(preview).not.toBeChecked();
  await preview.check();
  await expect(settings.getByText(/who wrote and what they wrote/)).toBeVisible();
  // The explicit permission button stays in browser mode.
  await expect(settings.getByRole('button', { name: 'Show notifications…' })).toBeVisible();

  // A reload reads everything back from Go (the vault stays unlocked).
  await page.reload();
  await expectMainWindow(page);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(settings.getByLabel('Device name')).toHaveValue('Test bench');
  await expect(settings.getByRole('radio', { name: 'Dark' })).toBeChecked();
  await expect(settings.getByRole('combobox', { name: 'Auto-lock' })).toHaveValue('5');
  await expect(preview).toBeChecked();
  // Off turns the text off too, and Go keeps it so.
  await notify.uncheck();
  await expect(preview).toBeDisabled();
  await expect(preview).not.toBeChecked();
  await page.reload();
  await expectMainWindow(page);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(notify).not.toBeChecked();
  await expect(preview).not.toBeChecked();
  await expect(preview).toBeDisabled();

  // System follows the OS preference.
  await page.emulateMedia({ colorScheme: 'light' });
  await settings.getByRole('radio', { name: 'System' }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('the API refuses requests without the session token', async ({ page, hush }) => {
  const origin = new URL(hush.url).origin;
  // A fresh context without the cookie.
  const res = await page.request.post(`${origin}/api/call/AccountService/Status`, { data: [] });
  expect(res.status()).toBeGreaterThanOrEqual(400);
  expect(res.status()).toBeLessThan(500);
});

test('repeated wrong passphrases make the unlock screen wait, then work again', async ({ page, hush }) => {
  await openHush(page, hush);
  await createAccount(page, 'Alan', FIRST_PASSPHRASE);
  await page.keyboard.press('Control+L');
  await expectUnlockScreen(page);

  const button = page.getByRole('button', { name: 'Unlock', exact: true });
  // The Go side lets two tries through, then doubles a wait from 1 s.
  for (let i = 1; i <= 4; i++) {
    await unlock(page, `wrong guess ${i}`);
    await expect(page.getByRole('alert')).toBeVisible();
    await expect(page.getByRole('alert')).not.toHaveText('');
  }
  await expect(page.getByRole('timer')).toContainText('You can try again in');
  await expect(button).toBeDisabled();
  await expect(page.getByLabel('Passphrase', { exact: true })).toBeFocused();

  await expect(button).toBeEnabled({ timeout: 10_000 });
  await expect(page.getByRole('timer')).toBeHidden();
  await unlock(page, FIRST_PASSPHRASE);
  await expectMainWindow(page);
});

test('a second window follows Go’s events over the WebSocket', async ({ page, hush }) => {
  await openHush(page, hush);
  await createAccount(page, 'Barbara', FIRST_PASSPHRASE);

  // Same browser context, so the session cookie is shared.
  const other = await page.context().newPage();
  await other.goto(new URL('/', hush.url).href);
  await expectMainWindow(other);

  // settings:changed reaches the other window: its theme follows.
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  const otherTheme = await other.locator('html').getAttribute('data-theme');
  const next = otherTheme === 'dark' ? 'Light' : 'Dark';
  await settings.getByRole('radio', { name: next }).check();
  await expect(other.locator('html')).toHaveAttribute('data-theme', next.toLowerCase());

  // vault:locked reaches it too: it shows the unlock screen by itself.
  await settings.getByRole('button', { name: 'Lock now' }).click();
  await expectUnlockScreen(page);
  await expect(other.getByRole('heading', { name: 'Hush is locked' })).toBeVisible();
  await other.close();
});
