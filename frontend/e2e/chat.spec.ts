// Messaging end to end: one real relay (`hush relay`) and two or three real
// `hush --web` instances, each in its own browser context, talking through
// it — the whole path UI → Go → relay → Go → UI, nothing faked.

import type { Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import {
  acceptRequest,
  bubble,
  createGroup,
  exactBubble,
  expectNoSeriousViolations,
  openChat,
  openPane,
  send,
  startDirectChat,
} from './messaging';

// Each person costs an Argon2id account creation and a relay handshake.
test.describe.configure({ timeout: 240_000 });

const deliveredOrBetter = /^(Sent|Delivered|Read)$/;

/** A notification the page showed through the browser's Notification API. */
interface Shown {
  title: string;
  body: string;
}

/**
 * Replaces the page's Notification with one that records what it shows (and
 * is allowed to), then takes the page out of the user's view: the page tells
 * Go (WindowService.SetFocused), which decides from then on to notify.
 */
async function lookAway(page: Page): Promise<void> {
  await page.evaluate(() => {
    const shown: Shown[] = [];
    const notes: { onclick: (() => void) | null }[] = [];
    class RecordingNotification {
      static permission = 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, options?: { body?: string }) {
        shown.push({ title, body: options?.body ?? '' });
        notes.push(this);
      }
      close(): void {}
    }
    Object.assign(window, { Notification: RecordingNotification, hushShown: shown, hushNotes: notes });
    window.dispatchEvent(new Event('blur'));
  });
}

function shownNotifications(page: Page): Promise<Shown[]> {
  return page.evaluate(() => (window as unknown as { hushShown: Shown[] }).hushShown);
}

/** Clicks the last notification shown, as the user would, and looks back. */
async function clickNotification(page: Page): Promise<void> {
  await page.evaluate(() => {
    const notes = (window as unknown as { hushNotes: { onclick: (() => void) | null }[] }).hushNotes;
    notes[notes.length - 1]?.onclick?.();
    window.dispatchEvent(new Event('focus'));
  });
}

test('two people: a direct chat, live both ways, with typing and ticks', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');

  // An unknown handle is an error in the dialog, which stays open.
  await alice.page.getByRole('button', { name: 'New chat' }).click();
  await alice.page.getByRole('menuitem', { name: 'New message' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New message' });
  await dialog.getByLabel('Username').fill('@nobody_here');
  await dialog.getByRole('button', { name: 'Start chat' }).click();
  await expect(dialog.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true', { timeout: 30_000 });
  await alice.page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // Bob is not looking, and Alice is a stranger to him: Go notifies him of a
  // request and says nothing of it (app/notify.go); the click opens it under
  // Requests, read-only, and he accepts it.
  await lookAway(bob.page);
  const alicePane = await startDirectChat(alice.page, 'bob');
  await expect(alicePane.getByRole('heading', { name: /bob/i })).toBeVisible();
  const first = await send(alicePane, 'Hi Bob, it is Alice');
  await expect
    .poll(() => shownNotifications(bob.page), { timeout: 30_000 })
    .toEqual([{ title: 'New message request', body: 'Open Hush to accept or decline it.' }]);
  await clickNotification(bob.page);
  await expect(bob.page.getByRole('listbox', { name: 'Requests' })).toBeVisible();
  const request = openPane(bob.page);
  await expect(bubble(request, 'Hi Bob, it is Alice')).toBeVisible({ timeout: 30_000 });
  await request.getByRole('button', { name: 'Accept' }).click();
  await expect(bob.page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: /alice/i })).toBeVisible({
    timeout: 30_000,
  });

  // A contact now: Go notifies him as usual (on by default, the sender's
  // name only), his page shows what Go says, and the click opens the chat.
  await lookAway(bob.page);
  await send(alicePane, 'Are you there?');
  await expect.poll(() => shownNotifications(bob.page), { timeout: 30_000 }).toEqual([{ title: 'Alice', body: 'Alice' }]);
  await clickNotification(bob.page);
  await expect(openPane(bob.page).getByRole('heading', { name: /alice/i })).toBeVisible();
  await expect(first).toBeVisible();
  await expect(first.getByRole('img', { name: deliveredOrBetter })).toBeVisible({ timeout: 30_000 });
  // A screen reader hears who wrote it and the text, then the day, time and status.
  await expect(first).toHaveAccessibleName('You: Hi Bob, it is Alice');
  await expect(first).toHaveAccessibleDescription(/^Today, \d{1,2}:\d{2}\b.*, (Sent|Delivered|Read)$/);

  // Bob sees the chat appear and the message live.
  const bobPane = await openChat(bob.page, /alice/i);
  await expect(bubble(bobPane, 'Hi Bob, it is Alice')).toBeVisible({ timeout: 30_000 });

  // Bob types: Alice sees it in the header.
  await bobPane.getByRole('textbox', { name: 'Message' }).pressSequentially('Hi Ali', { delay: 50 });
  await expect(alicePane.getByRole('button', { name: /chat info$/ })).toContainText(/bob is typing…/i, {
    timeout: 15_000,
  });
  await bobPane.getByRole('textbox', { name: 'Message' }).pressSequentially('ce!');
  await bobPane.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(bubble(alicePane, 'Hi Alice!')).toBeVisible({ timeout: 30_000 });
  // Shift+Enter writes a second line instead of sending.
  const box = alicePane.getByRole('textbox', { name: 'Message' });
  await box.fill('line one');
  await box.press('Shift+Enter');
  await box.pressSequentially('line two');
  await expect(box).toHaveValue('line one\nline two');
  await box.press('Enter');
  await expect(bubble(bobPane, 'line two')).toBeVisible({ timeout: 30_000 });

  // Bob read Alice's message while looking at the chat.
  await expect(first.getByRole('img', { name: /^(Delivered|Read)$/ })).toBeVisible({ timeout: 30_000 });

  // The messaging screens pass axe in both themes.
  for (const colorScheme of ['light', 'dark'] as const) {
    await alice.page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await expectNoSeriousViolations(alice.page, `a conversation (${colorScheme})`);
  }
  await alicePane.getByRole('button', { name: /chat info$/ }).click();
  const contact = alice.page.getByRole('dialog', { name: /bob/i });
  await expect(contact.getByText('Safety number', { exact: true })).toBeVisible();
  await expect(contact.getByRole('img', { name: /Safety emoji/ })).toBeVisible({ timeout: 15_000 });
  await expectNoSeriousViolations(alice.page, 'contact info');
  await contact.getByRole('button', { name: 'Mark as verified' }).click();
  await expect(contact.getByText('Verified', { exact: true })).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(contact).toBeHidden();
});

