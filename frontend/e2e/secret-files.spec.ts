// Files in a secret chat end to end, between two real `hush --web` and a real
// relay: Alice opens a secret chat with Bob's device, sets a 30 s self-destruct
// timer and sends a PNG with the paperclip and the send sheet. Bob, looking at
// the chat, sees its thumbnail, downloads and opens it larger; both see the
// countdown, then the message with its image is gone on both sides (Go deletes
// the file and its key on each device). axe finds nothing on the send sheet, the
// secret message with its image and the image view, in light and dark.

import type { Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import { acceptRequest, attach, bubble, drawPng, expectNoViolations, openPane, send, startDirectChat } from './messaging';

// Two accounts, a PQXDH handshake, an upload and a 30 s timer.
test.describe.configure({ timeout: 300_000 });

async function audit(page: Page, screen: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoViolations(page, `${screen} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

/** The secret chats in a window's chat list. */
function secretRows(page: Page) {
  return page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: /^Secret chat with / });
}

test('an image in a secret chat: sent, downloaded and opened, then gone on both sides', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const png = await drawPng(alice.page);

  const direct = await startDirectChat(alice.page, 'bob');
  await send(direct, 'Hello Bob');
  const bobsDirect = await acceptRequest(bob.page, /alice/i);
  await send(bobsDirect, 'Hello Alice');
  await expect(bubble(direct, 'Hello Alice')).toBeVisible({ timeout: 30_000 });

  // Alice: New chat → New secret chat → Bob → his device.
  await alice.page.getByRole('button', { name: 'New chat' }).click();
  await alice.page.getByRole('menuitem', { name: 'New secret chat' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New secret chat' });
  await dialog.getByRole('button', { name: /bob/i }).click();
  const devices = dialog.getByRole('group', { name: /bob's devices$/i });
  await expect(devices.getByRole('radio')).toHaveCount(1, { timeout: 30_000 });
  await devices.getByRole('radio').check();
  await dialog.getByRole('button', { name: 'Start secret chat' }).click();
  await expect(dialog).toBeHidden({ timeout: 60_000 });
  const pane = alice.page.getByRole('region', { name: /^Secret chat with @?bob/i });
  await expect(pane).toBeVisible();

  await expect(secretRows(bob.page)).toHaveCount(1, { timeout: 60_000 });
  await secretRows(bob.page).click();
  const bobPane = openPane(bob.page);

  await pane.getByRole('button', { name: 'Self-destruct timer: Off' }).click();
  await alice.page.getByRole('menu', { name: 'Self-destruct timer' }).getByRole('menuitemradio', { name: '30 s' }).click();
  await expect(bobPane.getByRole('button', { name: 'Self-destruct timer: 30 s' })).toBeVisible({ timeout: 30_000 });

  // The paperclip works in a secret chat: the send sheet, then the message.
  await attach(alice.page, pane, [{ name: 'photo.png', mimeType: 'image/png', buffer: png }]);
  const sheet = alice.page.getByRole('dialog', { name: 'Send a file' });
  await expect(sheet.getByRole('listitem').filter({ hasText: 'photo.png' })).toBeVisible();
  await expect(sheet.getByText('Preparing…')).toHaveCount(0, { timeout: 30_000 });
  await audit(alice.page, 'the send sheet of a secret chat');
  await sheet.getByRole('button', { name: 'Send' }).click();
  await expect(sheet).toBeHidden();
  const mine = pane.getByRole('article', { name: /^You: photo\.png/ });
  await expect(mine).toBeVisible({ timeout: 60_000 });
  await expect(mine.getByRole('img', { name: 'photo.png' })).toBeVisible();

  // Bob, looking at the chat, has it: the thumbnail, then the image larger.
  const theirs = bobPane.getByRole('article', { name: /^Alice: photo\.png/ });
  await expect(theirs).toBeVisible({ timeout: 60_000 });
  await expect(theirs.getByRole('img', { name: 'photo.png' })).toBeVisible();
  await theirs.getByRole('button', { name: 'Download and open photo.png' }).click();
  const view = bob.page.getByRole('dialog', { name: 'photo.png' });
  await expect(view.getByRole('img', { name: 'photo.png' })).toHaveAttribute('src', /^data:image\/png;base64,/, {
    timeout: 30_000,
  });
  await audit(bob.page, 'a secret image opened');
  await bob.page.keyboard.press('Escape');
  await expect(view).toBeHidden();
  await expect(theirs.getByRole('button', { name: 'Open photo.png' })).toBeVisible();

  // Read: both count down, then it is gone on both sides.
  const countdown = { name: /^Disappears in \d+ seconds?$/ };
  await Promise.all([
    expect(theirs.getByRole('timer', countdown)).toBeVisible({ timeout: 15_000 }),
    expect(mine.getByRole('timer', countdown)).toBeVisible({ timeout: 15_000 }),
  ]);
  await audit(bob.page, 'a secret image counting down');
  await expect(theirs).toHaveCount(0, { timeout: 45_000 });
  await expect(mine).toHaveCount(0, { timeout: 45_000 });
  await expect(bob.page.getByRole('img', { name: 'photo.png' })).toHaveCount(0);
});
