// Chat folders as a user meets them: the built-in tabs narrow the chat list, a
// folder of one's own is made in "Edit folders" and filled from a chat's menu,
// and the tabs are reached by keyboard. axe on the tabs and both dialogs.
// (That folders follow the user to another device: chat.TestFoldersFollowTheUser.)

import { chatTest as test, expect } from './fixtures';
import { createGroup, expectNoSeriousViolations, send, startDirectChat } from './messaging';

test('folders: built-in tabs, a folder of one’s own, filed from the chat menu', async ({ people }) => {
  const ada = await people.add('Ada', 'ada');
  await people.add('Bob', 'bob');
  const { page } = ada;
  await send(await startDirectChat(page, 'bob'), 'hi Bob');
  await send(await createGroup(page, 'Book club', ['bob']), 'first meeting on Friday');
  const chats = page.getByRole('listbox', { name: 'Chats' });
  await expect(chats.getByRole('option')).toHaveCount(2);

  const tabs = page.getByRole('tablist', { name: 'Folders' });
  await expect(tabs.getByRole('tab', { name: 'All chats' })).toHaveAttribute('aria-selected', 'true');
  await tabs.getByRole('tab', { name: 'Groups' }).click();
  await expect(chats.getByRole('option')).toHaveCount(1);
  await expect(chats.getByRole('option', { name: /Book club/ })).toBeVisible();
  await expectNoSeriousViolations(page, 'the folder tabs');
  // The keyboard: arrows move along the tabs and select.
  await page.keyboard.press('ArrowLeft');
  await expect(tabs.getByRole('tab', { name: 'Personal' })).toBeFocused();
  await expect(chats.getByRole('option')).toHaveCount(1);
  await expect(chats.getByRole('option', { name: /bob/i })).toBeVisible();

  // A folder of one's own.
  await page.getByRole('button', { name: 'Edit folders' }).click();
  const edit = page.getByRole('dialog', { name: 'Chat folders' });
  await edit.getByLabel('New folder').fill('Reading');
  await edit.getByRole('button', { name: 'Create folder' }).click();
  await expect(edit.getByRole('list', { name: 'Your folders' })).toContainText('Reading');
  await expectNoSeriousViolations(page, 'Chat folders');
  await page.keyboard.press('Escape');
  await expect(edit).toBeHidden();

  await tabs.getByRole('tab', { name: 'All chats' }).click();
  await chats.getByRole('option', { name: /Book club/ }).click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Add to folder…' }).click();
  const filing = page.getByRole('dialog', { name: 'Folders for “Book club”' });
  await filing.getByRole('checkbox', { name: 'Reading' }).check();
  await expectNoSeriousViolations(page, 'Folders for a chat');
  await filing.getByRole('button', { name: 'Save' }).click();
  await expect(filing).toBeHidden();

  await tabs.getByRole('tab', { name: 'Reading' }).click();
  await expect(chats.getByRole('option')).toHaveCount(1);
  await expect(chats.getByRole('option', { name: /Book club/ })).toBeVisible();
});