test('a group of three: everyone reads everyone, senders are named', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const carol = await people.add('Carol', 'carol');

  const alicePane = await createGroup(alice.page, 'Trio', ['bob', 'carol']);
  await expect(alicePane.getByText('3 members')).toBeVisible({ timeout: 30_000 });
  await send(alicePane, 'Welcome to Trio');

  // Alice is a stranger to both: each accepts the group under Requests.
  const bobPane = await acceptRequest(bob.page, 'Trio');
  await expect(bubble(bobPane, 'Welcome to Trio')).toBeVisible({ timeout: 30_000 });
  await send(bobPane, 'Thanks Alice');

  const carolPane = await acceptRequest(carol.page, 'Trio');
  await expect(bubble(carolPane, 'Welcome to Trio')).toBeVisible({ timeout: 30_000 });
  const fromBob = bubble(carolPane, 'Thanks Alice');
  await expect(fromBob).toBeVisible({ timeout: 30_000 });
  // The first message of a run shows its sender ("@bob" to Carol, who has
  // not named him), and a screen reader hears it first.
  await expect(fromBob.getByText(/bob/i)).toBeVisible();
  await expect(fromBob).toHaveAccessibleName(/^@?bob: Thanks Alice$/i);
  await expect(bubble(alicePane, 'Thanks Alice')).toBeVisible({ timeout: 30_000 });

  // The members dialog lists all three with their roles.
  await carolPane.getByRole('button', { name: 'Trio — chat info' }).click();
  const info = carol.page.getByRole('dialog', { name: 'Trio' });
  await expect(info.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3, { timeout: 30_000 });
  await expect(info.getByText('Owner')).toBeVisible();
  await expectNoSeriousViolations(carol.page, 'group info');
  await carol.page.keyboard.press('Escape');
  await expect(info).toBeHidden();
});

