// What a new user meets at 1280×800, 800×600 and 600×800: one column with a
// "Back to chats" button at 600 px, the conversation anchored to its newest
// message through resizes with "Jump to latest" when scrolled up, ticks named
// apart, one's own message shown at once (pending), links, and the window
// title counting what is unread; axe finds no violations (of any impact) at each size.

import type { Locator, Page } from '@playwright/test';
import { chatTest as test, expect } from './fixtures';
import {
  acceptRequest,
  bubble,
  exactBubble,
  expectNoViolations,
  openChat,
  send,
  startDirectChat,
  toBackground,
  toForeground,
} from './messaging';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 600 },
  { width: 600, height: 800 },
] as const;

/** How far the message list is from its end, in pixels. */
async function distanceFromEnd(pane: Locator): Promise<number> {
  return pane
    .getByRole('region', { name: 'Messages' })
    .evaluate((el) => Math.round(el.scrollHeight - el.scrollTop - el.clientHeight));
}

/** The newest message is fully above the composer. */
async function expectNewestAboveComposer(page: Page, pane: Locator, text: string): Promise<void> {
  await expect(async () => {
    const last = await exactBubble(pane, text).boundingBox();
    const box = await pane.getByRole('textbox', { name: 'Message' }).boundingBox();
    expect(last, `"${text}" is rendered`).not.toBeNull();
    expect(last!.y + last!.height).toBeLessThanOrEqual(box!.y);
    expect(last!.y).toBeGreaterThanOrEqual(0);
  }).toPass({ timeout: 10_000 });
  expect(await distanceFromEnd(pane)).toBeLessThanOrEqual(48);
  void page;
}

