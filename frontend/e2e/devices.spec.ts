// Linking a second device to an account and removing it again, end to end:
// a Hush with no account shows a link code; the account's device enters it
// in Settings → Devices, both show the same emoji and digits, the user
// confirms, and the new device opens with the account's chats and history.
// With both of Alice's devices in the background, Bob writes: both show the
// chat unread; Alice reads it on the first, and the badge clears on the
// laptop too. Removed from the first device, the second one says so (after a
// reload too) and can erase its data. Real relay, real `hush --web` per device, as in chat.spec.ts.

import { SECOND_PASSPHRASE, chatTest as test, expect } from './fixtures';
import {
  acceptRequest,
  bubble,
  expectNoSeriousViolations,
  openPane,
  send,
  startDirectChat,
  toBackground,
  toForeground,
} from './messaging';

// Two accounts, one link (Argon2id on the new device), a message read on one device, one removal.
test.describe.configure({ timeout: 240_000 });

test('link a new device with a code, see the history there, read on one clears the other’s badge, then remove it', async ({
  people,
  relay,
}) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const pane = await startDirectChat(alice.page, 'bob');
  const hello = await send(pane, 'Written before the new device existed');
  await expect(hello.getByRole('img', { name: /^(Sent|Delivered|Read)$/ })).toBeVisible({ timeout: 30_000 });

  // The new device: no account yet, so it links instead of creating one.
  const laptop = await people.bare('Alice’s laptop');
  const page = laptop.page;
  await page.getByRole('button', { name: 'Link to an existing account' }).click();
  await expect(page.getByRole('heading', { name: 'Link to an existing account', level: 1 })).toBeVisible();
  // It starts at the relay Go uses unless told otherwise (Status.defaultRelayUrl).
  await expect(page.getByLabel('Relay address')).toHaveValue(process.env['HUSH_RELAY_URL'] || 'ws://127.0.0.1:8443');
  await page.getByLabel('Relay address').fill(relay.url);
  await page.getByLabel('Passphrase', { exact: true }).fill(SECOND_PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(SECOND_PASSPHRASE);
  await expect(page.getByText(/Strength: (good|strong)/)).toBeVisible();
  await page.getByRole('button', { name: 'Show link code' }).click();

  await expect(page.getByRole('img', { name: 'Link code as a QR code' })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('timer')).toHaveText(/^Expires in [45]:\d\d$/);
  const code = await page.getByRole('textbox', { name: 'Link code' }).inputValue();
  expect(code).toMatch(/^HUSH:[A-Z2-7]+$/);
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoSeriousViolations(page, `the link code (${colorScheme})`);
  }

  // The account's device enters it.
  await alice.page.getByRole('button', { name: 'Settings' }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  const devices = settings.getByRole('region', { name: 'Devices' });
  await expect(devices.getByRole('listitem')).toHaveCount(1);
  await expect(devices.getByText('This device')).toBeVisible();
  await devices.getByRole('button', { name: 'Link a device' }).click();
  const link = alice.page.getByRole('dialog', { name: 'Link a device' });
  await link.getByRole('textbox', { name: 'Link code' }).fill(code);
  await link.getByRole('button', { name: 'Continue' }).click();

  // Both show the same emoji and digits.
  const theirs = page.getByRole('group', { name: 'Code to compare' });
  const ours = link.getByRole('group', { name: 'Code to compare' });
  await expect(ours).toBeVisible({ timeout: 60_000 });
  await expect(theirs).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('Check that your other device shows the same, and confirm there.')).toBeVisible();
  await expect(ours.getByRole('listitem')).toHaveCount(5);
  const shown = await ours.innerText();
  const digits = /\b\d{3} \d{3}\b/.exec(shown)?.[0] ?? '';
  expect(digits, `the digits in ${JSON.stringify(shown)}`).not.toBe('');
  await expect(theirs).toContainText(digits);
  expect(await theirs.innerText()).toBe(shown);

  await link.getByRole('button', { name: 'They match' }).click();
  await expect(link.getByRole('status')).toHaveText(/^Linked\./, { timeout: 30_000 });
  await link.getByRole('button', { name: 'Done' }).click();
  await expect(devices.getByRole('listitem')).toHaveCount(2, { timeout: 30_000 });

  // The new device opens the account, with the chat and what was said before.
  await expect(page.getByRole('searchbox', { name: 'Search chats' })).toBeVisible({ timeout: 60_000 });
  // Its one chat, found by its last message: Bob's name may not be there yet
  // (contacts arrive with the account log, after the chats), and until then Go
  // titles the 1:1 chat "Unknown …".
  const chat = page.getByRole('listbox', { name: 'Chats' }).getByRole('option').filter({ hasText: 'Written before' });
  await expect(chat).toHaveCount(1, { timeout: 60_000 });
  await chat.click();
  const history = openPane(page);
  await expect(bubble(history, 'Written before the new device existed')).toBeVisible({ timeout: 60_000 });

  await alice.page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  await expectNoSeriousViolations(alice.page, 'Settings → Devices');

  // Read on one device, read on the other. Both of Alice's windows go to the
  // background, so neither marks the chat read when Bob's answer arrives.
  await alice.page.keyboard.press('Escape');
  await expect(settings).toBeHidden();
  await toBackground(alice.page);
  await toBackground(page);
  const bobPane = await acceptRequest(bob.page, /alice/i);
  await expect(bubble(bobPane, 'Written before the new device existed')).toBeVisible({ timeout: 30_000 });
  await send(bobPane, 'Bob answers both of Alice’s devices');
  await expect(bubble(pane, 'Bob answers both of Alice’s devices')).toBeVisible({ timeout: 30_000 });
  await expect(bubble(history, 'Bob answers both of Alice’s devices')).toBeVisible({ timeout: 60_000 });
  // Each window's chat row: "1 unread." in what a screen reader hears of it.
  const firstRow = alice.page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: /bob/i });
  const laptopRow = page.getByRole('listbox', { name: 'Chats' }).getByRole('option');
  await expect(laptopRow).toHaveCount(1);
  await expect(firstRow).toHaveAccessibleDescription(/^1 unread\. /, { timeout: 30_000 });
  await expect(laptopRow).toHaveAccessibleDescription(/^1 unread\. /, { timeout: 30_000 });

  // The first window comes back to the front with the chat open: read there,
  // and on the laptop, still in the background, the badge goes too.
  await toForeground(alice.page);
  // No "unread" any more: the description starts with the last message.
  await expect(firstRow).toHaveAccessibleDescription(/^Bob answers both of Alice’s devices/, { timeout: 30_000 });
  await expect(laptopRow).toHaveAccessibleDescription(/^Bob answers both of Alice’s devices/, { timeout: 30_000 });
  expect(await page.evaluate(() => document.hasFocus()), 'the laptop still in the background').toBe(false);
  await toForeground(page);
  await alice.page.getByRole('button', { name: 'Settings' }).click();
  await expect(devices.getByText('This device')).toBeVisible();

  // Removed from the first device, it says so.
  await expect(devices.getByRole('button', { name: /^Remove / })).toHaveCount(1);
  await devices.getByRole('button', { name: /^Remove / }).click();
  const confirm = alice.page.getByRole('dialog', { name: 'Remove device' });
  await expect(confirm).toContainText('It will be signed out and can no longer read new messages.');
  await confirm.getByRole('button', { name: 'Remove device' }).click();
  await expect(confirm).toBeHidden({ timeout: 30_000 });
  await expect(devices.getByRole('listitem')).toHaveCount(1, { timeout: 30_000 });

  await expect(page.getByRole('heading', { name: 'This device was removed from your account' })).toBeVisible({
    timeout: 60_000,
  });
  await expectNoSeriousViolations(page, 'the removal screen');
  // Go remembers it: a reload shows the removal screen again, not the chats.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'This device was removed from your account' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByRole('searchbox', { name: 'Search chats' })).toBeHidden();

  // Erasing leaves a device with no account: the welcome screen.
  await page.getByRole('button', { name: 'Erase this device’s data' }).click();
  await page.getByRole('dialog', { name: 'Erase this device’s data' }).getByRole('button', { name: 'Erase' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome to Hush' })).toBeVisible({ timeout: 30_000 });

  // The first device is unaffected.
  await alice.page.keyboard.press('Escape');
  await expect(bubble(pane, 'Written before the new device existed')).toBeVisible();
});
