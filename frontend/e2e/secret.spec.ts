// Secret chats end to end: Alice opens one with the FIRST of Bob's two
// devices, sets messages to self-destruct 5 s after reading, and writes;
// Bob reads it on that device, both see the countdown, then the message is
// gone on both. Bob's second device never hears of the chat (nor after a
// reload). Closing the chat on one side closes it on the other. Real relay,
// a real `hush --web` per device, as in devices.spec.ts; everything found by
// role and accessible name, and axe on the chat and its dialogs.

import type { Locator, Page } from '@playwright/test';
import { SECOND_PASSPHRASE, chatTest as test, expect } from './fixtures';
import {
  acceptRequest,
  bubble,
  expectNoSeriousViolations,
  linkDevice,
  openChat,
  openPane,
  send,
  serviceLine,
  startDirectChat,
} from './messaging';

// Two accounts, a linked device (Argon2id), a PQXDH handshake and a 5 s timer.
test.describe.configure({ timeout: 300_000 });

const DESK = 'Bob desk';

async function audit(page: Page, screen: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoSeriousViolations(page, `${screen} (${colorScheme})`);
  }
}

/**
 * The 1:1 chat with Alice on Bob's laptop, once its history arrived: in the
 * chat list, accepted as on Bob's first device (the account log carries it).
 */
function alicesChat(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Chats' }).getByRole('option').filter({ hasText: 'Hello Alice' });
}

/** The secret chats in a window's chat list. */
function secretRows(page: Page): Locator {
  return page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: /^Secret chat with / });
}

