// Actions on messages end to end, between real `hush --web` instances and a
// real relay: edit, react, pin, forward, delete for everyone, select several
// and delete them for oneself — each seen on the other side — with the
// message menu reached by right click and by keyboard (Shift+F10), and axe
// audits of the menu and the dialogs with no violations at all.

import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import { acceptRequest, bubble, exactBubble, openChat, send, startDirectChat } from './messaging';

test.describe.configure({ timeout: 300_000 });

/** Every axe violation, whatever its impact: the issue asks for none. */
async function expectNoViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
  expect(found, `axe violations with ${what}`).toEqual([]);
}

/** Opens a message's menu by right click. */
async function menuOf(page: Page, message: Locator): Promise<Locator> {
  await message.click({ button: 'right' });
  const menu = page.getByRole('menu', { name: /^Actions on / });
  await expect(menu).toBeVisible();
  return menu;
}

test('edit, react, pin, forward, delete and select, seen on both ends', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const carol = await people.add('Carol', 'carol');

  // Alice writes to Bob; Bob accepts and answers.
  const alicePane = await startDirectChat(alice.page, 'bob');
  const lunch = await send(alicePane, 'lunch at noon?');
  const bobPane = await acceptRequest(bob.page, /Alice/);
  await expect(bubble(bobPane, 'lunch at noon?')).toBeVisible({ timeout: 30_000 });
  await send(bobPane, 'see you there');
  await expect(bubble(alicePane, 'see you there')).toBeVisible({ timeout: 30_000 });

  // Edit, from the menu opened by right click; the menu and the dialog are audited.
  let menu = await menuOf(alice.page, lunch);
  await expectNoViolations(alice.page, 'a message menu open');
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await expectNoViolations(alice.page, 'a message menu open (dark)');
  await alice.page.emulateMedia({ colorScheme: 'light' });
  await menu.getByRole('menuitem', { name: 'Edit' }).click();
  const edit = alice.page.getByRole('dialog', { name: 'Edit message' });
  await expectNoViolations(alice.page, 'the edit dialog');
  await edit.getByRole('textbox', { name: 'Message text' }).fill('lunch at one?');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect(edit).toBeHidden();
  const edited = bubble(bobPane, 'lunch at one?');
  await expect(edited).toBeVisible({ timeout: 30_000 });
  await expect(edited.getByText('edited', { exact: true })).toBeVisible();
  await expect(bubble(bobPane, 'lunch at noon?')).toHaveCount(0);

  // Bob reacts from the keyboard: Shift+F10 on the message, Enter on 👍.
  await edited.focus();
  await bob.page.keyboard.press('Shift+F10');
  await expect(bob.page.getByRole('menuitem', { name: 'React with 👍' })).toBeFocused();
  await bob.page.keyboard.press('Enter');
  const onAlice = bubble(alicePane, 'lunch at one?').getByRole('button', { name: /^👍 1, .+ reacted$/ });
  await expect(onAlice).toBeVisible({ timeout: 30_000 });
  await expect(onAlice).toHaveAttribute('aria-pressed', 'false');
  // Alice adds hers by the reaction itself: two, and hers is pressed.
  await onAlice.click();
  await expect(bubble(bobPane, 'lunch at one?').getByRole('button', { name: /^👍 2, you and .+ reacted$/ })).toBeVisible({
    timeout: 30_000,
  });

  // Pin: both see the bar, and it jumps to the message.
  menu = await menuOf(bob.page, bubble(bobPane, 'lunch at one?'));
  await menu.getByRole('menuitem', { name: 'Pin' }).click();
  const bar = alicePane.getByRole('region', { name: 'Pinned messages' });
  await expect(bar).toContainText('lunch at one?', { timeout: 30_000 });
  await bar.getByRole('button', { name: /Pinned message/ }).click();
  await expect(bubble(alicePane, 'lunch at one?')).toBeFocused();

  // Forward Bob's answer to Carol: a new message there, marked with its origin.
  await startDirectChat(alice.page, 'carol');
  const back = await openChat(alice.page, /bob/i);
  menu = await menuOf(alice.page, bubble(back, 'see you there'));
  await menu.getByRole('menuitem', { name: 'Forward…' }).click();
  const forward = alice.page.getByRole('dialog', { name: 'Forward message' });
  await expectNoViolations(alice.page, 'the forward dialog');
  await forward.getByRole('button', { name: /^Forward to @?carol/i }).click();
  await expect(forward).toBeHidden();
  const carolPane = await acceptRequest(carol.page, /Alice/);
  const fwd = bubble(carolPane, 'see you there');
  await expect(fwd).toBeVisible({ timeout: 30_000 });
  await expect(fwd.getByText(/^Forwarded from @?bob/i)).toBeVisible();

  // Delete for everyone: Bob's copy becomes "Message deleted".
  menu = await menuOf(alice.page, bubble(back, 'lunch at one?'));
  await menu.getByRole('menuitem', { name: 'Delete…' }).click();
  const del = alice.page.getByRole('dialog', { name: 'Delete message' });
  await expectNoViolations(alice.page, 'the delete dialog');
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await expectNoViolations(alice.page, 'the delete dialog (dark), reactions and the pinned bar shown');
  await alice.page.emulateMedia({ colorScheme: 'light' });
  await del.getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(del).toBeHidden();
  await expect(bobPane.getByRole('region', { name: 'Messages' }).getByText('Message deleted')).toBeVisible({
    timeout: 30_000,
  });
  await expect(bubble(bobPane, 'lunch at one?')).toHaveCount(0);
  await expect(bobPane.getByRole('region', { name: 'Pinned messages' })).toHaveCount(0);

  // Select several, delete them for Alice only: Bob keeps his.
  await send(back, 'one');
  await send(back, 'two');
  await expect(exactBubble(bobPane, 'two')).toBeVisible({ timeout: 30_000 });
  menu = await menuOf(alice.page, exactBubble(back, 'one'));
  await menu.getByRole('menuitem', { name: 'Select' }).click();
  const toolbar = back.getByRole('toolbar', { name: 'Selected messages' });
  await expect(toolbar).toContainText('1 message selected');
  await exactBubble(back, 'two').getByRole('checkbox').check();
  await expect(toolbar).toContainText('2 messages selected');
  await expectNoViolations(alice.page, 'selection mode');
  await toolbar.getByRole('button', { name: 'Delete' }).click();
  const many = alice.page.getByRole('dialog', { name: 'Delete 2 messages' });
  await many.getByRole('button', { name: 'Delete for me' }).click();
  await expect(exactBubble(back, 'one')).toHaveCount(0);
  await expect(exactBubble(back, 'two')).toHaveCount(0);
  await expect(toolbar).toBeHidden();
  await expect(exactBubble(bobPane, 'two')).toBeVisible({ timeout: 30_000 });
  await expect(exactBubble(bobPane, 'one')).toBeVisible();

  // Escape leaves selection mode.
  menu = await menuOf(alice.page, bubble(back, 'see you there'));
  await menu.getByRole('menuitem', { name: 'Select' }).click();
  await expect(toolbar).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(toolbar).toBeHidden();
});