test('a channel: the owner posts, a subscriber reads and cannot post', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');

  await alice.page.getByRole('button', { name: 'New chat' }).click();
  await alice.page.getByRole('menuitem', { name: 'New channel' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New channel' });
  await dialog.getByLabel('Channel name').fill('Hush News');
  await dialog.getByLabel('Add by username').fill('@bob');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByRole('checkbox', { name: /bob/i })).toBeChecked({ timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Create channel' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });

  const alicePane = alice.page.getByRole('region', { name: 'Hush News' });
  await send(alicePane, 'First post');

  const bobPane = await acceptRequest(bob.page, 'Hush News');
  await expect(bubble(bobPane, 'First post')).toBeVisible({ timeout: 30_000 });
  await expect(bobPane.getByText('Only admins can post in this channel')).toBeVisible();
  await expect(bobPane.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
});

test('a long chat: older pages load at the top without moving the view', async ({ people }) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const alicePane = await startDirectChat(alice.page, 'bob');
  const total = 130; // more than two pages of 50
  const box = alicePane.getByRole('textbox', { name: 'Message' });
  for (let i = 1; i <= total; i++) {
    await box.fill(`note ${i}`);
    await box.press('Enter');
  }
  await expect(exactBubble(alicePane, `note ${total}`).getByRole('img', { name: deliveredOrBetter })).toBeVisible({
    timeout: 60_000,
  });

  const bobPane = await acceptRequest(bob.page, /alice/i);
  const messages = bobPane.getByRole('region', { name: 'Messages' });
  await expect(exactBubble(bobPane, `note ${total}`)).toBeVisible({ timeout: 30_000 });
  // Virtualized: far fewer messages in the DOM than in the chat.
  expect(await messages.getByRole('article').count()).toBeLessThan(60);

  // Scroll to the top, page after page, until the first note shows; each
  // time, the note that was at the top must still be on screen afterwards.
  // The request for the older page is held until that note has been read,
  // so the check never races the page it is about.
  let gate: { opened: Promise<void>; open: () => void } | undefined;
  await bob.page.route('**/api/call/*/Messages', async (route) => {
    const args: unknown = route.request().postDataJSON();
    if (Array.isArray(args) && args[1] !== '' && gate) await gate.opened;
    await route.continue();
  });
  for (let round = 0; round < 10; round++) {
    if (await exactBubble(bobPane, 'note 1').isVisible()) break;
    let open = (): void => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    gate = { opened, open };
    const box = await messages.boundingBox();
    const view = { top: box?.y ?? 0, bottom: (box?.y ?? 0) + (box?.height ?? 0) };
    await messages.evaluate((el) => (el.scrollTop = 0));
    const loading = bobPane.getByRole('status').filter({ hasText: 'Loading older messages' });
    // Either the older page is on its way, or there is none and the first
    // note is at the top.
    const first = exactBubble(bobPane, 'note 1');
    await expect(loading.or(first)).toBeVisible();
    if (await first.isVisible()) break;
    // The topmost message on screen while the page is on its way (the row
    // holding the tab stop stays in the DOM off screen, so "below the top
    // edge" alone is not enough).
    let topNote = '';
    await expect
      .poll(async () => {
        topNote = await messages.getByRole('article').evaluateAll((articles, { top, bottom }) => {
          const first = articles.find((a) => {
            const r = a.getBoundingClientRect();
            return r.bottom > top && r.top < bottom;
          });
          return first?.getAttribute('aria-label')?.replace(/^[^:]*: /, '') ?? '';
        }, view);
        return topNote;
      })
      .not.toBe('');
    gate.open();
    await expect(loading).toBeHidden({ timeout: 15_000 });
    await bob.page.waitForTimeout(300);
    await expect(exactBubble(bobPane, topNote)).toBeInViewport();
  }
  gate?.open();
  await expect(exactBubble(bobPane, 'note 1')).toBeVisible();
  expect(await messages.getByRole('article').count()).toBeLessThan(60);
});

test('replies: by keyboard or the hover button, quoted on the other side, the quote leads back', async ({
  people,
}) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  const alicePane = await startDirectChat(alice.page, 'bob');
  await send(alicePane, 'Lunch at noon?');
  await send(alicePane, 'Or later');

  const bobPane = await acceptRequest(bob.page, /alice/i);
  const question = bobPane.getByRole('article', { name: /Lunch at noon\?/ });
  await expect(question).toBeVisible({ timeout: 30_000 });
  await expect(bobPane.getByRole('article', { name: /Or later/ })).toBeVisible({ timeout: 30_000 });

  // Keyboard: focus the message, press R, write, Enter.
  await question.focus();
  await bob.page.keyboard.press('r');
  const box = bobPane.getByRole('textbox', { name: 'Message' });
  await expect(box).toBeFocused();
  await expect(box).toHaveAccessibleDescription(/Reply to .*Lunch at noon\?/);
  await expectNoSeriousViolations(bob.page, 'a reply being written');
  await box.fill('Noon works');
  await box.press('Enter');
  await expect(bobPane.getByRole('button', { name: 'Cancel reply' })).toBeHidden();

  // Alice gets the answer with her question quoted; the quote leads to it.
  const answer = alicePane.getByRole('article', { name: /Noon works/ });
  await expect(answer).toBeVisible({ timeout: 30_000 });
  const quote = answer.getByRole('button', { name: /In reply to .*Lunch at noon\?/ });
  await expect(quote).toBeVisible();
  await quote.click();
  await expect(alicePane.getByRole('article', { name: /Lunch at noon\?/ })).toBeFocused();

  // The mouse: the button that shows on hover; Escape cancels the reply.
  await answer.hover();
  await answer.getByRole('button', { name: /^Reply to/ }).click();
  const aliceBox = alicePane.getByRole('textbox', { name: 'Message' });
  await expect(aliceBox).toBeFocused();
  await expect(alicePane.getByRole('button', { name: 'Cancel reply' })).toBeVisible();
  await aliceBox.press('Escape');
  await expect(alicePane.getByRole('button', { name: 'Cancel reply' })).toBeHidden();
  await answer.hover();
  await answer.getByRole('button', { name: /^Reply to/ }).click();
  await aliceBox.fill('See you then');
  await aliceBox.press('Enter');
  const last = bobPane.getByRole('article', { name: /See you then/ });
  await expect(last).toBeVisible({ timeout: 30_000 });
  await expect(last.getByRole('button', { name: /In reply to .*Noon works/ })).toBeVisible();
});
