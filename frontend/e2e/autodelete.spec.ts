// Auto-delete in cloud chats end to end, between real `hush --web` instances
// and a real relay: the time set from a chat row's menu (radio items) in a 1:1
// chat and from a group's info, the lines every member's chat shows, the
// header's sign, and a member who may not set it offered nothing — with axe
// audits of the menus and the dialog finding no violations at all. (A day
// cannot pass here, and the app has no test clock: that messages go at their
// time on every device is chat.TestAutoDeleteEverywhere's.)

import type { Locator, Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import {
  acceptRequest,
  bubble,
  createGroup,
  expectNoViolations,
  openChat,
  send,
  serviceLine,
  startDirectChat,
} from './messaging';

test.describe.configure({ timeout: 300_000 });

/** Opens the context menu of the chat row named `name`. */
async function rowMenu(page: Page, name: RegExp | string): Promise<Locator> {
  await page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name }).click({ button: 'right' });
  const menu = page.getByRole('menu', { name: / — chat actions$/ });
  await expect(menu).toBeVisible();
  return menu;
}

test('auto-delete set in a 1:1 chat and a group, seen by every member', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const carol = await people.add('Carol', 'carol');

  // Alice writes to Bob, Bob accepts and answers: each one's name travels.
  const alicePane = await startDirectChat(alice.page, 'bob');
  await send(alicePane, 'hello Bob');
  const bobPane = await acceptRequest(bob.page, /Alice/);
  await expect(bubble(bobPane, 'hello Bob')).toBeVisible({ timeout: 30_000 });
  await send(bobPane, 'hello Alice');
  await expect(bubble(alicePane, 'hello Alice')).toBeVisible({ timeout: 30_000 });

  // Alice sets a day from the chat row's menu: radio items, Off checked.
  let menu = await rowMenu(alice.page, /Bob/);
  const times = menu.getByRole('group', { name: 'Auto-delete messages' });
  await expect(times.getByRole('menuitemradio', { name: 'Off' })).toHaveAttribute('aria-checked', 'true');
  await expectNoViolations(alice.page, 'a chat menu with auto-delete times');
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await expectNoViolations(alice.page, 'a chat menu with auto-delete times (dark)');
  await alice.page.emulateMedia({ colorScheme: 'light' });
  await times.getByRole('menuitemradio', { name: '1 day' }).click();
  await expect(menu).toBeHidden();

  // Both chats show the line and the header's sign.
  await expect(serviceLine(alicePane, /^You set messages to auto-delete after 1 day$/)).toBeVisible({ timeout: 30_000 });
  await expect(serviceLine(bobPane, /^Alice set messages to auto-delete after 1 day$/)).toBeVisible({ timeout: 30_000 });
  for (const pane of [alicePane, bobPane]) {
    await expect(pane.getByRole('img', { name: 'Auto-delete: 1 day' })).toBeVisible({ timeout: 30_000 });
  }
  await expectNoViolations(bob.page, 'a chat whose messages auto-delete');

  // Bob's menu has it checked; he turns it off, and the sign goes on both sides.
  menu = await rowMenu(bob.page, /Alice/);
  await expect(menu.getByRole('menuitemradio', { name: '1 day' })).toHaveAttribute('aria-checked', 'true');
  await menu.getByRole('menuitemradio', { name: 'Off' }).click();
  await expect(serviceLine(alicePane, /^Bob turned off auto-delete$/)).toBeVisible({ timeout: 30_000 });
  for (const pane of [alicePane, bobPane]) {
    await expect(pane.getByRole('img', { name: /^Auto-delete/ })).toHaveCount(0, { timeout: 30_000 });
  }

  // A group: its owner sets a week from its info; a member sees it, and may
  // not change it.
  const group = await createGroup(alice.page, 'Book club', ['carol']);
  await send(group, 'welcome, Carol');
  const carolPane = await acceptRequest(carol.page, 'Book club');
  await expect(bubble(carolPane, 'welcome, Carol')).toBeVisible({ timeout: 30_000 });
  await group.getByRole('button', { name: 'Book club — chat info' }).click();
  const info = alice.page.getByRole('dialog', { name: 'Book club' });
  await info.getByRole('button', { name: 'Auto-delete: Off' }).click();
  const choices = alice.page.getByRole('menu', { name: 'Auto-delete messages' });
  await expect(choices.getByRole('menuitemradio')).toHaveCount(4);
  await expectNoViolations(alice.page, 'the chat info with its auto-delete menu open');
  await choices.getByRole('menuitemradio', { name: /1 week/ }).click();
  await expect(info.getByRole('button', { name: 'Auto-delete: 1 week' })).toBeVisible({ timeout: 30_000 });
  await alice.page.keyboard.press('Escape');
  await expect(info).toBeHidden();

  await openChat(carol.page, 'Book club');
  await expect(serviceLine(carolPane, /^Alice set messages to auto-delete after 1 week$/)).toBeVisible({
    timeout: 30_000,
  });
  await expect(carolPane.getByRole('img', { name: 'Auto-delete: 1 week' })).toBeVisible();
  menu = await rowMenu(carol.page, 'Book club');
  await expect(menu.getByRole('menuitemradio')).toHaveCount(0);
  await carol.page.keyboard.press('Escape');
  await carolPane.getByRole('button', { name: 'Book club — chat info' }).click();
  const carolInfo = carol.page.getByRole('dialog', { name: 'Book club' });
  await expect(carolInfo.getByText('Messages auto-delete 1 week after they are sent.')).toBeVisible();
  await expect(carolInfo.getByRole('button', { name: /^Auto-delete/ })).toHaveCount(0);
  await expectNoViolations(carol.page, "a member's chat info of a group whose messages auto-delete");
});
