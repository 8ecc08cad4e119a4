// The window's keyboard shortcuts, as someone who does not reach for the mouse
// uses them: Ctrl+K to jump to a chat by name, Alt+Up/Down through the chat
// list, Ctrl+/ for the list of shortcuts. Found by role and name; axe on the
// quick switcher and the shortcuts sheet.

import { chatTest as test, expect } from './fixtures';
import { createGroup, expectNoSeriousViolations, openPane, send, startDirectChat } from './messaging';

test('Ctrl+K, Alt+Up/Down and Ctrl+/ work from the keyboard alone', async ({ people }) => {
  const ada = await people.add('Ada', 'ada');
  await people.add('Bob', 'bob');
  const { page } = ada;

  await send(await startDirectChat(page, 'bob'), 'hello Bob');
  await send(await createGroup(page, 'Book club', ['bob']), 'welcome, book lovers');
  const list = page.getByRole('listbox', { name: 'Chats' });
  await expect(list.getByRole('option')).toHaveCount(2);

  // The quick switcher: type part of a name, Enter opens it.
  await page.keyboard.press('Control+K');
  const switcher = page.getByRole('dialog', { name: 'Go to chat' });
  await expect(switcher).toBeVisible();
  const field = switcher.getByRole('combobox', { name: 'Chat name' });
  await expect(field).toBeFocused();
  await expect(switcher.getByRole('option')).toHaveCount(2);
  await field.pressSequentially('bo');
  await expectNoSeriousViolations(page, 'the quick switcher');
  await field.pressSequentially('b');
  await expect(switcher.getByRole('option')).toHaveCount(1);
  await page.keyboard.press('Enter');
  await expect(switcher).toBeHidden();
  await expect(openPane(page)).toHaveAccessibleName(/bob/i);

  // Nothing matches: Enter keeps the dialog, Escape closes it and the chat stays.
  await page.keyboard.press('Control+K');
  await switcher.getByRole('combobox', { name: 'Chat name' }).pressSequentially('zzz');
  await expect(switcher.getByText('No chat is called “zzz”.')).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(switcher).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(switcher).toBeHidden();
  await expect(openPane(page)).toHaveAccessibleName(/bob/i);

  // Alt+Up/Down walk the list as shown (newest first: Book club, then the chat with Bob).
  await page.keyboard.press('Alt+ArrowUp');
  await expect(openPane(page)).toHaveAccessibleName('Book club');
  await page.keyboard.press('Alt+ArrowUp'); // the top: stays
  await expect(openPane(page)).toHaveAccessibleName('Book club');
  await page.keyboard.press('Alt+ArrowDown');
  await expect(openPane(page)).toHaveAccessibleName(/bob/i);

  // The shortcuts sheet.
  await page.keyboard.press('Control+/');
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(sheet).toBeVisible();
  await expect(sheet.getByRole('row', { name: /^Ctrl\s*\+\s*K\s+Go to a chat/ })).toBeVisible();
  await expectNoSeriousViolations(page, 'the shortcuts sheet');
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
});
