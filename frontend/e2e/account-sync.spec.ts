// What follows the user from one of their devices to another (the account
// log): muting a chat, its draft, archiving it, and the display name. Alice's
// first Hush links a second, bare one ("Link to an existing account") as in
// devices.spec.ts; then each change made in one window shows in the other.
// The archived list and the chat row's context menu pass axe with no
// violation at all.

import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { SECOND_PASSPHRASE, chatTest as test, expect } from './fixtures';
import { openPane, send, startDirectChat } from './messaging';

// Two accounts and one link (Argon2id on the new device).
test.describe.configure({ timeout: 240_000 });

/** axe on part of the page: no violation of any impact. */
async function expectNoViolations(page: Page, selector: string, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).include(selector).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
  expect(summary, `axe violations on ${screen}`).toEqual([]);
}

/** The chat list's one chat (its title may still be "Unknown …" on the new device). */
function onlyChat(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Chats' }).getByRole('option');
}

test('mute, draft, archive and the display name follow the account to its other device', async ({ people, relay }) => {
  const alice = await people.add('Alice', 'alice');
  await people.add('Bob', 'bob');
  const pane = await startDirectChat(alice.page, 'bob');
  const hello = await send(pane, 'Written before the new device existed');
  await expect(hello.getByRole('img', { name: /^(Sent|Delivered|Read)$/ })).toBeVisible({ timeout: 30_000 });

  // The second device links to Alice's account.
  const laptop = await people.bare('Alice’s laptop');
  const page = laptop.page;
  await page.getByRole('button', { name: 'Link to an existing account' }).click();
  await page.getByLabel('Relay address').fill(relay.url);
  await page.getByLabel('Passphrase', { exact: true }).fill(SECOND_PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(SECOND_PASSPHRASE);
  await expect(page.getByText(/Strength: (good|strong)/)).toBeVisible();
  await page.getByRole('button', { name: 'Show link code' }).click();
  await expect(page.getByRole('img', { name: 'Link code as a QR code' })).toBeVisible({ timeout: 30_000 });
  const code = await page.getByRole('textbox', { name: 'Link code' }).inputValue();

  await alice.page.getByRole('button', { name: 'Settings' }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('region', { name: 'Devices' }).getByRole('button', { name: 'Link a device' }).click();
  const link = alice.page.getByRole('dialog', { name: 'Link a device' });
  await link.getByRole('textbox', { name: 'Link code' }).fill(code);
  await link.getByRole('button', { name: 'Continue' }).click();
  await expect(link.getByRole('group', { name: 'Code to compare' })).toBeVisible({ timeout: 60_000 });
  await link.getByRole('button', { name: 'They match' }).click();
  await expect(link.getByRole('status')).toHaveText(/^Linked\./, { timeout: 30_000 });
  await link.getByRole('button', { name: 'Done' }).click();
  await alice.page.keyboard.press('Escape');
  await expect(settings).toBeHidden();

  await expect(page.getByRole('searchbox', { name: 'Search chats' })).toBeVisible({ timeout: 60_000 });
  await expect(onlyChat(page)).toHaveCount(1, { timeout: 60_000 });
  await expect(onlyChat(page)).toContainText('Written before', { timeout: 60_000 });

  // Muted on the first device: the laptop's row shows the muted sign.
  await pane.getByRole('button', { name: 'Mute notifications' }).click();
  await expect(pane.getByRole('button', { name: 'Unmute notifications' })).toBeVisible();
  await expect(onlyChat(page).getByRole('img', { name: 'Muted' })).toBeVisible({ timeout: 30_000 });

  // A draft typed on the first device: the laptop previews it, and opening the chat there shows it.
  await pane.getByRole('textbox', { name: 'Message' }).fill('Half a thought, to finish later');
  await expect(onlyChat(page)).toContainText('Draft: Half a thought, to finish later', { timeout: 30_000 });
  await onlyChat(page).click();
  const laptopPane = openPane(page);
  await expect(laptopPane.getByRole('textbox', { name: 'Message' })).toHaveValue('Half a thought, to finish later');

  // Archived on the laptop: on the first device it moves under "Archived chats".
  await laptopPane.getByRole('button', { name: 'Archive chat' }).click();
  await expect(laptopPane.getByRole('button', { name: 'Unarchive chat' })).toBeVisible();
  const entry = alice.page.getByRole('button', { name: /^Archived chats, 1 chat/ });
  await expect(entry).toBeVisible({ timeout: 30_000 });
  await expect(alice.page.getByText('All your chats are archived')).toBeVisible();
  await entry.click();
  const archived = alice.page.getByRole('listbox', { name: 'Archived chats' });
  await expect(archived.getByRole('option')).toBeVisible();
  for (const colorScheme of ['dark', 'light'] as const) {
    await alice.page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoViolations(alice.page, 'nav', `the archived chats (${colorScheme})`);
  }

  // The row's context menu, from the keyboard.
  await archived.getByRole('option').focus();
  await alice.page.keyboard.press('Shift+F10');
  const menu = alice.page.getByRole('menu', { name: /chat actions$/ });
  await expect(menu.getByRole('menuitem', { name: 'Unarchive chat' })).toBeVisible();
  await expect(menu.getByRole('menuitem', { name: 'Pin chat' })).toBeFocused();
  await expectNoViolations(alice.page, '[role="menu"]', 'the chat menu');
  await alice.page.keyboard.press('Escape');
  await expect(menu).toBeHidden();
  await expect(archived.getByRole('option')).toBeFocused();
  await alice.page.getByRole('button', { name: 'Back' }).click();
  await expect(entry).toBeFocused();

  // The display name, changed on the first device, shows in the laptop's Settings (open meanwhile).
  await page.getByRole('button', { name: 'Settings' }).click();
  const laptopSettings = page.getByRole('dialog', { name: 'Settings' });
  await expect(laptopSettings.getByRole('textbox', { name: 'Display name' })).toHaveValue('Alice');
  await alice.page.getByRole('button', { name: 'Settings' }).click();
  const name = settings.getByRole('textbox', { name: 'Display name' });
  await name.fill('Alice Liddell');
  await settings.getByRole('button', { name: 'Save display name' }).click();
  await expect(settings.getByText('Name saved.')).toBeVisible();
  await expect(laptopSettings.getByRole('textbox', { name: 'Display name' })).toHaveValue('Alice Liddell', {
    timeout: 30_000,
  });
  await expect(laptopSettings.getByText('Alice Liddell', { exact: true })).toBeVisible();
});