test('layout at 1280, 800 and 600 px: one column, anchoring, jump to latest, ticks, pending, links, title', async ({
  people,
}) => {
  const alice = await people.add('Alice', 'alice');
  const bob = await people.add('Bob', 'bob');
  await alice.page.setViewportSize(SIZES[0]);


  // Alice writes first, with a link; Bob accepts.
  const pane = await startDirectChat(alice.page, 'bob');
  await send(pane, 'hello Bob, the plan is at https://example.com/plan?v=1. javascript:alert(1)');
  const bobPane = await acceptRequest(bob.page, /Alice/);

  // The link: a real link to the https address only, opening in a new tab without
  // opener or referrer; the javascript: text stays text.
  const mine = bubble(pane, 'hello Bob');
  const link = mine.getByRole('link', { name: 'https://example.com/plan?v=1' });
  await expect(link).toHaveAttribute('href', 'https://example.com/plan?v=1');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(mine.getByRole('link')).toHaveCount(1);
  await expect(bubble(bobPane, 'hello Bob').getByRole('link', { name: 'https://example.com/plan?v=1' })).toBeVisible();

  // Ticks: Bob read Alice's message (his chat is open), and each status has a name of its own.
  const read = mine.getByRole('img', { name: 'Read' });
  await expect(read).toBeVisible({ timeout: 30_000 });
  const look = (l: Locator) =>
    l.evaluate((el) => {
      const s = getComputedStyle(el);
      return `${s.color} ${el.innerHTML}`;
    });
  const readLook = await look(read);
  await toBackground(bob.page);
  // Bob looks away: Alice's next message is delivered, not read, and looks different.
  const second = await send(pane, 'are you there?');
  await expect(second.getByRole('img', { name: 'Delivered' })).toBeVisible({ timeout: 30_000 });
  expect(await look(second.getByRole('img', { name: 'Delivered' }))).not.toBe(readLook);

  // The window title counts what Bob has not read, and goes back when he reads it.
  await expect(bob.page).toHaveTitle('(1) Hush', { timeout: 30_000 });
  await toForeground(bob.page);
  await expect(bob.page).toHaveTitle('Hush', { timeout: 30_000 });

  // Bob answers with enough lines to scroll.
  for (let i = 0; i < 30; i++) await send(bobPane, `line ${String(i).padStart(2, '0')}`);
  await expect(exactBubble(pane, 'line 29')).toBeVisible({ timeout: 30_000 });

  // One's own message shows at once, pending, before Go has answered: Alice's
  // Send is held back, yet the bubble is there.
  let release: () => void = () => {};
  const held = new Promise<void>((r) => (release = r));
  await alice.page.route('**/api/call/ChatService/Send', async (route) => {
    await held;
    await route.continue();
  });
  const box = pane.getByRole('textbox', { name: 'Message' });
  await box.fill('shown before Go answers');
  await box.press('Enter');
  const early = exactBubble(pane, 'shown before Go answers');
  await expect(early.getByRole('img', { name: 'Pending' })).toBeVisible();
  release();
  await expect(early.getByRole('img', { name: /^(Sent|Delivered|Read)$/ })).toBeVisible({ timeout: 30_000 });
  await alice.page.unroute('**/api/call/ChatService/Send');
  await expect(exactBubble(bobPane, 'shown before Go answers')).toBeVisible({ timeout: 30_000 });
  const newest = 'shown before Go answers';

  // Bob was added by his handle; the name his messages carry replaced it, the
  // contact dialog included ("Bob", not "@bob @bob").
  await pane.getByRole('button', { name: /chat info$/ }).click();
  const info = alice.page.getByRole('dialog', { name: 'Bob' });
  await expect(info).toBeVisible();
  await expect(info.getByRole('heading', { name: 'Bob', exact: true })).toBeVisible();
  await expect(info.getByText('@bob', { exact: true })).toHaveCount(1);
  await alice.page.keyboard.press('Escape');
  await expect(info).toBeHidden();

  // Alice's window is the one in front from here on (a background page is
  // neither painted nor measured by Chromium).
  await alice.page.bringToFront();
  for (const size of SIZES) {
    await alice.page.setViewportSize(size);
    const label = `${size.width}×${size.height}`;
    if (size.width <= 600) {
      // One column: the open chat fills the window, with a way back to the list.
      await expect(alice.page.getByRole('listbox', { name: 'Chats' })).toBeHidden();
      await expect(pane).toBeVisible();
      await expectNewestAboveComposer(alice.page, pane, newest);
      await expectNoViolations(alice.page, `the open chat at ${label}`);
      await pane.getByRole('button', { name: 'Back to chats' }).click();
      await expect(pane).toBeHidden();
      const row = alice.page.getByRole('listbox', { name: 'Chats' }).getByRole('option', { name: 'Bob' });
      await expect(row).toBeFocused();
      await expectNoViolations(alice.page, `the chat list at ${label}`);
      // A chat can be opened from the list.
      const reopened = await openChat(alice.page, 'Bob');
      await expect(reopened.getByRole('textbox', { name: 'Message' })).toBeVisible();
      await expectNewestAboveComposer(alice.page, reopened, newest);
    } else {
      await expect(alice.page.getByRole('listbox', { name: 'Chats' })).toBeVisible();
      await expect(pane.getByRole('button', { name: 'Back to chats' })).toBeHidden();
      // Shrinking the window keeps the newest message above the composer.
      await expectNewestAboveComposer(alice.page, pane, newest);
      await expectNoViolations(alice.page, `the open chat at ${label}`);
    }
  }

  // Scrolled up: "Jump to latest", which counts what arrives meanwhile and leads back.
  await alice.page.setViewportSize(SIZES[1]);
  const open = await openChat(alice.page, 'Bob').catch(() => pane);
  const list = open.getByRole('region', { name: 'Messages' });
  await expect(open.getByRole('button', { name: /Jump to latest/ })).toBeHidden();
  await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight / 3 }));
  const jump = open.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeVisible();
  await expectNoViolations(alice.page, 'the chat scrolled up');
  await send(bobPane, 'while you were reading');
  await expect(open.getByRole('button', { name: 'Jump to latest, 1 new message' })).toBeVisible({ timeout: 30_000 });
  await open.getByRole('button', { name: /Jump to latest/ }).click();
  await expectNewestAboveComposer(alice.page, open, 'while you were reading');
  await expect(open.getByRole('button', { name: /Jump to latest/ })).toBeHidden();
});
