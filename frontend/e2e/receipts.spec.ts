// Read receipts, switched off in Settings → Privacy: off works both ways, as in
// Signal. Bob reads Alice's message with them off and her tick stays
// "Delivered"; Alice reads his and he is shown "Delivered" too, though Go holds
// her read. Each "still Delivered" is checked once a message sent after the
// read has arrived, so no receipt is still on its way. On again, Bob is shown
// Alice's read at once, and Alice is shown Bob's reads after his next one.

import type { Locator, Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import { acceptRequest, bubble, expectNoViolations, send, startDirectChat } from './messaging';

// Two accounts (Argon2id each) and a relay.
test.describe.configure({ timeout: 240_000 });

/** axe finds nothing on the page, in both themes. */
async function audit(page: Page, screen: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoViolations(page, `${screen} (${colorScheme})`);
  }
}

/** The tick of one's own message, found by its accessible name. */
function tick(message: Locator, name: 'Delivered' | 'Read'): Locator {
  return message.getByRole('img', { name, exact: true });
}

/** Opens Settings → Privacy's read receipts switch; returns it. */
async function receiptsSwitch(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  return settings.getByRole('region', { name: 'Privacy' }).getByRole('switch', { name: 'Read receipts' });
}

async function closeSettings(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeHidden();
}

test('read receipts off: neither sent nor shown, and back on', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const alicePane = await startDirectChat(alice.page, 'bob');
  const hello = await send(alicePane, 'Hello Bob');
  const bobPane = await acceptRequest(bob.page, /alice/i);
  await expect(bubble(bobPane, 'Hello Bob')).toBeVisible({ timeout: 30_000 });

  // On (the default): Bob has the chat open, so he read it, and Alice sees so.
  await expect(tick(hello, 'Read')).toBeVisible({ timeout: 30_000 });

  // Bob turns them off.
  const sw = await receiptsSwitch(bob.page);
  await expect(sw).toBeChecked();
  await expect(sw).toHaveAccessibleDescription(/If you turn off read receipts, you won't be able to see read receipts from others\./);
  await sw.click();
  await expect(sw).not.toBeChecked();
  await expect(sw).toHaveAccessibleDescription(
    /^Others do not see when you have read their messages, and you do not see when they have read yours\..*Secret chats always send and show read receipts/,
  );
  await audit(bob.page, 'Settings → Privacy, read receipts off');
  await closeSettings(bob.page);

  // Bob reads Alice's next message (his chat is open), then answers: once his
  // answer reaches Alice, her message is still only delivered.
  const second = await send(alicePane, 'Did you read this?');
  await expect(bubble(bobPane, 'Did you read this?')).toBeVisible({ timeout: 30_000 });
  await bob.page.waitForTimeout(1_000); // his read mark leaves within 200 ms
  const reply = await send(bobPane, 'Maybe');
  await expect(bubble(alicePane, 'Maybe')).toBeVisible({ timeout: 30_000 });
  await expect(tick(second, 'Delivered')).toBeVisible({ timeout: 30_000 });
  await expect(tick(second, 'Read')).toHaveCount(0);

  // Alice (read receipts on) reads Bob's answer, and writes after a while:
  // Bob holds her read but is shown "Delivered".
  await alice.page.waitForTimeout(1_000); // her read mark leaves within 200 ms
  await send(alicePane, 'I read yours');
  await expect(bubble(bobPane, 'I read yours')).toBeVisible({ timeout: 30_000 });
  await expect(tick(reply, 'Delivered')).toBeVisible({ timeout: 30_000 });
  await expect(tick(reply, 'Read')).toHaveCount(0);
  await audit(bob.page, 'a conversation with read receipts off');

  // On again: Bob is shown Alice's read at once; Alice sees Bob's reads after
  // his next one, which covers the earlier ones.
  const again = await receiptsSwitch(bob.page);
  await expect(again).not.toBeChecked();
  await again.click();
  await expect(again).toBeChecked();
  await closeSettings(bob.page);
  await expect(tick(reply, 'Read')).toBeVisible({ timeout: 30_000 });
  await expect(tick(second, 'Delivered')).toBeVisible();
  const third = await send(alicePane, 'And this one?');
  await expect(bubble(bobPane, 'And this one?')).toBeVisible({ timeout: 30_000 });
  await expect(tick(third, 'Read')).toBeVisible({ timeout: 30_000 });
  await expect(tick(second, 'Read')).toBeVisible({ timeout: 30_000 });
});
