// Search end to end: a real relay and two real `hush --web` instances. The
// chat list's search field finds messages of every cloud chat as it is
// typed (case and accents folded), highlights the match, and opening a hit
// jumps to the message in its chat even when older pages must be read
// first; Ctrl+F searches within the open chat. axe audits the results:
// no violations at all.

import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { FIRST_PASSPHRASE, chatTest as test, expect, expectUnlockScreen, unlock } from './fixtures';
import { acceptRequest, exactBubble, openPane, send, startDirectChat } from './messaging';

test.describe.configure({ timeout: 300_000 });

async function expectNoViolations(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`,
  );
  expect(summary, `axe violations on ${screen}`).toEqual([]);
}

/** The focused element's message id, if it is (in) a message. */
function focusedMessage(page: Page): Promise<string | null> {
  return page.evaluate(
    () => document.activeElement?.closest('[data-message-id]')?.getAttribute('data-message-id') ?? null,
  );
}

test('search every chat and within one, with highlighted hits and jump to message', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');

  const pane = await startDirectChat(alice.page, 'bob');
  const target = await send(pane, 'Rendezvous at Café Müller, table by the window');
  const targetId = await target.getAttribute('data-message-id');
  expect(targetId).toBeTruthy();
  // More than a page (50) after it, so a jump must read older pages.
  // Each waits for the one before to show: the composer ignores Enter while a
  // send is in flight.
  for (let i = 1; i <= 60; i++) await expect(await send(pane, `note ${i}`)).toBeVisible();
  await expect(exactBubble(pane, 'note 60')).toBeVisible();

  // Bob finds what he received, accents folded, before even accepting.
  const bobSearch = bob.page.getByRole('searchbox', { name: 'Search chats' });
  await bobSearch.fill('muller');
  const bobFound = bob.page.getByRole('list', { name: 'Messages found' });
  await expect(bobFound.getByRole('button', { name: /Rendezvous at Café Müller/ })).toBeVisible({ timeout: 60_000 });
  await bobSearch.fill('');

  // Alice locks and unlocks: the index, dropped at lock, is rebuilt from the vault.
  await alice.page.getByRole('button', { name: 'Lock' }).click();
  await expectUnlockScreen(alice.page);
  await unlock(alice.page, FIRST_PASSPHRASE);
  const field = alice.page.getByRole('searchbox', { name: 'Search chats' });
  await expect(field).toBeVisible({ timeout: 60_000 });

  // As she types: each prefix searches, the last answer wins.
  await field.pressSequentially('RENDEZ', { delay: 40 });
  const found = alice.page.getByRole('list', { name: 'Messages found' });
  const hit = found.getByRole('button', { name: /bob .*Rendezvous at Café Müller/i });
  await expect(hit).toBeVisible();
  await expect(found.getByRole('button')).toHaveCount(1);
  await expect(hit.locator('mark')).toHaveText('Rendez');
  await expect(alice.page.getByRole('status').filter({ hasText: '1 message found' })).toBeVisible();
  await expectNoViolations(alice.page, 'the chat list with message hits');

  // Keyboard: Down from the field reaches the hit (no chat is named "RENDEZ"),
  // Enter opens it: the chat, scrolled to the message, focused.
  await field.press('ArrowDown');
  await expect(hit).toBeFocused();
  await alice.page.keyboard.press('Enter');
  const chat = openPane(alice.page);
  const message = exactBubble(chat, 'Rendezvous at Café Müller, table by the window');
  await expect(message).toBeFocused({ timeout: 30_000 });
  await expect(message).toBeInViewport();
  expect(await focusedMessage(alice.page)).toBe(targetId);

  // Ctrl+F searches this chat only.
  await alice.page.keyboard.press('Control+f');
  const inChat = chat.getByRole('searchbox', { name: 'Search messages in this chat' });
  await expect(inChat).toBeFocused();
  await inChat.fill('note 5');
  const inChatFound = chat.getByRole('list', { name: 'Messages found in this chat' });
  // Both words, anywhere: notes 5, 15, 25, 35, 45 and 50 to 59, newest first.
  await expect(inChatFound.getByRole('button')).toHaveCount(15);
  await expect(inChatFound.getByRole('button').first()).toContainText('note 59');
  await expect(inChatFound.getByRole('button').first().locator('mark')).toHaveText(['note', '5']);
  await expectNoViolations(alice.page, 'the search within a chat');
  await inChat.fill('window table');
  await expect(inChatFound.getByRole('button')).toHaveCount(1);
  await inChat.press('Enter');
  await expect(message).toBeFocused({ timeout: 30_000 });
  await alice.page.keyboard.press('Control+f');
  await expect(inChat).toBeFocused();
  await inChat.press('Escape');
  await expect(inChat).toBeHidden();
  await expect(chat.getByRole('button', { name: 'Search in this chat' })).toBeFocused();

  // Bob accepts and finds it within the chat too.
  const bobPane = await acceptRequest(bob.page, 'Alice');
  await bobPane.getByRole('button', { name: 'Search in this chat' }).click();
  await bobPane.getByRole('searchbox', { name: 'Search messages in this chat' }).fill('cafe');
  await expect(bobPane.getByRole('list', { name: 'Messages found in this chat' }).getByRole('button')).toHaveCount(1);
});