test('a secret chat with one device: 30 s self-destruct on both sides, never on the other device, closed on both', async ({
  people,
  relay,
}) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');

  // Bob's first device gets a name of its own, so Alice can tell it apart.
  await bob.page.getByRole('button', { name: 'Settings' }).click();
  const settings = bob.page.getByRole('dialog', { name: 'Settings' });
  await settings.getByLabel('Device name').fill(DESK);
  await settings.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(settings.getByText('Device name saved.')).toBeVisible({ timeout: 30_000 });
  await bob.page.keyboard.press('Escape');

  // Alice and Bob are contacts: she writes, he accepts.
  const direct = await startDirectChat(alice.page, 'bob');
  await send(direct, 'Hello Bob');
  const bobsPane = await acceptRequest(bob.page, /alice/i);
  // Bob answers from his first device: it is his most recently active one.
  await send(bobsPane, 'Hello Alice');
  await expect(bubble(direct, 'Hello Alice')).toBeVisible({ timeout: 30_000 });

  // Bob's second device.
  const laptop = await people.bare('Bob’s laptop');
  await linkDevice(bob.page, laptop.page, relay.url, SECOND_PASSPHRASE);
  await expect(alicesChat(laptop.page)).toBeVisible({ timeout: 60_000 });

  // Alice: New chat → New secret chat → Bob → his first device.
  await alice.page.getByRole('button', { name: 'New chat' }).click();
  await alice.page.getByRole('menuitem', { name: 'New secret chat' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New secret chat' });
  // Go may know Bob only by his @handle yet.
  await dialog.getByRole('button', { name: /bob/i }).click();
  const devices = dialog.getByRole('group', { name: /bob's devices$/i });
  await expect(devices.getByRole('radio')).toHaveCount(2, { timeout: 30_000 });
  // The most recently active first: the desk, which wrote last, before the laptop
  // linked later.
  await expect(devices.getByRole('radio').first()).toHaveAccessibleName(new RegExp(`^${DESK} .*Last wrote today`));
  await devices.getByRole('radio', { name: new RegExp(`^${DESK} `) }).check();
  await expect(dialog.getByText(`A secret chat lives only on this device and ${DESK}.`, { exact: false })).toBeVisible();
  await audit(alice.page, 'the New secret chat dialog');
  await dialog.getByRole('button', { name: 'Start secret chat' }).click();
  await expect(dialog).toBeHidden({ timeout: 60_000 });

  const name = new RegExp(`^Secret chat with @?bob \\(${DESK}\\)$`, 'i');
  const pane = alice.page.getByRole('region', { name });
  await expect(pane).toBeVisible();
  await expect(secretRows(alice.page)).toHaveAccessibleName(name);
  await expect(serviceLine(pane, /started the secret chat/)).toBeVisible();
  // Browser mode cannot hide a window from screen capture, and says so.
  await expect(pane.getByText('Screen capture protection is not available on this system')).toBeVisible();
  await audit(alice.page, 'the secret chat');

  // Bob's desk has it; he opens it and keeps looking.
  await expect(secretRows(bob.page)).toHaveCount(1, { timeout: 60_000 });
  await expect(secretRows(bob.page)).toHaveAccessibleName(/^Secret chat with Alice/);
  await secretRows(bob.page).click();
  const bobPane = openPane(bob.page);
  await expect(serviceLine(bobPane, /started the secret chat/)).toBeVisible({ timeout: 30_000 });

  // 30 s after reading: long enough that a busy machine shows both countdowns
  // before either message is gone.
  await pane.getByRole('button', { name: 'Self-destruct timer: Off' }).click();
  const menu = alice.page.getByRole('menu', { name: 'Self-destruct timer' });
  await expect(menu.getByRole('menuitemradio', { name: 'Off' })).toHaveAttribute('aria-checked', 'true');
  await audit(alice.page, 'the self-destruct timer menu');
  await menu.getByRole('menuitemradio', { name: '30 s' }).click();
  await expect(pane.getByRole('button', { name: 'Self-destruct timer: 30 s' })).toBeVisible({ timeout: 30_000 });
  await expect(serviceLine(pane, /^You set messages to self-destruct 30 seconds after they are read$/)).toBeVisible({
    timeout: 30_000,
  });
  await expect(serviceLine(bobPane, /self-destruct 30 seconds after they are read/)).toBeVisible({ timeout: 30_000 });

  // Alice writes; Bob, looking at the chat, reads it; both count down.
  const text = 'This message will self-destruct';
  const mine = await send(pane, text);
  const theirs = bubble(bobPane, text);
  await expect(theirs).toBeVisible({ timeout: 30_000 });
  // Only now does Bob's header say "30 s": Go's chat:updated for the timer the
  // other device set carries the old one (chat/secret_receive.go computes the
  // summary before it stores the chat's state); the next one is right.
  await expect(bobPane.getByRole('button', { name: 'Self-destruct timer: 30 s' })).toBeVisible();
  const countdown = { name: /^Disappears in \d+ seconds?$/ };
  await Promise.all([
    expect(theirs.getByRole('timer', countdown)).toBeVisible({ timeout: 15_000 }),
    expect(mine.getByRole('timer', countdown)).toBeVisible({ timeout: 15_000 }),
  ]);
  await audit(bob.page, 'a secret message counting down');
  await expect(theirs).toHaveCount(0, { timeout: 45_000 });
  await expect(mine).toHaveCount(0, { timeout: 45_000 });

  // Verify: the same number on both devices.
  await pane.getByRole('button', { name: 'Verify' }).click();
  const verify = alice.page.getByRole('dialog', { name: 'Verify secret chat' });
  const emoji = verify.getByRole('img', { name: /^Safety emoji: / });
  await expect(emoji).toBeVisible({ timeout: 30_000 });
  await bobPane.getByRole('button', { name: 'Verify' }).click();
  const bobVerify = bob.page.getByRole('dialog', { name: 'Verify secret chat' });
  await expect(bobVerify.getByRole('img', { name: /^Safety emoji: / })).toHaveAccessibleName(
    (await emoji.getAttribute('aria-label')) ?? '',
    { timeout: 30_000 },
  );
  await audit(alice.page, 'the Verify secret chat dialog');
  await verify.getByRole('button', { name: 'Done' }).click();
  await bobVerify.getByRole('button', { name: 'Done' }).click();

  // Bob's laptop never heard of it, not even after a reload.
  await expect(secretRows(laptop.page)).toHaveCount(0);
  await laptop.page.reload();
  await expect(alicesChat(laptop.page)).toBeVisible({ timeout: 30_000 });
  await expect(secretRows(laptop.page)).toHaveCount(0);
  await expect(laptop.page.getByText(/secret chat/i)).toHaveCount(0);

  // Closed on Bob's side, gone on Alice's.
  await bobPane.getByRole('button', { name: 'Close secret chat' }).click();
  const confirm = bob.page.getByRole('dialog', { name: 'Close secret chat' });
  await expect(confirm).toContainText('Close and delete this secret chat on both devices?');
  await audit(bob.page, 'the Close secret chat dialog');
  await confirm.getByRole('button', { name: 'Close and delete' }).click();
  await expect(confirm).toBeHidden({ timeout: 30_000 });
  await expect(secretRows(bob.page)).toHaveCount(0);
  await expect(secretRows(alice.page)).toHaveCount(0, { timeout: 60_000 });
  await expect(pane).toBeHidden();
  await expect(openChat(alice.page, /bob/i)).resolves.toBeTruthy();
});
